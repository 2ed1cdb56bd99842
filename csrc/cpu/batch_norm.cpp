// Batch normalisation on the CPU.
//
// batch_norm: x is (N, C, K) (K = product of the spatial dims, 1 for (N, C)); M = N K values per
// channel c. w = 1 and b = 0 when absent.
//   training: mean_c = sum_{n,k} x / M,  var_c = sum (x - mean_c)^2 / M  (biased, for normalising)
//             running_mean_c = (1 - m) running_mean_c + m mean_c
//             running_var_c  = (1 - m) running_var_c  + m var_c M / (M - 1)   (unbiased, as torch)
//   eval:     mean_c = running_mean_c
//   invstd_c = 1 / sqrt(var_c + eps);  y = (x - mean_c) invstd_c w_c + b_c = x a_c + s_c
//   backward, g = dy, Sg_c = sum_{n,k} g, Sgx_c = sum_{n,k} g (x - mean_c):
//     dbias_c = Sg_c,  dweight_c = invstd_c Sgx_c
//     training: dx = w_c invstd_c (g - Sg_c / M - (x - mean_c) invstd_c^2 Sgx_c / M)
//     eval:     dx = w_c invstd_c g                  (a per-channel affine map)
//   Both write dx as dx = k1_c g + k2_c x + k0_c.
//   Statistics are the corrected two-pass sums over a chunk that stays in cache: a first mean m0,
//   then s1 = sum (x - m0), s2 = sum (x - m0)^2, giving mean = m0 + s1 / n and
//   M2 = s2 - s1^2 / n; chunks merge with Chan's formula. float32 thus keeps its precision when
//   |mean| >> std (the vector loops and their precision are in norm_vec.cpp). Work split:
//     K >= kMinPlane: a task is (channel, chunk of its M values). When C covers the threads a
//       channel is one chunk, and the task normalises (or writes dx) right after its sums, while
//       the channel is still in L2; otherwise chunk partials are merged and a second parallel
//       pass writes the output.
//     K < kMinPlane ((N, C) and tiny maps): a channel's values are strided by C K, so threads take
//       blocks of rows instead and accumulate all C K columns at once (unit stride).
#include "../contracts/batch_norm.h"

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

constexpr int64_t kMinPlane = 16;  // K below this: batch_norm walks whole rows (column path)
constexpr int64_t kChunk = 16384;  // values per task: a chunk of x (and grad) stays in L2

// Count, mean and sum of squared deviations of a set of values; two sets merge exactly.
struct Moments {
  double n = 0, mean = 0, m2 = 0;
  void merge(const Moments& b) {
    if (b.n == 0) return;
    if (n == 0) {
      *this = b;
      return;
    }
    const double t = n + b.n, d = b.mean - mean;
    mean += d * (b.n / t);
    m2 += b.m2 + d * d * (n * b.n / t);
    n = t;
  }
};

// f(n, k0, k1) for the (row n, columns [k0, k1)) pieces of the flat range [m0, m1) of a channel's
// N x K values.
template <class F>
void for_pieces(int64_t m0, int64_t m1, int64_t K, const F& f) {
  if (m0 >= m1) return;
  int64_t n = m0 / K, k = m0 % K;
  while (m0 < m1) {
    const int64_t len = std::min(K - k, m1 - m0);
    f(n, k, k + len);
    m0 += len;
    ++n;
    k = 0;
  }
}

// The same pieces, last first: a pass that follows a forward one starts on the data that the
// forward pass touched last, still in cache.
template <class F>
void for_pieces_reversed(int64_t m0, int64_t m1, int64_t K, const F& f) {
  if (m0 >= m1) return;
  int64_t n = (m1 - 1) / K, k = (m1 - 1) % K + 1;
  while (m1 > m0) {
    const int64_t len = std::min(k, m1 - m0);
    f(n, k - len, k);
    m1 -= len;
    --n;
    k = K;
  }
}

// Chunks per channel for the plane path: one when the channels cover the threads.
int64_t chunks_per_channel(const BatchNormDims& d) {
  const int64_t T = max_threads(), M = d.N * d.K;
  if (d.C >= T) return 1;
  return std::max<int64_t>(1, std::min<int64_t>((T + d.C - 1) / d.C, M / kChunk));
}

// Row blocks for the column path: about kChunk values each.
int64_t rows_per_block(const BatchNormDims& d) {
  return std::max<int64_t>(1, kChunk / std::max<int64_t>(1, d.C * d.K));
}

// ------------------------------------------------------------------------------- batch_norm

template <class T>
struct BnForward {
  const T* x;
  T* y;
  const T* w;
  const T* b;
  T* rm;  // running statistics, null when not tracked or not training
  T* rv;
  T* smean;
  T* sinv;
  double momentum, eps;
  BatchNormDims d;

  // Statistics of channel c -> save_mean / save_invstd, running statistics, and (a, s) of y = x a + s.
  void finish(int64_t c, const Moments& mo, T& a, T& s) const {
    const double M = mo.n;
    const double var = M > 0 ? mo.m2 / M : 0.0;
    const double inv = 1.0 / std::sqrt(var + eps);
    smean[c] = static_cast<T>(mo.mean);
    sinv[c] = static_cast<T>(inv);
    if (rm && M > 0) {  // an empty batch leaves the running statistics alone (as torch)
      const double unbiased = M > 1 ? mo.m2 / (M - 1) : std::numeric_limits<double>::quiet_NaN();
      rm[c] = static_cast<T>((1 - momentum) * static_cast<double>(rm[c]) + momentum * mo.mean);
      rv[c] = static_cast<T>((1 - momentum) * static_cast<double>(rv[c]) + momentum * unbiased);
    }
    scale_shift(c, mo.mean, inv, a, s);
  }

  void scale_shift(int64_t c, double mean, double inv, T& a, T& s) const {
    const double wc = w ? static_cast<double>(w[c]) : 1.0, bc = b ? static_cast<double>(b[c]) : 0.0;
    a = static_cast<T>(wc * inv);
    s = static_cast<T>(bc - mean * wc * inv);
  }

  const T* plane(int64_t n, int64_t c) const { return x + (n * d.C + c) * d.K; }
  T* out_plane(int64_t n, int64_t c) const { return y + (n * d.C + c) * d.K; }

  // The moments of channel c's values [m0, m1): a first mean, then the corrected two-pass sums
  // about it, over data that stays in cache.
  Moments chunk_moments(int64_t c, int64_t m0, int64_t m1) const {
    Moments mo;
    mo.n = static_cast<double>(m1 - m0);
    if (m1 <= m0) return mo;
    double s = 0;
    for_pieces(m0, m1, d.K, [&](int64_t n, int64_t k0, int64_t k1) { s += nv::sum(plane(n, c) + k0, k1 - k0); });
    const double m = s / mo.n;
    double s1 = 0, s2 = 0;
    for_pieces_reversed(m0, m1, d.K, [&](int64_t n, int64_t k0, int64_t k1) {
      nv::centered_sums(plane(n, c) + k0, k1 - k0, m, s1, s2);
    });
    mo.mean = m + s1 / mo.n;
    mo.m2 = std::max(0.0, s2 - s1 * s1 / mo.n);
    return mo;
  }

  void write(int64_t c, int64_t m0, int64_t m1, T a, T s) const {
    for_pieces(m0, m1, d.K, [&](int64_t n, int64_t k0, int64_t k1) {
      nv::affine(plane(n, c) + k0, out_plane(n, c) + k0, k1 - k0, a, s);
    });
  }

  void train_planes() const {
    const int64_t M = d.N * d.K, q = chunks_per_channel(d);
    if (q == 1) {
      parallel_for(d.C, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c) {
          T a, s;
          finish(c, chunk_moments(c, 0, M), a, s);
          write(c, 0, M, a, s);
        }
      });
      return;
    }
    std::vector<Moments> part(static_cast<size_t>(d.C * q));
    parallel_for(d.C * q, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        const int64_t c = t / q, j = t % q;
        part[t] = chunk_moments(c, M * j / q, M * (j + 1) / q);
      }
    });
    std::vector<T> a(d.C), s(d.C);
    for (int64_t c = 0; c < d.C; ++c) {
      Moments mo;
      for (int64_t j = 0; j < q; ++j) mo.merge(part[c * q + j]);
      finish(c, mo, a[c], s[c]);
    }
    parallel_for(d.C * q, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        const int64_t c = t / q, j = t % q;
        write(c, M * j / q, M * (j + 1) / q, a[c], s[c]);
      }
    });
  }

  // Column path: each part accumulates the moments of all J = C K columns over its rows, in row
  // blocks that stay in cache (two passes per block, blocks merged per column).
  void train_columns() const {
    const int64_t J = d.C * d.K, rb = rows_per_block(d);
    const int64_t P = parts_for(d.N, rb);
    std::vector<Moments> part(static_cast<size_t>(P * J));
    parallel_for(P, 1, [&](int64_t pb, int64_t pe) {
      std::vector<double> sum(J), sq(J);
      for (int64_t p = pb; p < pe; ++p) {
        Moments* acc = part.data() + p * J;
        const int64_t n0 = d.N * p / P, n1 = d.N * (p + 1) / P;
        for (int64_t b0 = n0; b0 < n1; b0 += rb) {
          const int64_t b1 = std::min(n1, b0 + rb);
          std::fill(sum.begin(), sum.end(), 0.0);
          std::fill(sq.begin(), sq.end(), 0.0);
          for (int64_t n = b0; n < b1; ++n) {
            const T* xr = x + n * J;
#pragma omp simd
            for (int64_t j = 0; j < J; ++j) sum[j] += static_cast<double>(xr[j]);
          }
          const double rows = static_cast<double>(b1 - b0);
          for (int64_t j = 0; j < J; ++j) sum[j] /= rows;
          for (int64_t n = b0; n < b1; ++n) {
            const T* xr = x + n * J;
#pragma omp simd
            for (int64_t j = 0; j < J; ++j) {
              const double v = static_cast<double>(xr[j]) - sum[j];
              sq[j] += v * v;
            }
          }
          for (int64_t j = 0; j < J; ++j) acc[j].merge(Moments{rows, sum[j], sq[j]});
        }
      }
    });
    std::vector<T> a(J), s(J);
    for (int64_t c = 0; c < d.C; ++c) {
      Moments mo;
      for (int64_t k = 0; k < d.K; ++k)
        for (int64_t p = 0; p < P; ++p) mo.merge(part[p * J + c * d.K + k]);
      finish(c, mo, a[c * d.K], s[c * d.K]);
      for (int64_t k = 1; k < d.K; ++k) {
        a[c * d.K + k] = a[c * d.K];
        s[c * d.K + k] = s[c * d.K];
      }
    }
    apply_columns(a.data(), s.data());
  }

  // y[n, j] = x[n, j] a[j] + s[j] over rows.
  void apply_columns(const T* a, const T* s) const {
    const int64_t J = d.C * d.K;
    parallel_for(d.N, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(1, J)), [&](int64_t nb, int64_t ne) {
      for (int64_t n = nb; n < ne; ++n) {
        const T* xr = x + n * J;
        T* yr = y + n * J;
#pragma omp simd
        for (int64_t j = 0; j < J; ++j) yr[j] = xr[j] * a[j] + s[j];
      }
    });
  }

  // Eval: the running statistics, then one affine pass.
  void eval() const {
    std::vector<T> a(d.C), s(d.C);
    for (int64_t c = 0; c < d.C; ++c) {
      const double mean = static_cast<double>(rm[c]);
      const double inv = 1.0 / std::sqrt(static_cast<double>(rv[c]) + eps);
      smean[c] = static_cast<T>(mean);
      sinv[c] = static_cast<T>(inv);
      scale_shift(c, mean, inv, a[c], s[c]);
    }
    if (d.K >= kMinPlane) {
      parallel_for(d.N * d.C, std::max<int64_t>(1, kGrainElementwise / d.K), [&](int64_t pb, int64_t pe) {
        for (int64_t p = pb; p < pe; ++p) {
          const int64_t c = p % d.C;
          nv::affine(x + p * d.K, y + p * d.K, d.K, a[c], s[c]);
        }
      });
      return;
    }
    std::vector<T> aj(d.C * d.K), sj(d.C * d.K);
    for (int64_t j = 0; j < d.C * d.K; ++j) {
      aj[j] = a[j / d.K];
      sj[j] = s[j / d.K];
    }
    apply_columns(aj.data(), sj.data());
  }
};

template <class T>
struct BnBackward {
  const T* g;
  const T* x;
  const T* w;
  const T* smean;
  const T* sinv;
  T* dx;  // each null when not wanted
  T* dw;
  T* db;
  bool training;
  BatchNormDims d;

  bool need_sums() const { return dw || db || (dx && training); }

  // Channel c's sums -> dweight, dbias and the dx coefficients.
  void finish(int64_t c, double sg, double sgx, T& k1, T& k2, T& k0) const {
    const double inv = static_cast<double>(sinv[c]), mean = static_cast<double>(smean[c]);
    const double M = static_cast<double>(d.N * d.K);
    if (db) db[c] = static_cast<T>(sg);
    if (dw) dw[c] = static_cast<T>(sgx * inv);
    const double wi = (w ? static_cast<double>(w[c]) : 1.0) * inv;
    k1 = static_cast<T>(wi);
    if (training && M > 0) {
      const double c2 = -wi * inv * inv * sgx / M;
      k2 = static_cast<T>(c2);
      k0 = static_cast<T>(-wi * sg / M - c2 * mean);
    } else {
      k2 = T(0);
      k0 = T(0);
    }
  }

  size_t off(int64_t n, int64_t c) const { return static_cast<size_t>((n * d.C + c) * d.K); }

  void chunk_sums(int64_t c, int64_t m0, int64_t m1, double& sg, double& sgx) const {
    const double mean = static_cast<double>(smean[c]);
    for_pieces(m0, m1, d.K, [&](int64_t n, int64_t k0, int64_t k1) {
      nv::grad_sums(g + off(n, c) + k0, x + off(n, c) + k0, k1 - k0, mean, sg, sgx);
    });
  }

  void write(int64_t c, int64_t m0, int64_t m1, T k1, T k2, T k0) const {
    for_pieces_reversed(m0, m1, d.K, [&](int64_t n, int64_t a, int64_t b) {
      nv::affine2(g + off(n, c) + a, x + off(n, c) + a, dx + off(n, c) + a, b - a, k1, k2, k0);
    });
  }

  void planes() const {
    const int64_t M = d.N * d.K, q = need_sums() ? chunks_per_channel(d) : 1;
    if (q == 1) {
      parallel_for(d.C, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c) {
          double sg = 0, sgx = 0;
          if (need_sums()) chunk_sums(c, 0, M, sg, sgx);
          T k1, k2, k0;
          finish(c, sg, sgx, k1, k2, k0);
          if (dx) write(c, 0, M, k1, k2, k0);
        }
      });
      return;
    }
    std::vector<double> psg(d.C * q, 0.0), psgx(d.C * q, 0.0);
    parallel_for(d.C * q, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        const int64_t c = t / q, j = t % q;
        chunk_sums(c, M * j / q, M * (j + 1) / q, psg[t], psgx[t]);
      }
    });
    std::vector<T> k1(d.C), k2(d.C), k0(d.C);
    for (int64_t c = 0; c < d.C; ++c) {
      double sg = 0, sgx = 0;
      for (int64_t j = 0; j < q; ++j) {
        sg += psg[c * q + j];
        sgx += psgx[c * q + j];
      }
      finish(c, sg, sgx, k1[c], k2[c], k0[c]);
    }
    if (!dx) return;
    parallel_for(d.C * q, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        const int64_t c = t / q, j = t % q;
        write(c, M * j / q, M * (j + 1) / q, k1[c], k2[c], k0[c]);
      }
    });
  }

  void columns() const {
    const int64_t J = d.C * d.K;
    std::vector<double> sg(d.C, 0.0), sgx(d.C, 0.0);
    if (need_sums()) {
      std::vector<double> mj(J);
      for (int64_t j = 0; j < J; ++j) mj[j] = static_cast<double>(smean[j / d.K]);
      const int64_t P = parts_for(d.N, rows_per_block(d));
      std::vector<double> part(static_cast<size_t>(2 * P * J), 0.0);
      parallel_for(P, 1, [&](int64_t pb, int64_t pe) {
        for (int64_t p = pb; p < pe; ++p) {
          double* a = part.data() + 2 * p * J;
          double* b = a + J;
          for (int64_t n = d.N * p / P; n < d.N * (p + 1) / P; ++n) {
            const T* gr = g + n * J;
            const T* xr = x + n * J;
#pragma omp simd
            for (int64_t j = 0; j < J; ++j) {
              const double gj = static_cast<double>(gr[j]);
              a[j] += gj;
              b[j] += gj * (static_cast<double>(xr[j]) - mj[j]);
            }
          }
        }
      });
      for (int64_t p = 0; p < P; ++p)
        for (int64_t j = 0; j < J; ++j) {
          sg[j / d.K] += part[2 * p * J + j];
          sgx[j / d.K] += part[(2 * p + 1) * J + j];
        }
    }
    std::vector<T> k1(J), k2(J), k0(J);
    for (int64_t c = 0; c < d.C; ++c) {
      finish(c, sg[c], sgx[c], k1[c * d.K], k2[c * d.K], k0[c * d.K]);
      for (int64_t k = 1; k < d.K; ++k) {
        k1[c * d.K + k] = k1[c * d.K];
        k2[c * d.K + k] = k2[c * d.K];
        k0[c * d.K + k] = k0[c * d.K];
      }
    }
    if (!dx) return;
    parallel_for(d.N, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(1, J)), [&](int64_t nb, int64_t ne) {
      for (int64_t n = nb; n < ne; ++n) {
        const T* gr = g + n * J;
        const T* xr = x + n * J;
        T* dr = dx + n * J;
#pragma omp simd
        for (int64_t j = 0; j < J; ++j) dr[j] = gr[j] * k1[j] + xr[j] * k2[j] + k0[j];
      }
    });
  }
};

}  // namespace

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const Tensor& running_mean, const Tensor& running_var, bool training,
                            double momentum, double eps, const BatchNormDims& d, Tensor& out,
                            Tensor& save_mean, Tensor& save_invstd) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "batch_norm", [&] {
    using T = scalar_t;
    const BnForward<T> f{x.data<T>(),        out.data<T>(),         weight.data_or_null<T>(),
                         bias.data_or_null<T>(),  running_mean.data_or_null<T>(),
                         running_var.data_or_null<T>(),
                         save_mean.data<T>(), save_invstd.data<T>(), momentum, eps, d};
    if (!training) f.eval();
    else if (d.K >= kMinPlane || d.N * d.K == 0) f.train_planes();
    else f.train_columns();
  });
}

void batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                             const Tensor& save_mean, const Tensor& save_invstd, bool training,
                             const BatchNormDims& d, Tensor& dx, Tensor& dweight, Tensor& dbias) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "batch_norm_backward", [&] {
    using T = scalar_t;
    const BnBackward<T> b{grad.data<T>(),
                          x.data<T>(),
                          weight.data_or_null<T>(),
                          save_mean.data<T>(),
                          save_invstd.data<T>(),
                          dx.data_or_null<T>(),
                          dweight.data_or_null<T>(),
                          dbias.data_or_null<T>(),
                          training,
                          d};
    if (d.K >= kMinPlane || d.N * d.K == 0) b.planes();
    else b.columns();
  });
}

}  // namespace kernels::cpu
