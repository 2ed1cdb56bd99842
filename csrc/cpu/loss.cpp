// Losses on the CPU.
//
// cross_entropy: input x is (N, C, K) (class c of position (n, k) at x[(n C + c) K + k]; K = 1 for
// (N, C) input), target t is (N, K) int64, weight w (C) (all ones when absent), eps = label
// smoothing. Per position p = (n, k) with t_p != ignore_index, in one fused pass over the row:
//   m = max_c x_c,  ls = log(sum_c exp(x_c - m)),  logp_c = (x_c - m) - ls
//   loss_p = (1 - eps) w_t ((m - x_t) + ls) + (eps / C) sum_c w_c ((m - x_c) + ls)
// (never through lse = m + ls in float: at |m| = 1e6 that sum has rounded ls away)
// and loss_p = 0, w_t = 0 for ignored positions. Reductions: none -> loss (N, K); sum -> sum_p
// loss_p; mean -> sum_p loss_p / W, W = sum_p w_{t_p} over non-ignored positions (torch's rule,
// also with label smoothing). stats (2, N, K) = [m, ls] and totals = [W, sum_c w_c] are saved for
// the backward:
//   dx_c = g_p ((1 - eps) w_t (p_c - [c == t]) + (eps / C) (p_c sum_c' w_c' - w_c)),
//   p_c = exp((x_c - m) - ls), g_p = grad_p (none), grad (sum) or grad / W (mean); 0 when ignored.
// nll_loss: the same with x taken as log-probabilities: loss_p = -w_t x_t; dx_t = -w_t g_p.
//
// Pointwise losses (x input, y target, w weight, pw pos_weight; formulas in
// csrc/common/activation_math.h):
//   mse (x - y)^2;  l1 |x - y|;  smooth_l1 |d| < b ? d^2 / (2b) : |d| - b/2;
//   huber |d| < delta ? d^2 / 2 : delta (|d| - delta/2);
//   bce -w (y log x + (1 - y) log(1 - x)), logs clamped >= -100;
//   bce_with_logits w ((1 - y) x + (1 + (pw - 1) y) softplus(-x));
//   kl_div y (log y - x) or, with log_target, exp(y) (y - x).
// cross_entropy with float32, K = 1 and no label smoothing runs its row loops (max, sum of exp,
// softmax times gradient) in loss_avx2.cpp where the CPU has AVX2 (libm's expf is a scalar call).
// Reduced losses sum fixed chunks in double and add the chunk sums in order (the answer does not
// depend on the thread count), then multiply by `scale` (1/numel for mean, 1/N for batchmean).
#include "../contracts/loss.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <vector>

#include "../common/dispatch.h"
#include "../common/loss_math.h"
#include "isa.h"
#include "loss_avx2.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

LabelFault find_bad_label(const int64_t* t, int64_t P, int64_t C, int64_t ignore_index) {
  for (int64_t p = 0; p < P; ++p)
    if (t[p] != ignore_index && (t[p] < 0 || t[p] >= C)) return {true, t[p]};
  return {};
}

// Sum of f(i) over [0, n) in double, in fixed chunks added in order.
template <class F>
double ordered_sum(int64_t n, const F& f) {
  constexpr int64_t kChunk = 8192;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> part(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 2, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double s = 0;
      const int64_t i1 = std::min(n, (c + 1) * kChunk);
      for (int64_t i = c * kChunk; i < i1; ++i) s += f(i);
      part[c] = s;
    }
  });
  double s = 0;
  for (double v : part) s += v;
  return s;
}


// Overloads so the dispatched body compiles for double too; only float ever takes this path.
void row_max_exp_sum_avx2(const float* x, int64_t C, float& m, double& s) {
  m = loss_avx2::row_max_f32(x, C);
  s = loss_avx2::exp_sum_f32(x, C, m);
}
void row_max_exp_sum_avx2(const double*, int64_t, double&, double&) {}
void exp_scale_avx2(const float* x, float* d, int64_t C, float m, float ls, float scale) {
  loss_avx2::exp_scale_f32(x, d, C, m, ls, scale);
}
void exp_scale_avx2(const double*, double*, int64_t, double, double, double) {}

template <class T>
double weight_sum(const T* w, int64_t C) {
  if (!w) return static_cast<double>(C);
  double s = 0;
  for (int64_t c = 0; c < C; ++c) s += w[c];
  return s;
}

}  // namespace

LabelFault cross_entropy_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                     int64_t N, int64_t C, int64_t K, int64_t ignore_index,
                                     Reduction red, double eps, Tensor& out, Tensor& lse,
                                     Tensor& totals) {
  const int64_t P = N * K;
  const int64_t* t = target.data<int64_t>();
  const LabelFault fault = find_bad_label(t, P, C, ignore_index);
  if (fault.bad) return fault;
  KERNELS_DISPATCH_FLOAT(input.dtype, "cross_entropy", [&] {
    using T = scalar_t;
    const T* x = input.data<T>();
    const T* w = weight.data_or_null<T>();
    T* l = lse.data<T>();
    // Per-position loss and weight (in the output itself for Reduction::None).
    std::vector<T> buf(red == Reduction::None ? 0 : static_cast<size_t>(P));
    T* loss = red == Reduction::None ? out.data<T>() : buf.data();
    const double wsum = weight_sum(w, C);
    bool rows_avx2 = false;
    if constexpr (std::is_same_v<T, float>) rows_avx2 = K == 1 && eps == 0 && use_avx2();
    parallel_for(P, std::max<int64_t>(1, 4096 / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const int64_t n = p / K, k = p % K;
        const T* xr = x + n * C * K + k;  // class c at xr[c * K]
        T m = -std::numeric_limits<T>::infinity();
        double s = 0, sm = 0;  // sum exp(x_c - m), sum w_c (m - x_c)
        if (rows_avx2) {
          row_max_exp_sum_avx2(xr, C, m, s);
        } else {
          for (int64_t c = 0; c < C; ++c) {
            const T v = xr[c * K];
            m = (v > m || v != v) ? v : m;
          }
          for (int64_t c = 0; c < C; ++c) {
            const T v = xr[c * K];
            s += static_cast<double>(act::k_exp(v - m));
            if (eps > 0) sm += (w ? static_cast<double>(w[c]) : 1.0) * static_cast<double>(m - v);
          }
        }
        const double ls = std::log(s);
        l[p] = m;
        l[P + p] = static_cast<T>(ls);
        const int64_t tp = t[p];
        if (tp == ignore_index) {
          loss[p] = T(0);
          continue;
        }
        const double wt = w ? static_cast<double>(w[tp]) : 1.0;
        double v = (1.0 - eps) * wt * (static_cast<double>(m - xr[tp * K]) + ls);
        if (eps > 0) v += eps / static_cast<double>(C) * (wsum * ls + sm);
        loss[p] = static_cast<T>(v);
      }
    });
    double W = 0;
    for (int64_t p = 0; p < P; ++p)
      if (t[p] != ignore_index) W += w ? static_cast<double>(w[t[p]]) : 1.0;
    T* tot = totals.data<T>();
    tot[0] = static_cast<T>(W);
    tot[1] = static_cast<T>(wsum);
    if (red != Reduction::None) {
      const double sum = ordered_sum(P, [&](int64_t i) { return static_cast<double>(loss[i]); });
      out.data<T>()[0] = static_cast<T>(red == Reduction::Mean ? sum / W : sum);
    }
  });
  return {};
}

void cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                const Tensor& weight, const Tensor& lse, const Tensor& totals,
                                int64_t N, int64_t C, int64_t K, int64_t ignore_index, Reduction red,
                                double eps, Tensor& dinput) {
  const int64_t P = N * K;
  const int64_t* t = target.data<int64_t>();
  KERNELS_DISPATCH_FLOAT(input.dtype, "cross_entropy_backward", [&] {
    using T = scalar_t;
    const T* x = input.data<T>();
    const T* w = weight.data_or_null<T>();
    const T* l = lse.data<T>();
    const T* g = grad.data<T>();
    const T* tot = totals.data<T>();
    T* dx = dinput.data<T>();
    const T wsum = tot[1];
    const T gscale = red == Reduction::Mean ? T(1) / tot[0] : T(1);
    const T a = static_cast<T>(1.0 - eps), b = static_cast<T>(eps / static_cast<double>(C));
    bool rows_avx2 = false;
    if constexpr (std::is_same_v<T, float>) rows_avx2 = K == 1 && eps == 0 && use_avx2();
    parallel_for(P, std::max<int64_t>(1, 4096 / std::max<int64_t>(C, 1)), [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        const int64_t n = p / K, k = p % K;
        const T* xr = x + n * C * K + k;
        T* dr = dx + n * C * K + k;
        const int64_t tp = t[p];
        if (tp == ignore_index || tp < 0 || tp >= C) {
          for (int64_t c = 0; c < C; ++c) dr[c * K] = T(0);
          continue;
        }
        const T gp = (red == Reduction::None ? g[p] : g[0]) * gscale;
        const T wt = w ? w[tp] : T(1);
        const T mp = l[p], lsp = l[P + p];
        if (rows_avx2) {
          exp_scale_avx2(xr, dr, C, mp, lsp, gp * a * wt);
          dr[tp] -= gp * a * wt;
          continue;
        }
        for (int64_t c = 0; c < C; ++c) {
          const T pc = act::k_exp((xr[c * K] - mp) - lsp);
          T v = a * wt * pc;
          if (eps > 0) v += b * (pc * wsum - (w ? w[c] : T(1)));
          dr[c * K] = gp * v;
        }
        dr[tp * K] -= gp * a * wt;
      }
    });
  });
}

LabelFault nll_loss_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                int64_t N, int64_t C, int64_t K, int64_t ignore_index, Reduction red,
                                Tensor& out, Tensor& totals) {
  const int64_t P = N * K;
  const int64_t* t = target.data<int64_t>();
  const LabelFault fault = find_bad_label(t, P, C, ignore_index);
  if (fault.bad) return fault;
  KERNELS_DISPATCH_FLOAT(input.dtype, "nll_loss", [&] {
    using T = scalar_t;
    const T* x = input.data<T>();
    const T* w = weight.data_or_null<T>();
    auto loss_of = [&](int64_t p) -> T {
      const int64_t tp = t[p];
      if (tp == ignore_index) return T(0);
      const int64_t n = p / K, k = p % K;
      return -(w ? w[tp] : T(1)) * x[(n * C + tp) * K + k];
    };
    double W = 0;
    for (int64_t p = 0; p < P; ++p)
      if (t[p] != ignore_index) W += w ? static_cast<double>(w[t[p]]) : 1.0;
    T* tot = totals.data<T>();
    tot[0] = static_cast<T>(W);
    tot[1] = static_cast<T>(weight_sum(w, C));
    if (red == Reduction::None) {
      T* o = out.data<T>();
      parallel_for(P, kGrainElementwise, [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) o[p] = loss_of(p);
      });
    } else {
      const double sum = ordered_sum(P, [&](int64_t p) { return static_cast<double>(loss_of(p)); });
      out.data<T>()[0] = static_cast<T>(red == Reduction::Mean ? sum / W : sum);
    }
  });
  return {};
}

void nll_loss_backward(const Tensor& grad, const Tensor& target, const Tensor& weight,
                           const Tensor& totals, int64_t N, int64_t C, int64_t K, int64_t ignore_index,
                           Reduction red, Tensor& dinput) {
  const int64_t P = N * K;
  const int64_t* t = target.data<int64_t>();
  KERNELS_DISPATCH_FLOAT(dinput.dtype, "nll_loss_backward", [&] {
    using T = scalar_t;
    const T* w = weight.data_or_null<T>();
    const T* g = grad.data<T>();
    T* dx = dinput.data<T>();
    const T gscale = red == Reduction::Mean ? T(1) / totals.data<T>()[0] : T(1);
    const int64_t total = dinput.numel();
    parallel_for(total, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) dx[i] = T(0);
    });
    parallel_for(P, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const int64_t tp = t[p];
        if (tp == ignore_index || tp < 0 || tp >= C) continue;
        const int64_t n = p / K, k = p % K;
        const T gp = (red == Reduction::None ? g[p] : g[0]) * gscale;
        dx[(n * C + tp) * K + k] = -(w ? w[tp] : T(1)) * gp;
      }
    });
  });
}

namespace {

template <class T, class F>
bool ploss_fwd(const F& f, bool check_unit, const T* x, const T* y, const T* w, const T* pw, int64_t n,
               bool reduce, double scale, T* out) {
  if (check_unit) {
    for (int64_t i = 0; i < n; ++i)
      if (!(x[i] >= T(0) && x[i] <= T(1) && y[i] >= T(0) && y[i] <= T(1))) return false;
  }
  auto loss_of = [&](int64_t i) { return loss_fn::point_loss_at(f, i, x, y, w, pw); };
  if (!reduce) {
    parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = loss_of(i);
    });
  } else {
    out[0] = static_cast<T>(scale * ordered_sum(n, [&](int64_t i) { return static_cast<double>(loss_of(i)); }));
  }
  return true;
}

template <class T, class F>
void ploss_bwd(const F& f, const T* g, bool reduced, T scale, const T* x, const T* y, const T* w,
               const T* pw, T* dx, T* dy, int64_t n) {
  parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) loss_fn::point_loss_grad_at(f, i, g, reduced, scale, x, y, w, pw, dx, dy);
  });
}


}  // namespace

bool pointwise_loss_forward(PointLoss kind, double param, const Tensor& x, const Tensor& y,
                                const Tensor& w, const Tensor& pw, bool reduce, double scale,
                                Tensor& out) {
  bool ok = true;
  KERNELS_DISPATCH_FLOAT(x.dtype, "loss", [&] {
    using T = scalar_t;
    loss_fn::with_point_loss<T>(kind, param, [&](const auto& f) {
      ok = ploss_fwd<T>(f, kind == PointLoss::Bce, x.data<T>(), y.data<T>(), w.data_or_null<T>(),
                        pw.data_or_null<T>(), x.numel(), reduce, scale, out.data<T>());
    });
  });
  return ok;
}

void pointwise_loss_backward(PointLoss kind, double param, const Tensor& grad, bool reduced,
                                 double scale, const Tensor& x, const Tensor& y, const Tensor& w,
                                 const Tensor& pw, Tensor& dx, Tensor& dy) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "loss_backward", [&] {
    using T = scalar_t;
    loss_fn::with_point_loss<T>(kind, param, [&](const auto& f) {
      ploss_bwd<T>(f, grad.data<T>(), reduced, static_cast<T>(scale), x.data<T>(), y.data<T>(),
                   w.data_or_null<T>(), pw.data_or_null<T>(), dx.data_or_null<T>(),
                   dy.data_or_null<T>(), x.numel());
    });
  });
}

}  // namespace kernels::cpu
