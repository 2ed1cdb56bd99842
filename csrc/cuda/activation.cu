// Activations on CUDA; the maths is in csrc/cpu/activation.cpp's header comment and the scalar
// functors in csrc/common/activation_math.h (shared with the CPU).
//   pointwise:  one thread per element (grid-stride).
//   softmax / log_softmax, x viewed as (outer, D, inner):
//     inner == 1: one block per row; threads stride over D, block reductions give the max and
//                 the sum (the row is read three times, from L2 after the first).
//     inner > 1:  one thread per (o, i) column walks D with stride inner, so neighbouring
//                 threads read neighbouring addresses.
#include <cmath>

#include "../common/activation_dispatch.h"
#include "../common/dispatch.h"
#include "../contracts/activation.h"
#include "block_reduce.cuh"
#include "cuda_utils.cuh"

namespace kernels::cuda {

namespace {

template <class F, class T>
__global__ void act_fwd_kernel(const T* x, T* o, int64_t n, F f) {
  CUDA_KERNEL_LOOP(i, n) o[i] = f.fwd(x[i]);
}

template <class F, class T>
__global__ void act_bwd_kernel(const T* g, const T* s, T* d, int64_t n, F f) {
  CUDA_KERNEL_LOOP(i, n) d[i] = f.bwd(g[i], s[i]);
}

// The activation loops policy of csrc/common/activation_dispatch.h.
struct CudaActLoops {
  template <class T, class F>
  static void fwd(const char* op, const Tensor& x, const T* xp, T* o, int64_t n, const F& f) {
    if (!n) return;
    act_fwd_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(xp, o, n, f);
    cuda::check_launch(op);
  }
  template <class T, class F>
  static void bwd(const char* op, const Tensor& grad, const T* g, const T* s, T* d, int64_t n,
                  const F& f) {
    if (!n) return;
    act_bwd_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(g, s, d, n, f);
    cuda::check_launch(op);
  }
};

template <class T>
__device__ __forceinline__ T neg_inf() {
  return -INFINITY;
}

template <class T, bool kLog>
__global__ void softmax_rows_kernel(const T* x, T* y, int64_t outer, int64_t D) {
  for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
    const T* xr = x + r * D;
    T* yr = y + r * D;
    T m = neg_inf<T>();
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x) m = cuda::MaxOp()(m, xr[d]);
    m = cuda::block_reduce(m, cuda::MaxOp(), neg_inf<T>());
    T s = 0;
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x) s += act::k_exp(xr[d] - m);
    s = cuda::block_reduce(s, cuda::SumOp(), T(0));
    if (kLog) {
      const T ls = act::k_log(s);  // (x - m) - log(s): see the CPU kernel
      for (int64_t d = threadIdx.x; d < D; d += blockDim.x) yr[d] = (xr[d] - m) - ls;
    } else {
      const T inv = T(1) / s;
      for (int64_t d = threadIdx.x; d < D; d += blockDim.x) yr[d] = act::k_exp(xr[d] - m) * inv;
    }
  }
}

template <class T, bool kLog>
__global__ void softmax_cols_kernel(const T* x, T* y, int64_t outer, int64_t D, int64_t inner) {
  CUDA_KERNEL_LOOP(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const T* xc = x + o * D * inner + i;
    T* yc = y + o * D * inner + i;
    T m = neg_inf<T>();
    for (int64_t d = 0; d < D; ++d) m = cuda::MaxOp()(m, xc[d * inner]);
    T s = 0;
    for (int64_t d = 0; d < D; ++d) s += act::k_exp(xc[d * inner] - m);
    if (kLog) {
      const T ls = act::k_log(s);
      for (int64_t d = 0; d < D; ++d) yc[d * inner] = (xc[d * inner] - m) - ls;
    } else {
      const T inv = T(1) / s;
      for (int64_t d = 0; d < D; ++d) yc[d * inner] = act::k_exp(xc[d * inner] - m) * inv;
    }
  }
}

// softmax: c = sum_d g y, dx = y (g - c).  log_softmax: c = sum_d g, dx = g - exp(y) c.
template <class T, bool kLog>
__global__ void softmax_bwd_rows_kernel(const T* g, const T* y, T* dx, int64_t outer, int64_t D) {
  for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
    const T* gr = g + r * D;
    const T* yr = y + r * D;
    T* dr = dx + r * D;
    T c = 0;
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x) c += kLog ? gr[d] : gr[d] * yr[d];
    c = cuda::block_reduce(c, cuda::SumOp(), T(0));
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x)
      dr[d] = kLog ? gr[d] - act::k_exp(yr[d]) * c : yr[d] * (gr[d] - c);
  }
}

template <class T, bool kLog>
__global__ void softmax_bwd_cols_kernel(const T* g, const T* y, T* dx, int64_t outer, int64_t D,
                                        int64_t inner) {
  CUDA_KERNEL_LOOP(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const int64_t base = o * D * inner + i;
    T c = 0;
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = base + d * inner;
      c += kLog ? g[k] : g[k] * y[k];
    }
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = base + d * inner;
      dx[k] = kLog ? g[k] - act::k_exp(y[k]) * c : y[k] * (g[k] - c);
    }
  }
}

template <bool kLog>
void softmax_fwd(const char* op, const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out) {
  if (!x.numel()) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, op, [&] {
    const scalar_t* xp = x.data<scalar_t>();
    scalar_t* yp = out.data<scalar_t>();
    if (inner == 1) {
      softmax_rows_kernel<scalar_t, kLog><<<cuda::row_grid(outer), cuda::row_block(D)>>>(xp, yp, outer, D);
    } else {
      softmax_cols_kernel<scalar_t, kLog>
          <<<cuda::grid_for(outer * inner), cuda::kBlock>>>(xp, yp, outer, D, inner);
    }
  });
  cuda::check_launch(op);
}

template <bool kLog>
void softmax_bwd(const char* op, const Tensor& grad, const Tensor& y, int64_t outer, int64_t D,
                 int64_t inner, Tensor& dx) {
  if (!grad.numel()) return;
  KERNELS_DISPATCH_FLOAT(grad.dtype, op, [&] {
    const scalar_t* gp = grad.data<scalar_t>();
    const scalar_t* yp = y.data<scalar_t>();
    scalar_t* dp = dx.data<scalar_t>();
    if (inner == 1) {
      softmax_bwd_rows_kernel<scalar_t, kLog><<<cuda::row_grid(outer), cuda::row_block(D)>>>(gp, yp, dp, outer, D);
    } else {
      softmax_bwd_cols_kernel<scalar_t, kLog>
          <<<cuda::grid_for(outer * inner), cuda::kBlock>>>(gp, yp, dp, outer, D, inner);
    }
  });
  cuda::check_launch(op);
}

}  // namespace

KERNELS_DEFINE_POINTWISE_ACTIVATIONS(CudaActLoops)

void softmax_forward(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out) {
  softmax_fwd<false>("softmax", x, outer, D, inner, out);
}
void softmax_backward(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D,
                           int64_t inner, Tensor& dx) {
  softmax_bwd<false>("softmax_backward", grad, y, outer, D, inner, dx);
}
void log_softmax_forward(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out) {
  softmax_fwd<true>("log_softmax", x, outer, D, inner, out);
}
void log_softmax_backward(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D,
                               int64_t inner, Tensor& dx) {
  softmax_bwd<true>("log_softmax_backward", grad, y, outer, D, inner, dx);
}

}  // namespace kernels::cuda
