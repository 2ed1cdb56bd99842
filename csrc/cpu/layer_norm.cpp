// Layer and group normalisation on the CPU (the row kernels).
//
// layer_norm / group_norm: x is R rows of D = S L values; segment s of row r
// (L contiguous values) has the affine channel ch = (r % G) S + s.
//   mean_r, var_r (biased, corrected two-pass as above), rstd_r = 1 / sqrt(var_r + eps)
//   y = (x - mean_r) rstd_r w_ch + b_ch
//   backward: xhat = (x - mean_r) rstd_r, dxh = g w_ch, A_r = sum_row dxh, B_r = sum_row dxh xhat
//     dx = rstd_r (dxh - A_r / D - xhat B_r / D);  dweight_ch = sum g xhat,  dbias_ch = sum g
//   Rows are split over threads; dweight/dbias are summed per thread (double) and then in order.
//
// Two row paths (RowPath, chosen by row_path()): at the AVX2 level, float32 rows with one weight
// per value (layer_norm: G = L = 1) run the one-pass rows of layer_norm_avx2.cpp (their maths is in
// that file's header); double, group_norm and the portable levels run the norm_vec loops below.
#include "../contracts/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "../common/dispatch.h"
#include "isa.h"
#include "layer_norm_avx2.h"
#include "norm_vec.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

namespace nv = normvec;

constexpr int64_t kChunk = 16384;  // values per task: a chunk of x (and grad) stays in L2
constexpr int64_t kRowFlush = 64;  // rows summed into a part's T accumulators before they go to double

// Rows up to this long go through the AVX2 backward's first pass in pairs; longer rows one at a
// time, keeping one row (not two) in L2 between the passes.
constexpr int64_t kPairD = 16384;

enum class RowPath { Portable, Avx2F32 };

template <class T>
RowPath row_path(const RowNormDims& d) {
  // layer_norm only (G = 1, L = 1): one weight per value of the row.
  if (std::is_same<T, float>::value && d.G == 1 && d.L == 1 && d.D() > 0 && use_avx2()) return RowPath::Avx2F32;
  return RowPath::Portable;
}

int64_t rows_per_task(const RowNormDims& d) { return std::max<int64_t>(1, kChunk / std::max<int64_t>(1, d.D())); }

// Host scratch (cached by host_alloc, so a repeated call touches no fresh pages), freed at scope exit.
struct Scratch {
  void* p;
  explicit Scratch(size_t bytes) : p(bytes ? host_alloc(bytes) : nullptr) {}
  ~Scratch() { host_free(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// ------------------------------------------------------------------------------- AVX2 float rows

void forward_avx2(const float* x, const float* w, const float* b, double eps, const RowNormDims& d, float* y,
                  float* mean, float* rstd) {
  const int64_t D = d.D();
  parallel_for(d.R, rows_per_task(d), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      double m, m2;
      ln_avx2::row_moments(x + r * D, D, m, m2);
      const double rs = 1.0 / std::sqrt(m2 / static_cast<double>(D) + eps);
      const float hi = static_cast<float>(m);
      ln_avx2::normalize_row(x + r * D, w, b, y + r * D, D, hi, static_cast<float>(m - static_cast<double>(hi)),
                             static_cast<float>(rs));
      mean[r] = hi;
      rstd[r] = static_cast<float>(rs);
    }
  });
}

void backward_avx2(const float* g, const float* x, const float* w, const float* mean, const float* rstd,
                   const RowNormDims& d, float* dx, float* dw, float* db) {
  const int64_t D = d.D(), R = d.R;
  const bool acc = dw || db, pairs = D <= kPairD;
  const int64_t P = parts_for(R, rows_per_task(d));
  // Per part: dweight / dbias sums in float over up to kRowFlush rows (tw, tb), then in double (aw, ab).
  const size_t per = acc ? static_cast<size_t>(D) * (2 * sizeof(float) + 2 * sizeof(double)) : 0;
  Scratch scratch(per * static_cast<size_t>(P));
  std::vector<char> flushed(static_cast<size_t>(P), 0);
  auto part = [&](int64_t p, float*& tw, float*& tb, double*& aw, double*& ab) {
    char* base = static_cast<char*>(scratch.p) + per * static_cast<size_t>(p);
    aw = reinterpret_cast<double*>(base);
    ab = aw + D;
    tw = reinterpret_cast<float*>(ab + D);
    tb = tw + D;
  };
  parallel_for(P, 1, [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      float *tw = nullptr, *tb = nullptr;
      double *aw = nullptr, *ab = nullptr;
      if (acc) {
        part(p, tw, tb, aw, ab);
        std::memset(tw, 0, 2 * static_cast<size_t>(D) * sizeof(float));
      }
      int64_t pending = 0;
      const int64_t rb = R * p / P, re = R * (p + 1) / P;
      const double n = static_cast<double>(D);
      // Long rows: S = sum (x - mean) of the next row comes from the second pass over this one.
      double S = !pairs && rb < re ? ln_avx2::centred_sum(x + rb * D, D, mean[rb]) : 0.0;
      for (int64_t r = rb; r < re;) {
        const int k = pairs && r + 1 < re ? 2 : 1;
        const float* gp[2];
        const float* xp[2];
        float hi[2], c[2], rsf[2];
        for (int t = 0; t < k; ++t) {
          gp[t] = g + (r + t) * D;
          xp[t] = x + (r + t) * D;
          hi[t] = mean[r + t];
          rsf[t] = rstd[r + t];
          c[t] = static_cast<float>((pairs ? ln_avx2::centred_sum(xp[t], D, hi[t]) : S) / n);
        }
        double A[2] = {0, 0}, B[2] = {0, 0};
        ln_avx2::grad_rows_sums(k, gp, xp, w, D, hi, c, rsf, tw, tb, A, B);
        for (int t = 0; t < k; ++t) {
          const double rs = static_cast<double>(rsf[t]);
          const double k2 = -rs * rs * rs * B[t] / n, k0 = -rs * A[t] / n - k2 * static_cast<double>(c[t]);
          const bool chain = !pairs && r + t + 1 < re;
          const float* xn = chain ? xp[t] + D : nullptr;
          if (dx)
            S = ln_avx2::grad_row_apply(gp[t], xp[t], w, dx + (r + t) * D, D, hi[t], rsf[t], static_cast<float>(k2),
                                        static_cast<float>(k0), xn, chain ? mean[r + t + 1] : 0.f);
          else if (chain)
            S = ln_avx2::centred_sum(xn, D, mean[r + t + 1]);
        }
        r += k;
        pending += k;
        if (acc && pending >= kRowFlush) {
          for (int64_t i = 0; i < D; ++i) {
            aw[i] = flushed[p] ? aw[i] + tw[i] : tw[i];
            ab[i] = flushed[p] ? ab[i] + tb[i] : tb[i];
          }
          flushed[p] = 1;
          std::memset(tw, 0, 2 * static_cast<size_t>(D) * sizeof(float));
          pending = 0;
        }
      }
    }
  });
  if (!acc) return;
  parallel_for(D, kChunk, [&](int64_t cb, int64_t ce) {
    for (int64_t i = cb; i < ce; ++i) {
      double sw = 0, sb = 0;
      for (int64_t p = 0; p < P; ++p) {
        float *tw, *tb;
        double *aw, *ab;
        part(p, tw, tb, aw, ab);
        sw += (flushed[p] ? aw[i] : 0.0) + tw[i];
        sb += (flushed[p] ? ab[i] : 0.0) + tb[i];
      }
      if (dw) dw[i] = static_cast<float>(sw);
      if (db) db[i] = static_cast<float>(sb);
    }
  });
}

// ------------------------------------------------------------------------------- portable rows

// ------------------------------------------------------------------------------- row norms

template <class T>
void row_forward(const T* x, const T* w, const T* b, double eps, const RowNormDims& d, T* y, T* mean,
                 T* rstd) {
  if constexpr (std::is_same<T, float>::value) {
    if (row_path<T>(d) == RowPath::Avx2F32) return forward_avx2(x, w, b, eps, d, y, mean, rstd);
  }
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

template <class T>
void row_backward(const T* g, const T* x, const T* w, const T* mean, const T* rstd, const RowNormDims& d,
                  T* dx, T* dw, T* db) {
  if constexpr (std::is_same<T, float>::value) {
    if (row_path<T>(d) == RowPath::Avx2F32) return backward_avx2(g, x, w, mean, rstd, d, dx, dw, db);
  }
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
