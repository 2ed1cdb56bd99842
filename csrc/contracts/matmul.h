// Matrix products: the matmul and linear entry points, and the GEMM description both devices share.
//
// GEMM (row-major, leading dimensions in elements):
//   C = alpha * op(A) * op(B) + beta * C,   op(A) is (M,K), op(B) is (K,N), C is (M,N)
//   op(A)(i,k) = ta ? A[k*lda + i] : A[i*lda + k]
//   op(B)(k,j) = tb ? B[j*ldb + k] : B[k*ldb + j]
// beta == 0 never reads C (it may hold garbage or NaN).
//
// GemmSpec adds batching, the same description for the CPU and the CUDA kernels:
//   for every z:  C[z] = alpha * sum_r op(A[z,r]) * op(B[z,r]) + beta * C[z]
// z walks the "independent" batch dims (each has its own output matrix, C[z] at z*c_stride);
// r walks the "reduced" batch dims (broadcast dims summed into one output, as the backward of a
// broadcast matmul needs). Each batch dim has a size and an element stride into A and into B
// (stride 0 where that operand is broadcast).
#pragma once
#include <cstdint>

#include "../common/strided.h"
#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

constexpr int kGemmMaxBatchDims = 8;

struct GemmSpec {
  bool ta = false, tb = false;
  int64_t M = 0, N = 0, K = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
  double alpha = 1.0, beta = 0.0;
  int nz = 0, nr = 0;
  int64_t zsize[kGemmMaxBatchDims], za[kGemmMaxBatchDims], zb[kGemmMaxBatchDims];
  int64_t rsize[kGemmMaxBatchDims], ra[kGemmMaxBatchDims], rb[kGemmMaxBatchDims];
  int64_t zcount = 1, rcount = 1;
  int64_t c_stride = 0;  // elements between C[z] and C[z+1]

  // One unbatched product C = op(A) op(B) + beta C.
  static GemmSpec plain(bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t lda,
                        int64_t ldb, int64_t ldc, double beta = 0.0) {
    GemmSpec s;
    s.ta = ta;
    s.tb = tb;
    s.M = M;
    s.N = N;
    s.K = K;
    s.lda = lda;
    s.ldb = ldb;
    s.ldc = ldc;
    s.beta = beta;
    s.c_stride = M * ldc;
    return s;
  }

  // Element offsets of A[z,*] and B[z,*] (resp. the r-part) for a row-major index over the dims.
  KERNELS_HD void z_offsets(int64_t z, int64_t& oa, int64_t& ob) const {
    oa = 0;
    ob = 0;
    for (int d = nz - 1; d >= 0; --d) {
      const int64_t i = z % zsize[d];
      z /= zsize[d];
      oa += i * za[d];
      ob += i * zb[d];
    }
  }
  KERNELS_HD void r_offsets(int64_t r, int64_t& oa, int64_t& ob) const {
    oa = 0;
    ob = 0;
    for (int d = nr - 1; d >= 0; --d) {
      const int64_t i = r % rsize[d];
      r /= rsize[d];
      oa += i * ra[d];
      ob += i * rb[d];
    }
  }
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/matmul.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_MATMUL_ENTRY_POINTS                                                                     \
  /* matmul: the ops layer lowers the broadcast product to GemmSpecs (see csrc/ops/matmul.cpp). */      \
  void matmul_forward(const GemmSpec& spec, const Tensor& a, const Tensor& b, Tensor& out);             \
  /* da from (grad, b) with spec_da, db from (a, grad) with spec_db; an undefined da/db is skipped. */  \
  void matmul_backward(const GemmSpec& spec_da, const GemmSpec& spec_db, const Tensor& grad,            \
                       const Tensor& a, const Tensor& b, Tensor& da, Tensor& db);                       \
  /* linear on flattened rows: x is (R,in), weight is (out,in), bias is (out) or undefined, */          \
  /* out is (R,out). Backward: dx (R,in), dweight (out,in), dbias (out); undefined ones are skipped. */ \
  void linear_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out);          \
  void linear_backward(const Tensor& grad, const Tensor& x, const Tensor& weight, Tensor& dx,           \
                       Tensor& dweight, Tensor& dbias);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_MATMUL_ENTRY_POINTS)
