// The CPU GEMM engine (csrc/cpu/gemm.cpp, micro-kernels in gemm_avx2.cpp): the product every
// family that multiplies matrices runs on (matmul, linear, conv2d via im2col, the RNN layers).
// The maths is in csrc/contracts/matmul.h.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "../contracts/matmul.h"

namespace kernels::cpu {

// Plain GEMM on host pointers. Threads itself with OpenMP unless called from inside a parallel
// region.
template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// The batched GEMM of `spec` on tensors (float32 or float64; A, B and C share the dtype).
void gemm_batched(const GemmSpec& spec, const Tensor& A, const Tensor& B, Tensor& C);

}  // namespace kernels::cpu
