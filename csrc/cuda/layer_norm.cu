// Layer and group normalisation on CUDA (the row kernels); the maths is in
// csrc/cpu/layer_norm.cpp's header comment. Accumulators are float for float32, double for float64.
// Row norms: one block per row (grid-stride), Welford in the block, then a second sweep writes y;
// the backward block sums (g w, g w (x - mean)) over its row and writes dx.
// The weight and bias gradients are per-channel reductions shared with batch_norm (norm_reduce.cuh).
#include "../common/dispatch.h"
#include "../contracts/layer_norm.h"
#include "norm_reduce.cuh"

namespace kernels::cuda {

namespace {

using namespace norm_detail;

// Row norms' weight and bias gradients: dweight_c = sum b (g xhat), dbias_c = sum a (g).
template <class T, class A>
__global__ void affine_grad_finalize_kernel(const Sums2<A>* part, int64_t E, int64_t C, T* dw, T* db) {
  CUDA_KERNEL_LOOP(c, C) {
    double sg = 0, sgx = 0;
    for (int64_t e = 0; e < E; ++e) {
      sg += static_cast<double>(part[c * E + e].a);
      sgx += static_cast<double>(part[c * E + e].b);
    }
    if (dw) dw[c] = static_cast<T>(sgx);
    if (db) db[c] = static_cast<T>(sg);
  }
}

// ------------------------------------------------------------------ row norms

// Affine channel of value i of row r.
__device__ __forceinline__ int64_t row_channel(int64_t r, int64_t i, int64_t G, int64_t S, int64_t L) {
  return (r % G) * S + (L == 1 ? i : i / L);
}

template <class T, class A>
__global__ void row_forward_kernel(const T* x, const T* w, const T* b, int64_t R, int64_t G, int64_t S,
                                   int64_t L, double eps, T* y, T* mean, T* rstd) {
  __shared__ A stat[2];
  const int64_t D = S * L;
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const T* xr = x + r * D;
    Welford<A> s{A(0), A(0), A(0)};
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) welford_add(s, static_cast<A>(xr[i]));
    s = block_merge(s, Welford<A>{A(0), A(0), A(0)});
    if (threadIdx.x == 0) {
      const double m = s.n > A(0) ? static_cast<double>(s.mean) : CUDART_NAN;
      const double var = s.n > A(0) ? static_cast<double>(s.m2) / static_cast<double>(s.n) : CUDART_NAN;
      const double rs = 1.0 / sqrt(var + eps);
      mean[r] = static_cast<T>(m);
      rstd[r] = static_cast<T>(rs);
      stat[0] = static_cast<A>(m);
      stat[1] = static_cast<A>(rs);
    }
    __syncthreads();
    const A m = stat[0], rs = stat[1];
    T* yr = y + r * D;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const int64_t ch = row_channel(r, i, G, S, L);
      const A wv = w ? static_cast<A>(w[ch]) : A(1), bv = b ? static_cast<A>(b[ch]) : A(0);
      yr[i] = static_cast<T>((static_cast<A>(xr[i]) - m) * rs * wv + bv);
    }
    __syncthreads();  // stat is rewritten for the next row
  }
}

// dx = rs (g w - A / D - (x - m) rs^2 B / D), A = sum g w, B = sum g w (x - m) over the row.
template <class T, class A>
__global__ void row_backward_kernel(const T* g, const T* x, const T* w, const T* mean, const T* rstd,
                                    int64_t R, int64_t G, int64_t S, int64_t L, T* dx) {
  __shared__ A stat[2];
  const int64_t D = S * L;
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const T* gr = g + r * D;
    const T* xr = x + r * D;
    const A m = static_cast<A>(mean[r]), rs = static_cast<A>(rstd[r]);
    Sums2<A> s{A(0), A(0)};
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const A wv = w ? static_cast<A>(w[row_channel(r, i, G, S, L)]) : A(1);
      const A dxh = static_cast<A>(gr[i]) * wv;
      s.a += dxh;
      s.b += dxh * (static_cast<A>(xr[i]) - m);
    }
    s = block_merge(s, Sums2<A>{A(0), A(0)});
    if (threadIdx.x == 0) {
      stat[0] = s.a / static_cast<A>(D);
      stat[1] = s.b * rs * rs / static_cast<A>(D);
    }
    __syncthreads();
    const A a = stat[0], bq = stat[1];
    T* dr = dx + r * D;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const A wv = w ? static_cast<A>(w[row_channel(r, i, G, S, L)]) : A(1);
      dr[i] = static_cast<T>(rs * (static_cast<A>(gr[i]) * wv - a - (static_cast<A>(xr[i]) - m) * bq));
    }
    __syncthreads();
  }
}

}  // namespace

void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                           const RowNormDims& d, Tensor& out, Tensor& mean, Tensor& rstd) {
  if (d.R == 0) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, "row_norm", [&] {
    using T = scalar_t;
    row_forward_kernel<T, AccOf<T>><<<cuda::row_grid(d.R), cuda::row_block(d.D(), 512)>>>(
        x.data<T>(), weight.data_or_null<T>(), bias.data_or_null<T>(), d.R, d.G, d.S, d.L, eps, out.data<T>(),
        mean.data<T>(), rstd.data<T>());
  });
  cuda::check_launch("row_norm");
}

void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                            const Tensor& mean, const Tensor& rstd, const RowNormDims& d, Tensor& dx,
                            Tensor& dweight, Tensor& dbias) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "row_norm_backward", [&] {
    using T = scalar_t;
    using A = AccOf<T>;
    if (dx.defined() && d.R > 0) {
      row_backward_kernel<T, A><<<cuda::row_grid(d.R), cuda::row_block(d.D(), 512)>>>(
          grad.data<T>(), x.data<T>(), weight.data_or_null<T>(), mean.data<T>(), rstd.data<T>(), d.R, d.G, d.S,
          d.L, dx.data<T>());
      cuda::check_launch("row_norm_backward");
    }
    if (!dweight.defined() && !dbias.defined()) return;
    // The affine channels as an (N, C, K) view: layer_norm (R, D, 1) with stats per row;
    // group_norm (R / G, G S, L) with stats per (sample, group).
    const int64_t nch = d.G * d.S;
    if (nch == 0) return;
    const int64_t N = d.R / d.G;
    const StatIndex si = d.L == 1 && d.G == 1 ? StatIndex{1, std::max<int64_t>(nch, 1)} : StatIndex{d.G, std::max<int64_t>(d.S, 1)};
    Tensor buf;
    const int64_t E = channel_reduce<T, GradOp<A>>(x.data<T>(), grad.data<T>(), mean.data<T>(), rstd.data<T>(),
                                                   si, N, nch, d.L, x.device(), buf);
    affine_grad_finalize_kernel<T, A><<<cuda::grid_for(nch), cuda::kBlock>>>(
        static_cast<const Sums2<A>*>(buf.raw_data()), E, nch, dweight.data_or_null<T>(), dbias.data_or_null<T>());
    cuda::check_launch("row_norm_backward");
  });
}

}  // namespace kernels::cuda
