// Matrix products on CUDA: matmul and linear, on the GEMM engine (gemm.cu); the maths is in
// csrc/cpu/matmul.cpp's header comment.
#include "../common/dispatch.h"
#include "../contracts/matmul.h"
#include "cuda_utils.cuh"
#include "gemm.cuh"

namespace kernels::cuda {

namespace {

// out[r, j] = bias[j]
template <class T>
__global__ void fill_rows_kernel(T* out, const T* bias, int64_t rows, int64_t cols) {
  CUDA_KERNEL_LOOP(i, rows * cols) out[i] = bias[i % cols];
}

// dbias[j] = sum_r grad[r, j]; one thread per column, consecutive threads on consecutive columns.
template <class T>
__global__ void column_sum_kernel(const T* grad, T* dbias, int64_t rows, int64_t cols) {
  CUDA_KERNEL_LOOP(j, cols) {
    T acc = T(0);
    for (int64_t r = 0; r < rows; ++r) acc += grad[r * cols + j];
    dbias[j] = acc;
  }
}

}  // namespace

void matmul_forward(const GemmSpec& spec, const Tensor& a, const Tensor& b, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(a.dtype, "matmul", [&] {
    gemm<scalar_t>(spec, a.data<scalar_t>(), b.data<scalar_t>(), out.data<scalar_t>());
  });
}

void matmul_backward(const GemmSpec& spec_da, const GemmSpec& spec_db, const Tensor& grad,
                          const Tensor& a, const Tensor& b, Tensor& da, Tensor& db) {
  KERNELS_DISPATCH_FLOAT(a.dtype, "matmul_backward", [&] {
    using T = scalar_t;
    if (da.defined()) gemm<T>(spec_da, grad.data<T>(), b.data<T>(), da.data<T>());
    if (db.defined()) gemm<T>(spec_db, a.data<T>(), grad.data<T>(), db.data<T>());
  });
}

void linear_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) {
  const int64_t R = x.size(0), in = x.size(1), outf = weight.size(0);
  if (R == 0 || outf == 0) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, "linear", [&] {
    using T = scalar_t;
    double beta = 0.0;
    if (bias.defined()) {
      fill_rows_kernel<<<cuda::grid_for(R * outf), cuda::kBlock>>>(out.data<T>(), bias.data<T>(), R,
                                                                    outf);
      cuda::check_launch("linear");
      beta = 1.0;
    }
    // out (R,out) = x (R,in) @ weight^T (in,out) [+ out]
    gemm<T>(GemmSpec::plain(false, true, R, outf, in, in, in, outf, beta), x.data<T>(),
                 weight.data<T>(), out.data<T>());
  });
}

void linear_backward(const Tensor& grad, const Tensor& x, const Tensor& weight, Tensor& dx,
                          Tensor& dweight, Tensor& dbias) {
  const int64_t R = x.size(0), in = x.size(1), outf = weight.size(0);
  KERNELS_DISPATCH_FLOAT(x.dtype, "linear_backward", [&] {
    using T = scalar_t;
    const T* gp = grad.data<T>();
    if (dx.defined())  // dx (R,in) = dout (R,out) @ weight (out,in)
      gemm<T>(GemmSpec::plain(false, false, R, in, outf, outf, in, in, 0.0), gp, weight.data<T>(),
                   dx.data<T>());
    if (dweight.defined())  // dweight (out,in) = dout^T (out,R) @ x (R,in)
      gemm<T>(GemmSpec::plain(true, false, outf, in, R, outf, in, in, 0.0), gp, x.data<T>(),
                   dweight.data<T>());
    if (dbias.defined() && outf > 0) {
      column_sum_kernel<<<cuda::grid_for(outf), cuda::kBlock>>>(gp, dbias.data<T>(), R, outf);
      cuda::check_launch("linear_backward");
    }
  });
}

}  // namespace kernels::cuda
