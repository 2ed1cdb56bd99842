// The AVX-512F GEMM micro-kernels and packer (gemm_avx512.cpp), used by the GEMM engine (gemm.cpp)
// at the avx512 capability level only (cpu::use_avx512(), isa.h).
//   C (mr x nr corner of the MR x NR tile, row stride ldc) = alpha * Ap * Bp + beta * C
//   (beta == 0: C is not read). Ap[k*MR + i] = op(A)(i, k), Bp[k*NR + j] = op(B)(k, j).
// float tiles are 6x32, double tiles 6x16; 1 <= mr <= 6, 1 <= nr <= NR.
#pragma once
#include <cstdint>

namespace kernels::cpu::gemm_detail {

void sgemm_kernel_6x32_avx512(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc,
                              float alpha, float beta, int mr, int nr);
void dgemm_kernel_6x16_avx512(int64_t kc, const double* Ap, const double* Bp, double* C,
                              int64_t ldc, double alpha, double beta, int mr, int nr);
// Unpacked products for small operands, B stored along k (B[k*ldb + j]):
//   C (M,N) = alpha * op(A) B + beta C,  op(A)(i, k) = ta ? A[k*lda + i] : A[i*lda + k]
void sgemm_small_avx512(bool ta, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                        int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void dgemm_small_avx512(bool ta, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
                        int64_t lda, const double* B, int64_t ldb, double beta, double* C,
                        int64_t ldc);
// dst[c*ldd + r] = X[r*ld + c] (r < rows, c < cols): B^T for the unpacked products.
void stranspose_avx512(const float* X, int64_t ld, int64_t rows, int64_t cols, float* dst,
                       int64_t ldd);
// Pack a full 32-line B sliver stored across k (X[c*ld + k]) into Bp order (dst 64-byte aligned).
void spack_trans32_avx512(const float* X, int64_t ld, int64_t kc, float* dst);

}  // namespace kernels::cpu::gemm_detail
