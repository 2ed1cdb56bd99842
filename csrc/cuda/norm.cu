// Normalisation layers and channel dropout on CUDA; the maths is in csrc/cpu/norm.cpp's header
// comment. Accumulators are float for float32 and double for float64 (A below).
//
// Per-channel reductions (batch_norm statistics and gradient sums, the weight/bias gradients of
// layer_norm and group_norm) share two kernels over an (N, C, K) view, writing one partial state
// per (channel, slice) that a one-thread-per-channel kernel merges in a fixed order:
//   K >= kMinPlane: grid (S slices of the N rows, C channels), 256 threads walk each row's K
//     contiguous values (coalesced);
//   K <  kMinPlane: the (N, J = C K) matrix in (32 columns x 8 rows) blocks, a column per thread
//     (coalesced across the warp), S blocks of rows; a channel then merges its K columns.
// The state is Welford's (count, mean, M2) for the statistics (merged with Chan's formula, sound
// in float32), or the two sums (sum g, sum g (x - mean) rstd) for gradients. The mean / rstd of
// element (n, c) is at index n sn + c / cg: batch_norm (sn 0, cg 1), group_norm (sn G, cg C / G),
// layer_norm viewed as (R, D, 1) (sn 1, cg D).
// Outputs are written by one affine kernel, out = u k1_c + v k2_c + k0_c (y = x a + s forward,
// dx = g k1 + x k2 + k0 backward), planes or columns like the reductions.
// Row norms: one block per row (grid-stride), Welford in the block, then a second sweep writes y;
// the backward block sums (g w, g w (x - mean)) over its row and writes dx.
// feature_dropout: one thread per four feature maps draws the mask (one Philox call, dropout's
// element order), then one thread per value scales or zeroes.
#include <math_constants.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../common/dispatch.h"
#include "../common/philox.h"
#include "cuda_utils.cuh"
#include "norm.h"

namespace kernels {

namespace {

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

// ------------------------------------------------------------------ batch_norm finalizers

// Training: merge channel c's E Welford states (in double), save the statistics, update the
// running ones, and write y's coefficients (a, 0, s).
template <class T, class A>
__global__ void bn_stats_finalize_kernel(const Welford<A>* part, int64_t E, int64_t C, const T* w, const T* b,
                                         T* rm, T* rv, double momentum, double eps, T* smean, T* sinv,
                                         T* coef) {
  CUDA_KERNEL_LOOP(c, C) {
    double n = 0, mean = 0, m2 = 0;
    for (int64_t e = 0; e < E; ++e) {
      const Welford<A> p = part[c * E + e];
      const double pn = static_cast<double>(p.n);
      if (pn == 0) continue;
      const double t = n + pn, dm = static_cast<double>(p.mean) - mean;
      mean += dm * (pn / t);
      m2 += static_cast<double>(p.m2) + dm * dm * (n * pn / t);
      n = t;
    }
    const double var = n > 0 ? m2 / n : 0.0;
    const double inv = 1.0 / sqrt(var + eps);
    smean[c] = static_cast<T>(mean);
    sinv[c] = static_cast<T>(inv);
    if (rm && n > 0) {
      const double unbiased = n > 1 ? m2 / (n - 1) : CUDART_NAN;
      rm[c] = static_cast<T>((1 - momentum) * static_cast<double>(rm[c]) + momentum * mean);
      rv[c] = static_cast<T>((1 - momentum) * static_cast<double>(rv[c]) + momentum * unbiased);
    }
    const double wc = w ? static_cast<double>(w[c]) : 1.0, bc = b ? static_cast<double>(b[c]) : 0.0;
    coef[c] = static_cast<T>(wc * inv);
    coef[C + c] = T(0);
    coef[2 * C + c] = static_cast<T>(bc - mean * wc * inv);
  }
}

// Eval: the running statistics give the coefficients.
template <class T>
__global__ void bn_eval_coef_kernel(int64_t C, const T* w, const T* b, const T* rm, const T* rv, double eps,
                                    T* smean, T* sinv, T* coef) {
  CUDA_KERNEL_LOOP(c, C) {
    const double mean = static_cast<double>(rm[c]);
    const double inv = 1.0 / sqrt(static_cast<double>(rv[c]) + eps);
    smean[c] = static_cast<T>(mean);
    sinv[c] = static_cast<T>(inv);
    const double wc = w ? static_cast<double>(w[c]) : 1.0, bc = b ? static_cast<double>(b[c]) : 0.0;
    coef[c] = static_cast<T>(wc * inv);
    coef[C + c] = T(0);
    coef[2 * C + c] = static_cast<T>(bc - mean * wc * inv);
  }
}

// Backward: channel c's sums (E partials; none when only an eval dx is wanted) -> dweight,
// dbias and dx's coefficients.
template <class T, class A>
__global__ void bn_grad_finalize_kernel(const Sums2<A>* part, int64_t E, int64_t C, double M, bool training,
                                        const T* w, const T* smean, const T* sinv, T* dw, T* db, T* coef) {
  CUDA_KERNEL_LOOP(c, C) {
    double sg = 0, sgx = 0;
    for (int64_t e = 0; e < E; ++e) {
      sg += static_cast<double>(part[c * E + e].a);
      sgx += static_cast<double>(part[c * E + e].b);
    }
    const double inv = static_cast<double>(sinv[c]), mean = static_cast<double>(smean[c]);
    if (db) db[c] = static_cast<T>(sg);
    if (dw) dw[c] = static_cast<T>(sgx * inv);
    const double wi = (w ? static_cast<double>(w[c]) : 1.0) * inv;
    double k2 = 0, k0 = 0;
    if (training && M > 0) {
      k2 = -wi * inv * inv * sgx / M;
      k0 = -wi * sg / M - k2 * mean;
    }
    coef[c] = static_cast<T>(wi);
    coef[C + c] = static_cast<T>(k2);
    coef[2 * C + c] = static_cast<T>(k0);
  }
}

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

int row_block(int64_t D) {
  int b = 32;
  while (b < D && b < 512) b <<= 1;
  return b;
}

unsigned row_grid(int64_t R) { return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(R, 1 << 20))); }

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

// ------------------------------------------------------------------ feature dropout

__global__ void feature_mask_kernel(bool* mask, int64_t F, double p, uint64_t seed, uint64_t call) {
  CUDA_KERNEL_LOOP(k, (F + 3) / 4) {
    const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(k), call);
#pragma unroll
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t f = 4 * k + lane;
      if (f < F) mask[f] = r.v[lane] * (1.0 / 4294967296.0) >= p;
    }
  }
}

template <class T>
__global__ void feature_scale_kernel(const T* x, const bool* mask, T* out, int64_t n, int64_t K, T scale) {
  CUDA_KERNEL_LOOP(i, n) out[i] = mask[i / K] ? x[i] * scale : T(0);
}

template <class T>
const T* opt_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
template <class T>
T* out_data(Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
using AccOf = typename std::conditional<std::is_same<T, double>::value, double, float>::type;

}  // namespace

void batch_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, bool training,
                             double momentum, double eps, const BatchNormDims& d, Tensor& out,
                             Tensor& save_mean, Tensor& save_invstd) {
  cuda::DeviceGuard guard(x.device().index);
  Tensor coef = Tensor::empty({3 * d.C}, x.dtype, x.device());
  KERNELS_DISPATCH_FLOAT(x.dtype, "batch_norm", [&] {
    using T = scalar_t;
    using A = AccOf<T>;
    const unsigned cgrid = cuda::grid_for(d.C);
    if (training) {
      Tensor buf;
      const int64_t E = channel_reduce<T, StatsOp<A>>(x.data<T>(), nullptr, nullptr, nullptr, StatIndex{0, 1},
                                                     d.N, d.C, d.K, x.device(), buf);
      bn_stats_finalize_kernel<T, A><<<cgrid, cuda::kBlock>>>(
          static_cast<const Welford<A>*>(buf.raw_data()), E, d.C, opt_data<T>(weight), opt_data<T>(bias),
          running_mean.defined() ? running_mean.data<T>() : nullptr,
          running_var.defined() ? running_var.data<T>() : nullptr, momentum, eps, save_mean.data<T>(),
          save_invstd.data<T>(), coef.data<T>());
    } else {
      bn_eval_coef_kernel<T><<<cgrid, cuda::kBlock>>>(d.C, opt_data<T>(weight), opt_data<T>(bias),
                                                      running_mean.data<T>(), running_var.data<T>(), eps,
                                                      save_mean.data<T>(), save_invstd.data<T>(), coef.data<T>());
    }
    cuda::check_launch("batch_norm");
    channel_apply<T>(x.data<T>(), nullptr, out.data<T>(), coef.data<T>(), d);
  });
}

void batch_norm_backward_cuda(const Tensor& grad, const Tensor& x, const Tensor& weight,
                              const Tensor& save_mean, const Tensor& save_invstd, bool training,
                              const BatchNormDims& d, Tensor& dx, Tensor& dweight, Tensor& dbias) {
  cuda::DeviceGuard guard(x.device().index);
  Tensor coef = Tensor::empty({3 * d.C}, x.dtype, x.device());
  const bool sums = dweight.defined() || dbias.defined() || (dx.defined() && training);
  KERNELS_DISPATCH_FLOAT(x.dtype, "batch_norm_backward", [&] {
    using T = scalar_t;
    using A = AccOf<T>;
    Tensor buf;
    int64_t E = 0;
    if (sums)
      E = channel_reduce<T, GradOp<A>>(x.data<T>(), grad.data<T>(), save_mean.data<T>(), nullptr,
                                       StatIndex{0, 1}, d.N, d.C, d.K, x.device(), buf);
    bn_grad_finalize_kernel<T, A><<<cuda::grid_for(d.C), cuda::kBlock>>>(
        sums ? static_cast<const Sums2<A>*>(buf.raw_data()) : nullptr, E, d.C,
        static_cast<double>(d.N * d.K), training, opt_data<T>(weight), save_mean.data<T>(),
        save_invstd.data<T>(), out_data<T>(dweight), out_data<T>(dbias), coef.data<T>());
    cuda::check_launch("batch_norm_backward");
    if (dx.defined()) channel_apply<T>(grad.data<T>(), x.data<T>(), dx.data<T>(), coef.data<T>(), d);
  });
}

void row_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                           const RowNormDims& d, Tensor& out, Tensor& mean, Tensor& rstd) {
  if (d.R == 0) return;
  cuda::DeviceGuard guard(x.device().index);
  KERNELS_DISPATCH_FLOAT(x.dtype, "row_norm", [&] {
    using T = scalar_t;
    row_forward_kernel<T, AccOf<T>><<<row_grid(d.R), row_block(d.D())>>>(
        x.data<T>(), opt_data<T>(weight), opt_data<T>(bias), d.R, d.G, d.S, d.L, eps, out.data<T>(),
        mean.data<T>(), rstd.data<T>());
  });
  cuda::check_launch("row_norm");
}

void row_norm_backward_cuda(const Tensor& grad, const Tensor& x, const Tensor& weight,
                            const Tensor& mean, const Tensor& rstd, const RowNormDims& d, Tensor& dx,
                            Tensor& dweight, Tensor& dbias) {
  cuda::DeviceGuard guard(x.device().index);
  KERNELS_DISPATCH_FLOAT(x.dtype, "row_norm_backward", [&] {
    using T = scalar_t;
    using A = AccOf<T>;
    if (dx.defined() && d.R > 0) {
      row_backward_kernel<T, A><<<row_grid(d.R), row_block(d.D())>>>(
          grad.data<T>(), x.data<T>(), opt_data<T>(weight), mean.data<T>(), rstd.data<T>(), d.R, d.G, d.S,
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
        static_cast<const Sums2<A>*>(buf.raw_data()), E, nch, out_data<T>(dweight), out_data<T>(dbias));
    cuda::check_launch("row_norm_backward");
  });
}

void feature_dropout_forward_cuda(const Tensor& x, double p, uint64_t seed, uint64_t call, int64_t F,
                                  int64_t K, Tensor& out, Tensor& mask) {
  cuda::DeviceGuard guard(x.device().index);
  feature_mask_kernel<<<cuda::grid_for((F + 3) / 4), cuda::kBlock>>>(mask.data<bool>(), F, p, seed, call);
  cuda::check_launch("feature_dropout");
  const int64_t n = F * K;
  if (!n) return;
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  KERNELS_DISPATCH_FLOAT(x.dtype, "feature_dropout", [&] {
    using T = scalar_t;
    feature_scale_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(x.data<T>(), mask.data<bool>(), out.data<T>(),
                                                                 n, K, static_cast<T>(scale));
  });
  cuda::check_launch("feature_dropout");
}

void feature_dropout_backward_cuda(const Tensor& grad, const Tensor& mask, double scale, int64_t F,
                                   int64_t K, Tensor& dx) {
  const int64_t n = F * K;
  if (!n) return;
  cuda::DeviceGuard guard(grad.device().index);
  KERNELS_DISPATCH_FLOAT(grad.dtype, "feature_dropout_backward", [&] {
    using T = scalar_t;
    feature_scale_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(grad.data<T>(), mask.data<bool>(), dx.data<T>(),
                                                                 n, K, static_cast<T>(scale));
  });
  cuda::check_launch("feature_dropout_backward");
}

}  // namespace kernels
