// Losses on CUDA; the maths is in csrc/cpu/loss.cpp's header comment and the pointwise functors
// in csrc/common/activation_math.h (shared with the CPU).
//   cross_entropy forward: K == 1: one block per row of C classes (block reductions for the max
//       and the sums); K > 1: one thread per position walks the C classes with stride K. Each
//       writes lse and the position's loss and weight w_t; a one-block kernel then sums the
//       weights (W) and, when reducing, the losses, in double and in a fixed order.
//   cross_entropy / nll_loss backward: one thread per element of dinput (N, C, K).
//   pointwise losses: one thread per element; when reducing, each block writes a partial sum
//       (double) and a one-block kernel adds the partials in order and scales.
// Labels outside [0, C) (other than ignore_index) and bce inputs outside [0, 1] are recorded in a
// small device buffer (flag, value) that the launcher copies back (a synchronising copy).
#include <algorithm>
#include <cmath>
#include <optional>

#include "../common/loss_math.h"
#include "../common/cuda_backend.h"
#include "../common/dispatch.h"
#include "block_reduce.cuh"
#include "cuda_utils.cuh"
#include "../contracts/loss.h"

namespace kernels::cuda {

namespace {

constexpr int kFinalThreads = 1024;

struct DeviceFlag {
  Tensor buf;
  explicit DeviceFlag(Device d) : buf(Tensor::empty({2}, DType::Int64, d)) {
    CUDA_CHECK(cudaMemset(buf.raw_data(), 0, 2 * sizeof(int64_t)));
  }
  int64_t* ptr() const { return buf.data<int64_t>(); }
  LabelFault fetch() const {
    int64_t h[2] = {0, 0};
    cuda::copy_device_to_host(h, buf.raw_data(), sizeof(h), buf.device().index);
    return LabelFault{h[0] != 0, h[1]};
  }
};

__device__ __forceinline__ void report(int64_t* f, int64_t value) {
  if (atomicCAS(reinterpret_cast<unsigned long long*>(f), 0ull, 1ull) == 0ull) f[1] = value;
}

__device__ __forceinline__ bool bad_label(int64_t t, int64_t C, int64_t ignore_index) {
  return t != ignore_index && (t < 0 || t >= C);
}

// The loss of one position from its max m, sum s = sum_c exp(x_c - m) and sm = sum_c w_c (m - x_c);
// stats (2, P) keeps m and log(s) apart (their float sum loses log(s) when |m| is large).
template <class T>
__device__ __forceinline__ void ce_position(const T* xr, int64_t K, const T* w, int64_t C, int64_t tp,
                                            int64_t ignore_index, double eps, T m, T s, double sm,
                                            double wsum, int64_t p, int64_t P, T* stats, T* loss,
                                            T* wts) {
  const T ls = act::k_log(s);
  stats[p] = m;
  stats[P + p] = ls;
  if (tp == ignore_index || tp < 0 || tp >= C) {
    loss[p] = T(0);
    wts[p] = T(0);
    return;
  }
  const double wt = w ? static_cast<double>(w[tp]) : 1.0;
  double v = (1.0 - eps) * wt * (static_cast<double>(m - xr[tp * K]) + static_cast<double>(ls));
  if (eps > 0) v += eps / static_cast<double>(C) * (wsum * static_cast<double>(ls) + sm);
  loss[p] = static_cast<T>(v);
  wts[p] = static_cast<T>(wt);
}

template <class T>
__device__ double weight_sum(const T* w, int64_t C, int64_t from, int64_t step) {
  double s = 0;
  for (int64_t c = from; c < C; c += step) s += w ? static_cast<double>(w[c]) : 1.0;
  return s;
}

template <class T>
__global__ void ce_rows_kernel(const T* x, const int64_t* t, const T* w, int64_t P, int64_t C,
                               int64_t ignore_index, double eps, T* lse, T* loss, T* wts,
                               int64_t* fault) {
  for (int64_t p = blockIdx.x; p < P; p += gridDim.x) {
    const T* xr = x + p * C;
    T m = -INFINITY;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) m = cuda::MaxOp()(m, xr[c]);
    m = cuda::block_reduce(m, cuda::MaxOp(), T(-INFINITY));
    T s = 0;
    double sm = 0, ws = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      s += act::k_exp(xr[c] - m);
      if (eps > 0) {
        const double wc = w ? static_cast<double>(w[c]) : 1.0;
        sm += wc * static_cast<double>(m - xr[c]);
        ws += wc;
      }
    }
    s = cuda::block_reduce(s, cuda::SumOp(), T(0));
    if (eps > 0) {
      sm = cuda::block_reduce(sm, cuda::SumOp(), 0.0);
      ws = cuda::block_reduce(ws, cuda::SumOp(), 0.0);
    }
    if (threadIdx.x == 0) {
      const int64_t tp = t[p];
      if (bad_label(tp, C, ignore_index)) report(fault, tp);
      ce_position(xr, 1, w, C, tp, ignore_index, eps, m, s, sm, ws, p, P, lse, loss, wts);
    }
  }
}

template <class T>
__global__ void ce_cols_kernel(const T* x, const int64_t* t, const T* w, int64_t P, int64_t C,
                               int64_t K, int64_t ignore_index, double eps, T* lse, T* loss, T* wts,
                               int64_t* fault) {
  CUDA_KERNEL_LOOP(p, P) {
    const int64_t n = p / K, k = p % K;
    const T* xr = x + n * C * K + k;
    T m = -INFINITY;
    for (int64_t c = 0; c < C; ++c) m = cuda::MaxOp()(m, xr[c * K]);
    T s = 0;
    double sm = 0;
    for (int64_t c = 0; c < C; ++c) {
      s += act::k_exp(xr[c * K] - m);
      if (eps > 0) sm += (w ? static_cast<double>(w[c]) : 1.0) * static_cast<double>(m - xr[c * K]);
    }
    const int64_t tp = t[p];
    if (bad_label(tp, C, ignore_index)) report(fault, tp);
    const double ws = eps > 0 ? weight_sum(w, C, 0, 1) : 0.0;
    ce_position(xr, K, w, C, tp, ignore_index, eps, m, s, sm, ws, p, P, lse, loss, wts);
  }
}

template <class T>
__global__ void nll_positions_kernel(const T* x, const int64_t* t, const T* w, int64_t P, int64_t C,
                                     int64_t K, int64_t ignore_index, T* loss, T* wts, int64_t* fault) {
  CUDA_KERNEL_LOOP(p, P) {
    const int64_t tp = t[p];
    if (bad_label(tp, C, ignore_index)) report(fault, tp);
    if (tp == ignore_index || tp < 0 || tp >= C) {
      loss[p] = T(0);
      wts[p] = T(0);
      continue;
    }
    const int64_t n = p / K, k = p % K;
    const T wt = w ? w[tp] : T(1);
    loss[p] = -wt * x[(n * C + tp) * K + k];
    wts[p] = wt;
  }
}

// One block: totals = [sum wts, sum w]; out[0] = sum loss (/ W for mean) when reducing.
template <class T>
__global__ void class_loss_finalize_kernel(const T* loss, const T* wts, const T* w, int64_t P,
                                           int64_t C, int reduction, T* out, T* totals) {
  double W = 0, S = 0;
  for (int64_t p = threadIdx.x; p < P; p += blockDim.x) {
    W += static_cast<double>(wts[p]);
    if (reduction != static_cast<int>(Reduction::None)) S += static_cast<double>(loss[p]);
  }
  W = cuda::block_reduce(W, cuda::SumOp(), 0.0);
  S = cuda::block_reduce(S, cuda::SumOp(), 0.0);
  double ws = weight_sum(w, C, threadIdx.x, blockDim.x);
  ws = cuda::block_reduce(ws, cuda::SumOp(), 0.0);
  if (threadIdx.x == 0) {
    totals[0] = static_cast<T>(W);
    totals[1] = static_cast<T>(ws);
    if (reduction == static_cast<int>(Reduction::Mean)) out[0] = static_cast<T>(S / W);
    else if (reduction == static_cast<int>(Reduction::Sum)) out[0] = static_cast<T>(S);
  }
}

// dx over (N, C, K): softmax minus the (smoothed, weighted) one-hot, times the position's grad.
template <class T>
__global__ void ce_backward_kernel(const T* g, const T* x, const int64_t* t, const T* w, const T* lse,
                                   const T* totals, int64_t N, int64_t C, int64_t K,
                                   int64_t ignore_index, int reduction, double eps, T* dx) {
  const T a = static_cast<T>(1.0 - eps), b = static_cast<T>(eps / static_cast<double>(C));
  CUDA_KERNEL_LOOP(i, N * C * K) {
    const int64_t k = i % K, c = (i / K) % C, n = i / (C * K);
    const int64_t p = n * K + k;
    const int64_t tp = t[p];
    if (tp == ignore_index || tp < 0 || tp >= C) {
      dx[i] = T(0);
      continue;
    }
    T gp = reduction == static_cast<int>(Reduction::None) ? g[p] : g[0];
    if (reduction == static_cast<int>(Reduction::Mean)) gp /= totals[0];
    const T wt = w ? w[tp] : T(1);
    const T pc = act::k_exp((x[i] - lse[p]) - lse[N * K + p]);  // lse holds [m; log s]
    T v = a * wt * (pc - (c == tp ? T(1) : T(0)));
    if (eps > 0) v += b * (pc * totals[1] - (w ? w[c] : T(1)));
    dx[i] = gp * v;
  }
}

template <class T>
__global__ void nll_backward_kernel(const T* g, const int64_t* t, const T* w, const T* totals,
                                    int64_t N, int64_t C, int64_t K, int64_t ignore_index,
                                    int reduction, T* dx) {
  CUDA_KERNEL_LOOP(i, N * C * K) {
    const int64_t k = i % K, c = (i / K) % C, n = i / (C * K);
    const int64_t p = n * K + k;
    const int64_t tp = t[p];
    if (tp != c || tp == ignore_index) {
      dx[i] = T(0);
      continue;
    }
    T gp = reduction == static_cast<int>(Reduction::None) ? g[p] : g[0];
    if (reduction == static_cast<int>(Reduction::Mean)) gp /= totals[0];
    dx[i] = -(w ? w[tp] : T(1)) * gp;
  }
}


}  // namespace

LabelFault cross_entropy_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                      int64_t N, int64_t C, int64_t K, int64_t ignore_index,
                                      Reduction red, double eps, Tensor& out, Tensor& lse,
                                      Tensor& totals) {
  const int64_t P = N * K;
  DeviceFlag fault(input.device());
  Tensor wts = Tensor::empty({P}, input.dtype, input.device());
  Tensor losses = red == Reduction::None ? out : Tensor::empty({P}, input.dtype, input.device());
  KERNELS_DISPATCH_FLOAT(input.dtype, "cross_entropy", [&] {
    using T = scalar_t;
    const T* w = weight.data_or_null<T>();
    if (P > 0) {
      if (K == 1) {
        ce_rows_kernel<T><<<cuda::row_grid(P), cuda::row_block(C)>>>(
            input.data<T>(), target.data<int64_t>(), w, P, C, ignore_index, eps, lse.data<T>(),
            losses.data<T>(), wts.data<T>(), fault.ptr());
      } else {
        ce_cols_kernel<T><<<cuda::grid_for(P), cuda::kBlock>>>(
            input.data<T>(), target.data<int64_t>(), w, P, C, K, ignore_index, eps, lse.data<T>(),
            losses.data<T>(), wts.data<T>(), fault.ptr());
      }
      cuda::check_launch("cross_entropy");
    }
    class_loss_finalize_kernel<T><<<1, kFinalThreads>>>(losses.data<T>(), wts.data<T>(), w, P, C,
                                                        static_cast<int>(red), out.data<T>(),
                                                        totals.data<T>());
    cuda::check_launch("cross_entropy");
  });
  return fault.fetch();
}

void cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                 const Tensor& weight, const Tensor& lse, const Tensor& totals,
                                 int64_t N, int64_t C, int64_t K, int64_t ignore_index, Reduction red,
                                 double eps, Tensor& dinput) {
  const int64_t n = N * C * K;
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(input.dtype, "cross_entropy_backward", [&] {
    using T = scalar_t;
    ce_backward_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(
        grad.data<T>(), input.data<T>(), target.data<int64_t>(), weight.data_or_null<T>(), lse.data<T>(),
        totals.data<T>(), N, C, K, ignore_index, static_cast<int>(red), eps, dinput.data<T>());
  });
  cuda::check_launch("cross_entropy_backward");
}

LabelFault nll_loss_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                 int64_t N, int64_t C, int64_t K, int64_t ignore_index, Reduction red,
                                 Tensor& out, Tensor& totals) {
  const int64_t P = N * K;
  DeviceFlag fault(input.device());
  Tensor wts = Tensor::empty({P}, input.dtype, input.device());
  Tensor losses = red == Reduction::None ? out : Tensor::empty({P}, input.dtype, input.device());
  KERNELS_DISPATCH_FLOAT(input.dtype, "nll_loss", [&] {
    using T = scalar_t;
    const T* w = weight.data_or_null<T>();
    if (P > 0) {
      nll_positions_kernel<T><<<cuda::grid_for(P), cuda::kBlock>>>(
          input.data<T>(), target.data<int64_t>(), w, P, C, K, ignore_index, losses.data<T>(),
          wts.data<T>(), fault.ptr());
      cuda::check_launch("nll_loss");
    }
    class_loss_finalize_kernel<T><<<1, kFinalThreads>>>(losses.data<T>(), wts.data<T>(), w, P, C,
                                                        static_cast<int>(red), out.data<T>(),
                                                        totals.data<T>());
    cuda::check_launch("nll_loss");
  });
  return fault.fetch();
}

void nll_loss_backward(const Tensor& grad, const Tensor& target, const Tensor& weight,
                            const Tensor& totals, int64_t N, int64_t C, int64_t K, int64_t ignore_index,
                            Reduction red, Tensor& dinput) {
  const int64_t n = N * C * K;
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(dinput.dtype, "nll_loss_backward", [&] {
    using T = scalar_t;
    nll_backward_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(
        grad.data<T>(), target.data<int64_t>(), weight.data_or_null<T>(), totals.data<T>(), N, C, K,
        ignore_index, static_cast<int>(red), dinput.data<T>());
  });
  cuda::check_launch("nll_loss_backward");
}

// ------------------------------------------------------------------ pointwise losses

namespace {


constexpr int kPartialBlocks = 1024;

template <class T, class F>
__global__ void ploss_fwd_kernel(F f, const T* x, const T* y, const T* w, const T* pw, int64_t n,
                                 bool reduce, T* out, double* partial, int64_t* bad) {
  double acc = 0;
  CUDA_KERNEL_LOOP(i, n) {
    const T xi = x[i];
    const T yi = y[i];
    if (bad && !(xi >= T(0) && xi <= T(1) && yi >= T(0) && yi <= T(1))) report(bad, 1);
    const T v = loss_fn::point_loss_at(f, i, x, y, w, pw);
    if (reduce) acc += static_cast<double>(v);
    else out[i] = v;
  }
  if (reduce) {
    acc = cuda::block_reduce(acc, cuda::SumOp(), 0.0);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
  }
}

template <class T>
__global__ void sum_partials_kernel(const double* partial, int nparts, double scale, T* out) {
  double s = 0;
  for (int i = threadIdx.x; i < nparts; i += blockDim.x) s += partial[i];
  s = cuda::block_reduce(s, cuda::SumOp(), 0.0);
  if (threadIdx.x == 0) out[0] = static_cast<T>(scale * s);
}

template <class T, class F>
__global__ void ploss_bwd_kernel(F f, const T* g, bool reduced, T scale, const T* x, const T* y,
                                 const T* w, const T* pw, T* dx, T* dy, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) loss_fn::point_loss_grad_at(f, i, g, reduced, scale, x, y, w, pw, dx, dy);
}

}  // namespace

bool pointwise_loss_forward(PointLoss kind, double param, const Tensor& x, const Tensor& y,
                                 const Tensor& w, const Tensor& pw, bool reduce, double scale,
                                 Tensor& out) {
  const int64_t n = x.numel();
  const bool check = kind == PointLoss::Bce && n > 0;
  std::optional<DeviceFlag> bad;  // only bce checks its input's and target's range
  if (check) bad.emplace(x.device());
  const unsigned blocks = reduce ? static_cast<unsigned>(std::min<int64_t>(kPartialBlocks, (n + 255) / 256))
                                 : cuda::grid_for(n);
  Tensor partial = reduce ? Tensor::empty({std::max<int64_t>(blocks, 1)}, DType::Float64, x.device())
                          : Tensor();
  KERNELS_DISPATCH_FLOAT(x.dtype, "loss", [&] {
    using T = scalar_t;
    loss_fn::with_point_loss<T>(kind, param, [&](const auto& f) {
      if (n > 0) {
        ploss_fwd_kernel<T><<<std::max(blocks, 1u), cuda::kBlock>>>(
            f, x.data<T>(), y.data<T>(), w.data_or_null<T>(), pw.data_or_null<T>(), n, reduce, out.data<T>(),
            reduce ? partial.data<double>() : nullptr, check ? bad->ptr() : nullptr);
        cuda::check_launch("loss");
      }
      if (reduce) {
        sum_partials_kernel<T><<<1, kFinalThreads>>>(partial.data<double>(), n > 0 ? static_cast<int>(blocks) : 0,
                                                     scale, out.data<T>());
        cuda::check_launch("loss");
      }
    });
  });
  return !(check && bad->fetch().bad);
}

void pointwise_loss_backward(PointLoss kind, double param, const Tensor& grad, bool reduced,
                                  double scale, const Tensor& x, const Tensor& y, const Tensor& w,
                                  const Tensor& pw, Tensor& dx, Tensor& dy) {
  const int64_t n = x.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, "loss_backward", [&] {
    using T = scalar_t;
    loss_fn::with_point_loss<T>(kind, param, [&](const auto& f) {
      ploss_bwd_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(
          f, grad.data<T>(), reduced, static_cast<T>(scale), x.data<T>(), y.data<T>(), w.data_or_null<T>(),
          pw.data_or_null<T>(), dx.data_or_null<T>(), dy.data_or_null<T>(),
          n);
    });
  });
  cuda::check_launch("loss_backward");
}

}  // namespace kernels::cuda
