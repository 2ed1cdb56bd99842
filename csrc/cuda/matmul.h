#pragma once
#include "../common/tensor.h"
#include "../cpu/matmul.h"  // GemmSpec

namespace kernels {

// The batched GEMM of `spec` on device pointers, on the current device's default stream.
template <class T>
void gemm_cuda(const GemmSpec& spec, const T* A, const T* B, T* C);

void matmul_forward_cuda(const GemmSpec& spec, const Tensor& a, const Tensor& b, Tensor& out);
void matmul_backward_cuda(const GemmSpec& spec_da, const GemmSpec& spec_db, const Tensor& grad,
                          const Tensor& a, const Tensor& b, Tensor& da, Tensor& db);
void linear_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out);
void linear_backward_cuda(const Tensor& grad, const Tensor& x, const Tensor& weight, Tensor& dx,
                          Tensor& dweight, Tensor& dbias);

}  // namespace kernels
