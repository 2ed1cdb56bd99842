// The per-channel reductions and affine outputs that the CUDA batch_norm (statistics, gradient
// sums) and layer_norm / group_norm (weight and bias gradients) kernels share, over an (N, C, K)
// view; see batch_norm.cu's header comment for the launch plans. Include only from .cu files.
#pragma once
#include <math_constants.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../common/tensor.h"
#include "../contracts/batch_norm.h"
#include "cuda_utils.cuh"

namespace kernels::cuda::norm_detail {

constexpr int64_t kMinPlane = 16;
constexpr int kPlaneThreads = 256;
constexpr int64_t kTargetBlocks = 512;  // enough blocks to fill the GPU for the reductions
constexpr int64_t kMinSlice = 4096;     // values per reduction block at least, when splitting

template <class A>
struct Welford {
  A n, mean, m2;
};
template <class A>
struct Sums2 {
  A a, b;
};

template <class A>
__device__ __forceinline__ Welford<A> merge(const Welford<A>& x, const Welford<A>& y) {
  if (y.n == A(0)) return x;
  if (x.n == A(0)) return y;
  const A n = x.n + y.n, d = y.mean - x.mean, f = y.n / n;
  return Welford<A>{n, x.mean + d * f, x.m2 + y.m2 + d * d * x.n * f};
}
template <class A>
__device__ __forceinline__ Sums2<A> merge(const Sums2<A>& x, const Sums2<A>& y) {
  return Sums2<A>{x.a + y.a, x.b + y.b};
}
template <class A>
__device__ __forceinline__ Welford<A> shfl_down(const Welford<A>& v, int off) {
  return Welford<A>{__shfl_down_sync(0xffffffffu, v.n, off), __shfl_down_sync(0xffffffffu, v.mean, off),
                    __shfl_down_sync(0xffffffffu, v.m2, off)};
}
template <class A>
__device__ __forceinline__ Sums2<A> shfl_down(const Sums2<A>& v, int off) {
  return Sums2<A>{__shfl_down_sync(0xffffffffu, v.a, off), __shfl_down_sync(0xffffffffu, v.b, off)};
}

// Welford's update with one value.
template <class A>
__device__ __forceinline__ void welford_add(Welford<A>& s, A x) {
  s.n += A(1);
  const A d = x - s.mean;
  s.mean += d / s.n;
  s.m2 += d * (x - s.mean);
}

// Statistics of x.
template <class A>
struct StatsOp {
  using Acc = A;
  using State = Welford<A>;
  __device__ static State init() { return State{A(0), A(0), A(0)}; }
  template <class T>
  __device__ static void add(State& s, T x, T, A, A) {
    welford_add(s, static_cast<A>(x));
  }
};

// sum g and sum g (x - m) r.
template <class A>
struct GradOp {
  using Acc = A;
  using State = Sums2<A>;
  __device__ static State init() { return State{A(0), A(0)}; }
  template <class T>
  __device__ static void add(State& s, T x, T g, A m, A r) {
    const A ga = static_cast<A>(g);
    s.a += ga;
    s.b += ga * (static_cast<A>(x) - m) * r;
  }
};

// A 1-D block's merge of one state per thread; the result is valid in thread 0. blockDim.x is a
// multiple of 32; every thread must call it.
template <class State>
__device__ State block_merge(State v, const State& identity) {
  __shared__ State shm[32];
  for (int off = 16; off > 0; off >>= 1) v = merge(v, shfl_down(v, off));
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  __syncthreads();  // an earlier call's readers are done with shm
  if (lane == 0) shm[wid] = v;
  __syncthreads();
  if (wid == 0) {
    v = lane < static_cast<int>((blockDim.x + 31) >> 5) ? shm[lane] : identity;
    for (int off = 16; off > 0; off >>= 1) v = merge(v, shfl_down(v, off));
  }
  return v;
}

// ------------------------------------------------------------------ per-channel reductions

// Statistics index of element (n, c): n sn + c / cg (see the header comment).
struct StatIndex {
  int64_t sn, cg;
  __device__ int64_t operator()(int64_t n, int64_t c) const { return n * sn + c / cg; }
};

template <class T, class Op>
__global__ void reduce_planes_kernel(const T* x, const T* g, const T* mean, const T* rstd, StatIndex si,
                                     int64_t N, int64_t C, int64_t K, typename Op::State* part) {
  using State = typename Op::State;
  using A = typename Op::Acc;
  const int64_t S = gridDim.x;
  for (int64_t c = blockIdx.y; c < C; c += gridDim.y) {
    const int64_t n0 = N * blockIdx.x / S, n1 = N * (blockIdx.x + 1) / S;
    State s = Op::init();
    for (int64_t n = n0; n < n1; ++n) {
      const int64_t base = (n * C + c) * K, i = si(n, c);
      const A m = mean ? static_cast<A>(mean[i]) : A(0), r = rstd ? static_cast<A>(rstd[i]) : A(1);
      for (int64_t k = threadIdx.x; k < K; k += blockDim.x) Op::add(s, x[base + k], g ? g[base + k] : T(0), m, r);
    }
    s = block_merge(s, Op::init());
    if (threadIdx.x == 0) part[c * S + blockIdx.x] = s;
  }
}

template <class T, class Op>
__global__ void reduce_columns_kernel(const T* x, const T* g, const T* mean, const T* rstd, StatIndex si,
                                      int64_t N, int64_t C, int64_t K, typename Op::State* part) {
  using State = typename Op::State;
  using A = typename Op::Acc;
  __shared__ State shm[8][32];
  const int64_t J = C * K, S = gridDim.y;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * 32 + threadIdx.x;
  State s = Op::init();
  if (j < J) {
    const int64_t c = j / K;
    for (int64_t n = static_cast<int64_t>(blockIdx.y) * 8 + threadIdx.y; n < N; n += 8 * S) {
      const int64_t i = si(n, c);
      const A m = mean ? static_cast<A>(mean[i]) : A(0), r = rstd ? static_cast<A>(rstd[i]) : A(1);
      Op::add(s, x[n * J + j], g ? g[n * J + j] : T(0), m, r);
    }
  }
  shm[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && j < J) {
    for (int t = 1; t < 8; ++t) s = merge(s, shm[t][threadIdx.x]);
    part[j * S + blockIdx.y] = s;
  }
}


// Launches the reduction of (x, g) over each channel of the (N, C, K) view. Returns the partial
// states (C E of them, channel c's at [c E, (c + 1) E)) in `buf` and E.
template <class T, class Op>
int64_t channel_reduce(const T* x, const T* g, const T* mean, const T* rstd, StatIndex si, int64_t N,
                       int64_t C, int64_t K, Device dev, Tensor& buf) {
  using State = typename Op::State;
  auto alloc = [&](int64_t n) {
    const int64_t words = (n * static_cast<int64_t>(sizeof(State)) + 7) / 8;
    buf = Tensor::empty({std::max<int64_t>(words, 1)}, DType::Float64, dev);
    return static_cast<State*>(buf.raw_data());
  };
  if (K >= kMinPlane || N * K == 0) {
    int64_t S = (kTargetBlocks + C - 1) / C;
    S = std::max<int64_t>(1, std::min({S, N, N * K / kMinSlice, int64_t(65535)}));
    State* part = alloc(C * S);
    const dim3 grid(static_cast<unsigned>(S), static_cast<unsigned>(std::min<int64_t>(C, 65535)));
    reduce_planes_kernel<T, Op><<<grid, kPlaneThreads>>>(x, g, mean, rstd, si, N, C, K, part);
    cuda::check_launch("norm reduce");
    return S;
  }
  const int64_t J = C * K, gx = (J + 31) / 32;
  int64_t S = (kTargetBlocks + gx - 1) / gx;
  S = std::max<int64_t>(1, std::min({S, (N + 7) / 8, int64_t(65535)}));
  State* part = alloc(J * S);
  reduce_columns_kernel<T, Op><<<dim3(static_cast<unsigned>(gx), static_cast<unsigned>(S)), dim3(32, 8)>>>(
      x, g, mean, rstd, si, N, C, K, part);
  cuda::check_launch("norm reduce");
  return K * S;
}

// ------------------------------------------------------------------ per-channel affine outputs

// out = u k1_c + v k2_c + k0_c (v may be null), coef = [k1 (C), k2 (C), k0 (C)].
template <class T>
__global__ void apply_planes_kernel(const T* u, const T* v, T* out, const T* coef, int64_t NC, int64_t C,
                                    int64_t K) {
  for (int64_t p = blockIdx.x; p < NC; p += gridDim.x) {
    const int64_t c = p % C;
    const T k1 = coef[c], k2 = coef[C + c], k0 = coef[2 * C + c];
    const int64_t base = p * K;
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x)
      out[base + k] = u[base + k] * k1 + (v ? v[base + k] * k2 : T(0)) + k0;
  }
}

template <class T>
__global__ void apply_columns_kernel(const T* u, const T* v, T* out, const T* coef, int64_t N, int64_t C,
                                     int64_t K) {
  const int64_t J = C * K;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * 32 + threadIdx.x; j < J; j += 32 * static_cast<int64_t>(gridDim.x)) {
    const int64_t c = j / K;
    const T k1 = coef[c], k2 = coef[C + c], k0 = coef[2 * C + c];
    for (int64_t n = static_cast<int64_t>(blockIdx.y) * 8 + threadIdx.y; n < N; n += 8 * static_cast<int64_t>(gridDim.y))
      out[n * J + j] = u[n * J + j] * k1 + (v ? v[n * J + j] * k2 : T(0)) + k0;
  }
}

template <class T>
void channel_apply(const T* u, const T* v, T* out, const T* coef, const BatchNormDims& d) {
  if (d.N * d.C * d.K == 0) return;
  if (d.K >= kMinPlane) {
    const int64_t NC = d.N * d.C;
    apply_planes_kernel<T><<<static_cast<unsigned>(std::min<int64_t>(NC, 1 << 20)), kPlaneThreads>>>(
        u, v, out, coef, NC, d.C, d.K);
  } else {
    const int64_t gx = std::min<int64_t>((d.C * d.K + 31) / 32, 1 << 20);
    const int64_t gy = std::min<int64_t>((d.N + 7) / 8, 65535);
    apply_columns_kernel<T><<<dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy)), dim3(32, 8)>>>(
        u, v, out, coef, d.N, d.C, d.K);
  }
  cuda::check_launch("norm apply");
}

template <class T>
using AccOf = typename std::conditional<std::is_same<T, double>::value, double, float>::type;

}  // namespace kernels::cuda::norm_detail
