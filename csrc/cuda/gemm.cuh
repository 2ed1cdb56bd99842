// The CUDA GEMM engine (csrc/cuda/matmul.cu): the product matmul, linear, conv2d and the RNN
// layers run on. GemmSpec and the maths are in csrc/contracts/matmul.h.
#pragma once
#include "../contracts/matmul.h"

namespace kernels::cuda {

// The batched GEMM of `spec` on device pointers, on the current device's default stream.
template <class T>
void gemm(const GemmSpec& spec, const T* A, const T* B, T* C);

}  // namespace kernels::cuda
