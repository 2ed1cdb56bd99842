// The AVX2/FMA GEMM micro-kernels and packers (gemm_avx2.cpp), shared by the GEMM engine
// (gemm.cpp), the packed conv2d (conv2d_packed.cpp) and the RNN step GEMM (rnn_gemm.cpp). Call
// them only when cpu::use_avx2() (isa.h) says so.
//   C (MR x NR, row stride ldc) = alpha * Ap * Bp + beta * C      (beta == 0: C is not read)
//   Ap[k*MR + i] = op(A)(i, k), Bp[k*NR + j] = op(B)(k, j): packed slivers of kc columns / rows
// float tiles are 6x16, double tiles 6x8.
#pragma once
#include <cstdint>

namespace kernels::cpu::gemm_detail {

void sgemm_kernel_6x16_avx2(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc,
                            float alpha, float beta);
void dgemm_kernel_6x8_avx2(int64_t kc, const double* Ap, const double* Bp, double* C, int64_t ldc,
                           double alpha, double beta);
float sdot_avx2(const float* x, const float* y, int64_t n);
double ddot_avx2(const double* x, const double* y, int64_t n);
// Pack 16 (resp. 6) slivers stored across k (X[i*ld + k]) into Bp (resp. Ap) order.
void spack_trans16_avx2(const float* X, int64_t ld, int64_t kc, float* dst);
void spack_trans6_avx2(const float* X, int64_t ld, int64_t kc, float* dst);

}  // namespace kernels::cpu::gemm_detail
