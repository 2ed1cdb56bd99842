// Per-plane max / avg pooling loops, vectorised across the output columns ow with GCC/Clang
// vector extensions. Included twice: by pool.cpp (baseline ISA, 16-byte vectors) and by
// pool_avx2.cpp (-mavx2 -mfma, 32-byte vectors), each inside its own namespace
// (KERNELS_POOL_ISA) so the two instantiations never merge.
//
// Phase layout. A window reads columns c = ow*sW + kw*dW of the padded row (c = iw + pW), which
// is strided in ow. Each padded row is therefore re-laid out once into sW phases,
//   buf[p*Q + q] = padded[q*sW + p]      (Q entries per phase; padding -> `fill`)
// so that column ow*sW + t (t = kw*dW) sits at buf[(t % sW)*Q + t / sW + ow]: contiguous in ow.
// A plane is packed row by row (H * sW * Q values); every (kh, kw) tap is then a plain vector
// load at a fixed offset. Q is rounded up so that a block of L lanes never reads past the row.
//
// max: for a block of L output columns, the running max m and the winning tap's offset a
// (a = kh*dH*W + kw*dW) stay in registers over the taps, visited in torch's scan order (kh outer,
// kw inner, valid rows only); a lane takes v when v > m or v is NaN (NaN propagates, the first
// max wins ties, the last NaN wins among NaNs). Index = (oh*sH - pH)*W + ow*sW - pW + a. Padding
// is -inf and never taken; a lane that took nothing (every value -inf) gets torch's index of the
// first valid position.
// avg: the same taps summed with zero padding, then divided by the count of torch's rules.
// avg backward: grad/divisor added tap by tap into a zeroed phase-layout plane, then unpacked.
#ifndef KERNELS_POOL_ISA
#error "define KERNELS_POOL_ISA and KERNELS_POOL_VBYTES before including pool_plane.h"
#endif
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "../common/pool_math.h"
#include "../contracts/pool.h"

namespace kernels::cpu::pool_detail {

// The plane-chunk loops of one ISA, for one scalar type; pool.cpp picks the AVX2 set at run time.
template <class T>
struct PlaneFns {
  int lanes;  // vector width L (the divisor rows are padded to multiples of it)
  // x, y, indices, geometry, planes [p0, p1); the winning offsets must fit Simd<T>::I
  void (*max)(const T*, T*, int64_t*, const Pool2dGeom&, int64_t, int64_t);
  // x or grad, y or dx, geometry, div (see avg_plane), planes [p0, p1)
  void (*avg)(const T*, T*, const Pool2dGeom&, const T*, int64_t, int64_t);
  void (*avg_backward)(const T*, T*, const Pool2dGeom&, const T*, int64_t, int64_t);
  // x or grad, y or dx, geometry, planes [p0, p1)
  void (*adaptive_avg)(const T*, T*, const Pool2dGeom&, int64_t, int64_t);
  void (*adaptive_avg_backward)(const T*, T*, const Pool2dGeom&, int64_t, int64_t);
};
template <class T>
PlaneFns<T> plane_fns_avx2();  // csrc/cpu/pool_avx2.cpp

namespace KERNELS_POOL_ISA {

// Vectors of L lanes of T, and of the same-width integers for the winning tap's offset.
template <class T>
struct Simd {
  static constexpr int L = KERNELS_POOL_VBYTES / sizeof(T);
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  typedef T V __attribute__((vector_size(KERNELS_POOL_VBYTES)));
  typedef I IV __attribute__((vector_size(KERNELS_POOL_VBYTES)));
  static inline V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static inline void store(T* p, V v) { std::memcpy(p, &v, sizeof v); }
  static inline V splat(T x) { return V{} + x; }
  static inline IV isplat(I x) { return IV{} + x; }
};

// Entries per phase: the last block's L lanes plus the widest tap shift, and every input
// column (the backward unpacks whole rows, including columns no window reads).
template <class T>
int64_t phase_len(const Pool2dGeom& g) {
  constexpr int L = Simd<T>::L;
  const int64_t blocks = (g.OW + L - 1) / L * L;
  return std::max(blocks + ((g.kW - 1) * g.dW) / g.sW + 1, (g.W + g.pW + g.sW - 1) / g.sW);
}

// Stride 2: the phase of input column w is (w + pW) & 1 at index (w + pW) >> 1, so even and odd
// columns go to two fixed runs (a plain interleave the compiler vectorises).
template <class T>
struct Stride2Runs {
  T* even;
  T* odd;
};
template <class T>
Stride2Runs<T> stride2_runs(T* buf, int64_t pW, int64_t Q) {
  return {buf + (pW & 1) * Q + (pW >> 1), buf + ((pW + 1) & 1) * Q + ((pW + 1) >> 1)};
}

// buf[p*Q + q] = row[q*s + p - pW], or fill outside the row.
template <class T>
void pack_row(const T* __restrict row, const Pool2dGeom& g, int64_t Q, T fill, T* __restrict buf) {
  const int64_t s = g.sW;
  if (s == 2) {
    std::fill(buf, buf + 2 * Q, fill);
    const Stride2Runs<T> r = stride2_runs(buf, g.pW, Q);
    const int64_t half = g.W / 2;
    for (int64_t j = 0; j < half; ++j) {
      r.even[j] = row[2 * j];
      r.odd[j] = row[2 * j + 1];
    }
    if (g.W & 1) r.even[half] = row[g.W - 1];
    return;
  }
  for (int64_t p = 0; p < s; ++p) {
    T* b = buf + p * Q;
    const int64_t first = g.pW - p;  // q*s + p - pW >= 0  <=>  q*s >= first
    const int64_t q0 = std::min(Q, first <= 0 ? int64_t(0) : (first + s - 1) / s);
    const int64_t q1 = std::max(q0, std::min(Q, (g.W + g.pW - p + s - 1) / s));
    for (int64_t q = 0; q < q0; ++q) b[q] = fill;
    const T* r = row + p - g.pW;
    if (s == 1) {
      std::memcpy(b + q0, r + q0, static_cast<size_t>(q1 - q0) * sizeof(T));
    } else {
      for (int64_t q = q0; q < q1; ++q) b[q] = r[q * s];
    }
    for (int64_t q = q1; q < Q; ++q) b[q] = fill;
  }
}

// torch's index for a window with no value above -inf: the first valid position.
inline int64_t first_valid_index(const Pool2dGeom& g, int64_t oh, int64_t ow) {
  int64_t ih = oh * g.sH - g.pH, iw = ow * g.sW - g.pW;
  while (ih < 0) ih += g.dH;
  while (iw < 0) iw += g.dW;
  return ih * g.W + iw;
}

// The taps of output row oh: pointers into the packed plane (offset so that lane ow reads
// tap(ow)) and the offsets a of the max index. Returns the number of taps.
template <class T, class P>
int row_taps(const Pool2dGeom& g, int64_t oh, P rows, int64_t Q, P* src, typename Simd<T>::I* off) {
  const int64_t RS = g.sW * Q, h0 = oh * g.sH - g.pH;
  int n = 0;
  for (int64_t kh = 0; kh < g.kH; ++kh) {
    const int64_t ih = h0 + kh * g.dH;
    if (ih < 0 || ih >= g.H) continue;
    for (int64_t kw = 0; kw < g.kW; ++kw) {
      const int64_t t = kw * g.dW;
      src[n] = rows + ih * RS + (t % g.sW) * Q + t / g.sW;
      off[n] = static_cast<typename Simd<T>::I>(kh * g.dH * g.W + t);
      ++n;
    }
  }
  return n;
}

// Scratch for one chunk of planes.
template <class T>
struct PlaneScratch {
  std::vector<T> rows;
  std::vector<T*> src;
  std::vector<typename Simd<T>::I> off;
  explicit PlaneScratch(const Pool2dGeom& g)
      : rows(static_cast<size_t>(g.H * g.sW * phase_len<T>(g))),
        src(static_cast<size_t>(g.kH * g.kW)),
        off(static_cast<size_t>(g.kH * g.kW)) {}
};

// One plane: x (H, W) -> y (OH, OW), ind (OH, OW).
template <class T>
void max_plane(const T* x, T* y, int64_t* ind, const Pool2dGeom& g, PlaneScratch<T>& s) {
  using S = Simd<T>;
  using I = typename S::I;
  constexpr int L = S::L;
  const int64_t Q = phase_len<T>(g), OW = g.OW;
  const T ninf = -std::numeric_limits<T>::infinity();
  for (int64_t h = 0; h < g.H; ++h) pack_row(x + h * g.W, g, Q, ninf, s.rows.data() + h * g.sW * Q);
  alignas(64) T mbuf[L];
  alignas(64) I abuf[L];
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int n = row_taps<T>(g, oh, s.rows.data(), Q, s.src.data(), s.off.data());
    const int64_t base = (oh * g.sH - g.pH) * g.W - g.pW;
    T* yr = y + oh * OW;
    int64_t* ir = ind + oh * OW;
    for (int64_t ow0 = 0; ow0 < OW; ow0 += L) {
      typename S::V m = S::splat(ninf);
      typename S::IV a = S::isplat(I(-1));
      for (int j = 0; j < n; ++j) {
        const typename S::V v = S::load(s.src[j] + ow0);
        const auto take = (v > m) | (v != v);
        m = take ? v : m;
        a = take ? S::isplat(s.off[j]) : a;
      }
      S::store(mbuf, m);
      std::memcpy(abuf, &a, sizeof a);
      const int lanes = static_cast<int>(std::min<int64_t>(L, OW - ow0));
      for (int l = 0; l < lanes; ++l) {
        const int64_t ow = ow0 + l;
        yr[ow] = mbuf[l];
        ir[ow] = abuf[l] >= 0 ? base + ow * g.sW + abuf[l] : first_valid_index(g, oh, ow);
      }
    }
  }
}

// Per-row / per-column window counts (the divisor is their product under both of torch's rules).
inline void avg_counts(const Pool2dGeom& g, bool count_include_pad, int64_t* rf, int64_t* cf) {
  auto count = [&](int64_t o, int64_t s, int64_t p, int64_t k, int64_t n) {
    int64_t b = o * s - p, e = std::min(b + k, n + p);
    if (count_include_pad) return e - b;
    b = std::max<int64_t>(b, 0);
    e = std::min(e, n);
    return std::max<int64_t>(e - b, 0);
  };
  for (int64_t oh = 0; oh < g.OH; ++oh) rf[oh] = count(oh, g.sH, g.pH, g.kH, g.H);
  for (int64_t ow = 0; ow < g.OW; ++ow) cf[ow] = count(ow, g.sW, g.pW, g.kW, g.W);
}

// The divisors `div` are laid out (OH, OWp), rows padded to whole blocks of L (pad lanes hold 1);
// an empty window (no valid position) holds +inf: output 0 and no gradient, as torch.
template <class T>
int64_t padded_ow(const Pool2dGeom& g) {
  constexpr int L = Simd<T>::L;
  return (g.OW + L - 1) / L * L;
}

template <class T>
void avg_plane(const T* x, T* y, const Pool2dGeom& g, const T* div, PlaneScratch<T>& s) {
  using S = Simd<T>;
  constexpr int L = S::L;
  const int64_t Q = phase_len<T>(g), OW = g.OW, OWp = padded_ow<T>(g);
  for (int64_t h = 0; h < g.H; ++h) pack_row(x + h * g.W, g, Q, T(0), s.rows.data() + h * g.sW * Q);
  alignas(64) T buf[L];
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int n = row_taps<T>(g, oh, s.rows.data(), Q, s.src.data(), s.off.data());
    T* yr = y + oh * OW;
    const T* dr = div + oh * OWp;
    for (int64_t ow0 = 0; ow0 < OW; ow0 += L) {
      typename S::V acc = S::splat(T(0));
      for (int j = 0; j < n; ++j) acc += S::load(s.src[j] + ow0);
      const typename S::V r = acc / S::load(dr + ow0);
      if (ow0 + L <= OW) {
        S::store(yr + ow0, r);
      } else {
        S::store(buf, r);
        for (int64_t ow = ow0; ow < OW; ++ow) yr[ow] = buf[ow - ow0];
      }
    }
  }
}

template <class T>
void avg_plane_backward(const T* gy, T* dx, const Pool2dGeom& g, const T* div, PlaneScratch<T>& s) {
  using S = Simd<T>;
  constexpr int L = S::L;
  const int64_t Q = phase_len<T>(g), RS = g.sW * Q, OW = g.OW, OWp = padded_ow<T>(g);
  T* rows = s.rows.data();
  std::fill(rows, rows + g.H * RS, T(0));
  alignas(64) T buf[L];
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int n = row_taps<T>(g, oh, rows, Q, s.src.data(), s.off.data());
    const T* gr = gy + oh * OW;
    const T* dr = div + oh * OWp;
    for (int64_t ow0 = 0; ow0 < OW; ow0 += L) {
      typename S::V gv;
      if (ow0 + L <= OW) {
        gv = S::load(gr + ow0);
      } else {
        for (int l = 0; l < L; ++l) buf[l] = ow0 + l < OW ? gr[ow0 + l] : T(0);
        gv = S::load(buf);
      }
      const typename S::V gd = gv / S::load(dr + ow0);
      // Taps in order; lanes past OW add zeros into the padding columns.
      for (int j = 0; j < n; ++j) {
        T* dst = s.src[j] + ow0;
        S::store(dst, S::load(dst) + gd);
      }
    }
  }
  // Unpack: dx[h][w] = rows[h][(w + pW) % sW][(w + pW) / sW].
  const int64_t st = g.sW;
  for (int64_t h = 0; h < g.H; ++h) {
    T* r = rows + h * RS;
    T* out = dx + h * g.W;
    if (st == 2) {
      const Stride2Runs<T> runs = stride2_runs(r, g.pW, Q);
      const int64_t half = g.W / 2;
      for (int64_t j = 0; j < half; ++j) {
        out[2 * j] = runs.even[j];
        out[2 * j + 1] = runs.odd[j];
      }
      if (g.W & 1) out[g.W - 1] = runs.even[half];
      continue;
    }
    for (int64_t p = 0; p < st; ++p) {
      const int64_t first = g.pW - p;  // w = q*s + p - pW in [0, W)
      const int64_t q0 = first <= 0 ? 0 : (first + st - 1) / st;
      const int64_t q1 = std::min(Q, (g.W + g.pW - p + st - 1) / st);
      const T* b = r + p * Q;
      T* o = out + p - g.pW;
      if (st == 1) {
        std::memcpy(o + q0, b + q0, static_cast<size_t>(std::max<int64_t>(q1 - q0, 0)) * sizeof(T));
      } else {
        for (int64_t q = q0; q < q1; ++q) o[q * st] = b[q];
      }
    }
  }
}

// The entry points the dispatcher in pool.cpp calls: a chunk of planes [p0, p1).
template <class T>
void max_planes(const T* x, T* y, int64_t* ind, const Pool2dGeom& g, int64_t p0, int64_t p1) {
  PlaneScratch<T> s(g);
  const int64_t in = g.H * g.W, on = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) max_plane(x + p * in, y + p * on, ind + p * on, g, s);
}

template <class T>
void avg_planes(const T* x, T* y, const Pool2dGeom& g, const T* div, int64_t p0, int64_t p1) {
  PlaneScratch<T> s(g);
  const int64_t in = g.H * g.W, on = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) avg_plane(x + p * in, y + p * on, g, div, s);
}

template <class T>
void avg_planes_backward(const T* gy, T* dx, const Pool2dGeom& g, const T* div, int64_t p0, int64_t p1) {
  PlaneScratch<T> s(g);
  const int64_t in = g.H * g.W, on = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) avg_plane_backward(gy + p * on, dx + p * in, g, div, s);
}

// adaptive_avg_pool2d, window (oh, ow) = rows [h0, h1) x columns [w0, w1) (pool_math.h):
// y = sum / (h1 - h0) / (w1 - w0). Global pooling (1x1) is one vector sum of the plane; other
// sizes add the window's rows into a column buffer, then sum its columns.
template <class T>
void adaptive_avg_planes(const T* x, T* y, const Pool2dGeom& g, int64_t p0, int64_t p1) {
  using S = Simd<T>;
  constexpr int L = S::L;
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, n = H * W;
  if (OH == 1 && OW == 1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * n;
      typename S::V a0 = S::splat(T(0)), a1 = a0, a2 = a0, a3 = a0;
      int64_t i = 0;
      for (; i + 4 * L <= n; i += 4 * L) {
        a0 += S::load(xp + i);
        a1 += S::load(xp + i + L);
        a2 += S::load(xp + i + 2 * L);
        a3 += S::load(xp + i + 3 * L);
      }
      for (; i + L <= n; i += L) a0 += S::load(xp + i);
      const typename S::V a = (a0 + a1) + (a2 + a3);
      T sum = 0;
      for (int l = 0; l < L; ++l) sum += a[l];
      for (; i < n; ++i) sum += xp[i];
      y[p] = sum / static_cast<T>(H) / static_cast<T>(W);
    }
    return;
  }
  std::vector<T> col(static_cast<size_t>(W));
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * n;
    T* yp = y + p * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, OH, H), h1 = adaptive_end(oh, OH, H);
      std::fill(col.begin(), col.end(), T(0));
      for (int64_t h = h0; h < h1; ++h) {
        const T* __restrict r = xp + h * W;
        T* __restrict c = col.data();
        for (int64_t w = 0; w < W; ++w) c[w] += r[w];
      }
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, OW, W), w1 = adaptive_end(ow, OW, W);
        T sum = 0;
        for (int64_t w = w0; w < w1; ++w) sum += col[w];
        yp[oh * OW + ow] = sum / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
      }
    }
  }
}

// dx[window] += dy / (h1 - h0) / (w1 - w0): one row of the windows' gradients per oh, written to
// each row of the window (assigned when the row windows tile H, accumulated when they overlap).
template <class T>
void adaptive_avg_planes_backward(const T* gy, T* dx, const Pool2dGeom& g, int64_t p0, int64_t p1) {
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, n = H * W;
  const bool tiled = H % OH == 0;  // every input row lies in exactly one row window
  std::vector<T> row(static_cast<size_t>(W));
  for (int64_t p = p0; p < p1; ++p) {
    const T* gp = gy + p * OH * OW;
    T* dp = dx + p * n;
    if (!tiled) std::fill(dp, dp + n, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, OH, H), h1 = adaptive_end(oh, OH, H);
      std::fill(row.begin(), row.end(), T(0));
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, OW, W), w1 = adaptive_end(ow, OW, W);
        const T gd = gp[oh * OW + ow] / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
        for (int64_t w = w0; w < w1; ++w) row[w] += gd;
      }
      for (int64_t h = h0; h < h1; ++h) {
        T* __restrict d = dp + h * W;
        const T* __restrict r = row.data();
        if (tiled) {
          std::memcpy(d, r, static_cast<size_t>(W) * sizeof(T));
        } else {
          for (int64_t w = 0; w < W; ++w) d[w] += r[w];
        }
      }
    }
  }
}

template <class T>
PlaneFns<T> plane_fns() {
  return {Simd<T>::L, &max_planes<T>, &avg_planes<T>, &avg_planes_backward<T>, &adaptive_avg_planes<T>,
          &adaptive_avg_planes_backward<T>};
}

}  // namespace KERNELS_POOL_ISA
}  // namespace kernels::cpu::pool_detail
