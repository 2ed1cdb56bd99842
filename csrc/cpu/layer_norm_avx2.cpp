// layer_norm's float32 row loops with AVX2/FMA (this file gets -mavx2 -mfma); layer_norm.cpp
// calls them only when use_avx2(). x, g, y, dx are one row of n values; w, b (n) the affine
// parameters; aw, ab (n) a thread's running dweight / dbias sums.
//
// Forward, one pass over memory: the row is cut into blocks of kBlock values (L1-resident). Per
// block, a float sum gives a first mean mc; a second look at the block sums d = x - mc and d^2 in
// float lanes (x - mc is exact for x within a factor 2 of mc, so large means cost no precision),
// and the block's mean and M2 are, in double,
//   mean_b = mc + sum d / n_b,   M2_b = sum d^2 - (sum d)^2 / n_b.
// Blocks merge in double (Chan et al.): with delta = mean_b - mean and n' = n + n_b,
//   mean += delta n_b / n',   M2 += M2_b + delta^2 n n_b / n'.
// The row mean is then split as hi = float(mean), lo = float(mean - hi), and
//   y = ((x - hi) - lo) r w + b,  r = rstd,
// so y keeps the precision of the centred value even for a mean of 1e4 (float's ulp there is 1e-3).
//
// Backward: the saved mean hi is a float; the row's true mean is hi + c, c = sum (x - hi) / n, so
// with xc = (x - hi) - c (the exactly centred value) and xhat = xc r:
//   A = sum g w,   B = sum g w xc,   k2 = -r^3 B / n,   k0 = -r A / n - k2 c,
//   dx = g w r + (x - hi) k2 + k0   (= r (g w - A / n - xhat B r / n)),
//   dweight += g xc r,   dbias += g.
// Two passes over a row: the first sums A and B and adds into dweight / dbias (it needs c, summed
// before it); the second writes dx. Keeping the dweight / dbias updates in the first pass measured
// faster than in the second (fewer streams written by one loop). Short rows go through the first
// pass two at a time, sharing its loads and stores of w and of the dweight / dbias sums.
// Float lane sums are added into double every block, so no lane sums more than kBlock / 32 terms.
#include "layer_norm_avx2.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace kernels::cpu::ln_avx2 {

namespace {

constexpr int64_t kBlock = 512;  // values per block: 2 KB, stays in L1 for the second look

alignas(32) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// Lanes [0, n) set, 0 <= n <= 8.
inline __m256i tail_mask(int64_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - n));
}

inline double hsum(__m256 v) {
  const __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}

// mean and M2 of one block of n values (0 < n <= kBlock).
inline void block_moments(const float* x, int64_t n, double& mean, double& m2) {
  const int64_t nv = n & ~int64_t(7), rem = n - nv;
  const __m256i tm = tail_mask(rem);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = 0;
  for (; i + 32 <= nv; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
  }
  for (; i < nv; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
  if (rem) s1 = _mm256_add_ps(s1, _mm256_maskload_ps(x + nv, tm));  // masked lanes read as 0
  const float mc = static_cast<float>(hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))) /
                                      static_cast<double>(n));
  const __m256 mv = _mm256_set1_ps(mc);
  // Four independent chains of each sum: a row of a few hundred values is latency-bound otherwise.
  __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 q[4] = {a[0], a[0], a[0], a[0]};
  for (i = 0; i + 32 <= nv; i += 32) {
    for (int j = 0; j < 4; ++j) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8 * j), mv);
      a[j] = _mm256_add_ps(a[j], d);
      q[j] = _mm256_fmadd_ps(d, d, q[j]);
    }
  }
  for (int j = 0; i < nv; i += 8, ++j) {
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), mv);
    a[j] = _mm256_add_ps(a[j], d);
    q[j] = _mm256_fmadd_ps(d, d, q[j]);
  }
  if (rem) {
    const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + nv, tm), mv), _mm256_castsi256_ps(tm));
    a[3] = _mm256_add_ps(a[3], d);
    q[3] = _mm256_fmadd_ps(d, d, q[3]);
  }
  const double sd = hsum(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])));
  const double sq = hsum(_mm256_add_ps(_mm256_add_ps(q[0], q[1]), _mm256_add_ps(q[2], q[3])));
  const double inv = 1.0 / static_cast<double>(n);
  mean = static_cast<double>(mc) + sd * inv;
  m2 = std::max(0.0, sq - sd * sd * inv);
}

// y = ((x - hi) - lo) r w + b for the lanes of one vector.
template <bool HasW, bool HasB>
inline __m256 norm8(__m256 x, const float* w, const float* b, __m256 hi, __m256 lo, __m256 r, __m256i m,
                    bool masked) {
  __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(x, hi), lo), r);
  if (HasW) t = _mm256_mul_ps(t, masked ? _mm256_maskload_ps(w, m) : _mm256_loadu_ps(w));
  if (HasB) t = _mm256_add_ps(t, masked ? _mm256_maskload_ps(b, m) : _mm256_loadu_ps(b));
  return t;
}

template <bool HasW, bool HasB>
void normalize_impl(const float* x, const float* w, const float* b, float* y, int64_t n, float hi, float lo,
                    float r) {
  const __m256 hv = _mm256_set1_ps(hi), lv = _mm256_set1_ps(lo), rv = _mm256_set1_ps(r);
  const __m256i all = tail_mask(8);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, norm8<HasW, HasB>(_mm256_loadu_ps(x + i), w + i, b + i, hv, lv, rv, all, false));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, norm8<HasW, HasB>(_mm256_maskload_ps(x + i, m), w + i, b + i, hv, lv, rv, m, true));
  }
}

// Runs f(i, m, masked, j) over the vectors of [b0, b1) (b1 - b0 <= kBlock), f adding into chain j
// of 4: blocks of 32 values, then up to 4 vectors, the last one partial (masked, its other lanes
// to be read as 0).
template <class F>
inline void block_vectors(int64_t b0, int64_t b1, const F& f) {
  const __m256i all = tail_mask(8);
  int64_t i = b0;
  for (; i + 32 <= b1; i += 32)
    for (int j = 0; j < 4; ++j) f(i + 8 * j, all, false, j);
  for (int j = 0; i < b1; i += 8, ++j) {
    if (i + 8 <= b1)
      f(i, all, false, j);
    else
      f(i, tail_mask(b1 - i), true, j);
  }
}

inline double sum4(const __m256* v) {
  return hsum(_mm256_add_ps(_mm256_add_ps(v[0], v[1]), _mm256_add_ps(v[2], v[3])));
}

inline __m256 load(const float* p, __m256i m, bool masked) {
  return masked ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p);
}

inline void store(float* p, __m256 v, __m256i m, bool masked) {
  if (masked)
    _mm256_maskstore_ps(p, m, v);
  else
    _mm256_storeu_ps(p, v);
}

// Rows (1 or 2) rows at once: two rows share the loads and stores of w and of the dweight /
// dbias sums, which otherwise dominate short rows.
template <int Rows, bool HasW, bool HasAcc>
void grad_sums_impl(const float* const* g, const float* const* x, const float* w, int64_t n, const float* hi,
                    const float* c, const float* r, float* aw, float* ab, double* A, double* B) {
  constexpr int C = 4 / Rows;  // independent chains per row and sum
  __m256 hv[Rows], cv[Rows], rv[Rows];
  for (int t = 0; t < Rows; ++t) {
    hv[t] = _mm256_set1_ps(hi[t]);
    cv[t] = _mm256_set1_ps(c[t]);
    rv[t] = _mm256_set1_ps(r[t]);
  }
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    __m256 a[Rows][C], q[Rows][C];
    for (int t = 0; t < Rows; ++t)
      for (int k = 0; k < C; ++k) a[t][k] = q[t][k] = _mm256_setzero_ps();
    block_vectors(b0, std::min(n, b0 + kBlock), [&](int64_t i, __m256i m, bool masked, int j) {
      const int k = j % C;
      // Every load before any store: a load issued after a store to an address a multiple of
      // 4 KB away (rows of page-aligned tensors often are) waits for that store.
      const __m256 wv = HasW ? load(w + i, m, masked) : _mm256_setzero_ps();
      __m256 dwv = HasAcc ? load(aw + i, m, masked) : wv, dbv = HasAcc ? load(ab + i, m, masked) : wv;
      for (int t = 0; t < Rows; ++t) {
        const __m256 gv = load(g[t] + i, m, masked);
        __m256 xc = _mm256_sub_ps(_mm256_sub_ps(load(x[t] + i, m, masked), hv[t]), cv[t]);
        if (masked) xc = _mm256_and_ps(xc, _mm256_castsi256_ps(m));
        const __m256 gw = HasW ? _mm256_mul_ps(gv, wv) : gv;
        a[t][k] = _mm256_add_ps(a[t][k], gw);
        q[t][k] = _mm256_fmadd_ps(gw, xc, q[t][k]);
        if (HasAcc) {
          dwv = _mm256_fmadd_ps(gv, _mm256_mul_ps(xc, rv[t]), dwv);
          dbv = _mm256_add_ps(dbv, gv);
        }
      }
      if (HasAcc) {
        store(aw + i, dwv, m, masked);
        store(ab + i, dbv, m, masked);
      }
    });
    for (int t = 0; t < Rows; ++t) {
      __m256 sa = a[t][0], sq = q[t][0];
      for (int k = 1; k < C; ++k) {
        sa = _mm256_add_ps(sa, a[t][k]);
        sq = _mm256_add_ps(sq, q[t][k]);
      }
      A[t] += hsum(sa);
      B[t] += hsum(sq);
    }
  }
}

template <int Rows>
void grad_sums_dispatch(const float* const* g, const float* const* x, const float* w, int64_t n, const float* hi,
                        const float* c, const float* r, float* aw, float* ab, double* A, double* B) {
  if (w && aw)
    grad_sums_impl<Rows, true, true>(g, x, w, n, hi, c, r, aw, ab, A, B);
  else if (w)
    grad_sums_impl<Rows, true, false>(g, x, w, n, hi, c, r, aw, ab, A, B);
  else if (aw)
    grad_sums_impl<Rows, false, true>(g, x, w, n, hi, c, r, aw, ab, A, B);
  else
    grad_sums_impl<Rows, false, false>(g, x, w, n, hi, c, r, aw, ab, A, B);
}

template <bool HasW, bool HasNext>
double grad_apply_impl(const float* g, const float* x, const float* w, float* dx, int64_t n, float hi, float r,
                       float k2, float k0, const float* xn, float hn) {
  const __m256 hv = _mm256_set1_ps(hi), rv = _mm256_set1_ps(r), k2v = _mm256_set1_ps(k2), k0v = _mm256_set1_ps(k0);
  const __m256 hnv = _mm256_set1_ps(hn);
  double sn = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    block_vectors(b0, std::min(n, b0 + kBlock), [&](int64_t i, __m256i m, bool masked, int j) {
      const __m256 gv = load(g + i, m, masked), xc = _mm256_sub_ps(load(x + i, m, masked), hv);
      const __m256 gw = HasW ? _mm256_mul_ps(gv, load(w + i, m, masked)) : gv;
      if (HasNext) {
        __m256 d = _mm256_sub_ps(load(xn + i, m, masked), hnv);
        if (masked) d = _mm256_and_ps(d, _mm256_castsi256_ps(m));
        s[j] = _mm256_add_ps(s[j], d);
      }
      store(dx + i, _mm256_fmadd_ps(gw, rv, _mm256_fmadd_ps(xc, k2v, k0v)), m, masked);
    });
    if (HasNext) sn += sum4(s);
  }
  return sn;
}

}  // namespace

void row_moments(const float* x, int64_t n, double& mean, double& m2) {
  double mu, M2;
  block_moments(x, std::min(kBlock, n), mu, M2);
  double cnt = static_cast<double>(std::min(kBlock, n));
  for (int64_t b0 = kBlock; b0 < n; b0 += kBlock) {
    const int64_t nb = std::min(kBlock, n - b0);
    double mb, m2b;
    block_moments(x + b0, nb, mb, m2b);
    const double tot = cnt + static_cast<double>(nb), delta = mb - mu;
    mu += delta * (static_cast<double>(nb) / tot);
    M2 += m2b + delta * delta * (cnt * static_cast<double>(nb) / tot);
    cnt = tot;
  }
  mean = mu;
  m2 = M2;
}

void normalize_row(const float* x, const float* w, const float* b, float* y, int64_t n, float hi, float lo,
                   float r) {
  if (w && b)
    normalize_impl<true, true>(x, w, b, y, n, hi, lo, r);
  else if (w)
    normalize_impl<true, false>(x, w, b, y, n, hi, lo, r);
  else if (b)
    normalize_impl<false, true>(x, w, b, y, n, hi, lo, r);
  else
    normalize_impl<false, false>(x, w, b, y, n, hi, lo, r);
}

double centred_sum(const float* x, int64_t n, float hi) {
  const __m256 hv = _mm256_set1_ps(hi);
  double sum = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    block_vectors(b0, std::min(n, b0 + kBlock), [&](int64_t i, __m256i m, bool masked, int j) {
      __m256 d = _mm256_sub_ps(load(x + i, m, masked), hv);
      if (masked) d = _mm256_and_ps(d, _mm256_castsi256_ps(m));
      s[j] = _mm256_add_ps(s[j], d);
    });
    sum += sum4(s);
  }
  return sum;
}

void grad_rows_sums(int rows, const float* const* g, const float* const* x, const float* w, int64_t n,
                    const float* hi, const float* c, const float* r, float* aw, float* ab, double* A, double* B) {
  if (rows == 2)
    grad_sums_dispatch<2>(g, x, w, n, hi, c, r, aw, ab, A, B);
  else
    grad_sums_dispatch<1>(g, x, w, n, hi, c, r, aw, ab, A, B);
}

double grad_row_apply(const float* g, const float* x, const float* w, float* dx, int64_t n, float hi, float r,
                      float k2, float k0, const float* xn, float hn) {
  if (w && xn) return grad_apply_impl<true, true>(g, x, w, dx, n, hi, r, k2, k0, xn, hn);
  if (w) return grad_apply_impl<true, false>(g, x, w, dx, n, hi, r, k2, k0, xn, hn);
  if (xn) return grad_apply_impl<false, true>(g, x, w, dx, n, hi, r, k2, k0, xn, hn);
  return grad_apply_impl<false, false>(g, x, w, dx, n, hi, r, k2, k0, xn, hn);
}

}  // namespace kernels::cpu::ln_avx2
