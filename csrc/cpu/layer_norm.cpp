// Layer and group normalisation on the CPU (the row kernels).
//
// layer_norm / group_norm: x is R rows of D = S L values; segment s of row r
// (L contiguous values) has the affine channel ch = (r % G) S + s.
//   mean_r, var_r (biased, corrected two-pass as above), rstd_r = 1 / sqrt(var_r + eps)
//   y = (x - mean_r) rstd_r w_ch + b_ch
//   backward: xhat = (x - mean_r) rstd_r, dxh = g w_ch, A_r = sum_row dxh, B_r = sum_row dxh xhat
//     dx = rstd_r (dxh - A_r / D - xhat B_r / D);  dweight_ch = sum g xhat,  dbias_ch = sum g
//   Rows are split over threads; dweight/dbias are summed per thread (double) and then in order.
#include "../contracts/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../common/dispatch.h"
#include "norm_vec.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

namespace nv = normvec;

constexpr int64_t kChunk = 16384;  // values per task: a chunk of x (and grad) stays in L2

// ------------------------------------------------------------------------------- row norms

template <class T>
void row_forward(const T* x, const T* w, const T* b, double eps, const RowNormDims& d, T* y, T* mean,
                 T* rstd) {
  const int64_t D = d.D();
  parallel_for(d.R, std::max<int64_t>(1, kChunk / std::max<int64_t>(1, D)), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* xr = x + r * D;
      T* yr = y + r * D;
      double m = std::numeric_limits<double>::quiet_NaN(), var = m;
      if (D > 0) {
        const double m0 = nv::sum(xr, D) / static_cast<double>(D);
        double s1 = 0, s2 = 0;
        nv::centered_sums(xr, D, m0, s1, s2);
        m = m0 + s1 / static_cast<double>(D);
        var = std::max(0.0, s2 - s1 * s1 / static_cast<double>(D)) / static_cast<double>(D);
      }
      const double rs = 1.0 / std::sqrt(var + eps);
      mean[r] = static_cast<T>(m);
      rstd[r] = static_cast<T>(rs);
      const int64_t ch0 = (r % d.G) * d.S;
      if (d.L == 1) {  // layer_norm: a weight per value
        nv::normalize(xr, w ? w + ch0 : nullptr, b ? b + ch0 : nullptr, yr, D, static_cast<T>(m), static_cast<T>(rs));
        continue;
      }
      for (int64_t s = 0; s < d.S; ++s) {  // group_norm: a weight per segment of L values
        const double wc = w ? static_cast<double>(w[ch0 + s]) : 1.0;
        const double bc = b ? static_cast<double>(b[ch0 + s]) : 0.0;
        nv::affine(xr + s * d.L, yr + s * d.L, d.L, static_cast<T>(wc * rs), static_cast<T>(bc - m * wc * rs));
      }
    }
  });
}

constexpr int64_t kRowFlush = 64;  // rows summed into a part's T accumulators before they go to double

template <class T>
void row_backward(const T* g, const T* x, const T* w, const T* mean, const T* rstd, const RowNormDims& d,
                  T* dx, T* dw, T* db) {
  const int64_t D = d.D(), nch = d.G * d.S;
  const bool affine_grads = dw || db;
  const int64_t P = affine_grads ? parts_for(d.R, std::max<int64_t>(1, kChunk / std::max<int64_t>(1, D)))
                                 : std::max<int64_t>(1, std::min<int64_t>(d.R, max_threads()));
  // Per part: dweight and dbias partial sums (double).
  std::vector<double> acc(affine_grads ? static_cast<size_t>(2 * P * nch) : 0, 0.0);
  parallel_for(P, 1, [&](int64_t pb, int64_t pe) {
    // layer_norm: per-value sums in T over up to kRowFlush rows, then added to the double ones.
    std::vector<T> tw(affine_grads && d.L == 1 ? nch : 0), tb(tw.size());
    for (int64_t p = pb; p < pe; ++p) {
      double* adw = affine_grads ? acc.data() + 2 * p * nch : nullptr;
      double* adb = affine_grads ? adw + nch : nullptr;
      int64_t pending = 0;
      auto flush = [&] {
        for (int64_t c = 0; c < nch; ++c) {
          adw[c] += tw[c];
          adb[c] += tb[c];
        }
        std::fill(tw.begin(), tw.end(), T(0));
        std::fill(tb.begin(), tb.end(), T(0));
        pending = 0;
      };
      for (int64_t r = d.R * p / P; r < d.R * (p + 1) / P; ++r) {
        const T* gr = g + r * D;
        const T* xr = x + r * D;
        const double m = static_cast<double>(mean[r]), rs = static_cast<double>(rstd[r]);
        const int64_t ch0 = (r % d.G) * d.S;
        double A = 0, B = 0;  // sum dxh, sum dxh (x - m)
        if (d.L == 1) {
          nv::weighted_grad_sums(gr, xr, w ? w + ch0 : nullptr, D, m, rs, adw ? tw.data() + ch0 : nullptr,
                                 adw ? tb.data() + ch0 : nullptr, A, B);
          if (adw && ++pending == kRowFlush) flush();
        } else {
          for (int64_t s = 0; s < d.S; ++s) {
            double sg = 0, sgx = 0;
            nv::grad_sums(gr + s * d.L, xr + s * d.L, d.L, m, sg, sgx);
            const double wc = w ? static_cast<double>(w[ch0 + s]) : 1.0;
            A += wc * sg;
            B += wc * sgx;
            if (adw) {
              adw[ch0 + s] += sgx * rs;
              adb[ch0 + s] += sg;
            }
          }
        }
        if (!dx) continue;
        // dx = rs (g w - A / D - (x - m) rs^2 B / D) = g (rs w) + x k2 + k0
        const double k2 = -rs * rs * rs * B / static_cast<double>(D);
        const T k2t = static_cast<T>(k2), k0t = static_cast<T>(-rs * A / static_cast<double>(D) - k2 * m);
        T* dr = dx + r * D;
        if (d.L == 1) {
          nv::weighted_affine2(gr, xr, w ? w + ch0 : nullptr, dr, D, static_cast<T>(rs), k2t, k0t);
        } else {
          for (int64_t s = 0; s < d.S; ++s) {
            const double wc = w ? static_cast<double>(w[ch0 + s]) : 1.0;
            nv::affine2(gr + s * d.L, xr + s * d.L, dr + s * d.L, d.L, static_cast<T>(rs * wc), k2t, k0t);
          }
        }
      }
      if (adw && d.L == 1) flush();
    }
  });
  if (!affine_grads) return;
  for (int64_t c = 0; c < nch; ++c) {
    double sw = 0, sb = 0;
    for (int64_t p = 0; p < P; ++p) {
      sw += acc[2 * p * nch + c];
      sb += acc[(2 * p + 1) * nch + c];
    }
    if (dw) dw[c] = static_cast<T>(sw);
    if (db) db[c] = static_cast<T>(sb);
  }
}
}  // namespace

void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                          const RowNormDims& d, Tensor& out, Tensor& mean, Tensor& rstd) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "row_norm", [&] {
    using T = scalar_t;
    row_forward<T>(x.data<T>(), weight.data_or_null<T>(), bias.data_or_null<T>(), eps, d, out.data<T>(),
                   mean.data<T>(), rstd.data<T>());
  });
}

void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                           const Tensor& mean, const Tensor& rstd, const RowNormDims& d, Tensor& dx,
                           Tensor& dweight, Tensor& dbias) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "row_norm_backward", [&] {
    using T = scalar_t;
    row_backward<T>(grad.data<T>(), x.data<T>(), weight.data_or_null<T>(), mean.data<T>(), rstd.data<T>(), d,
                    dx.data_or_null<T>(), dweight.data_or_null<T>(),
                    dbias.data_or_null<T>());
  });
}

}  // namespace kernels::cpu
