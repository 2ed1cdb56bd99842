// Per-plane max / avg pooling loops, written so the compiler vectorises them across the output
// columns ow. Included twice: by pool.cpp (baseline ISA) and by pool_avx2.cpp (-mavx2 -mfma),
// each inside its own namespace (KERNELS_POOL_ISA) so the two instantiations never merge.
//
// Phase layout. A window reads columns c = ow*sW + kw*dW of the padded row (c = iw + pW), which
// is strided in ow. Each padded row is therefore re-laid out once into sW phases,
//   buf[p*Q + q] = padded[q*sW + p]      (Q entries per phase; padding -> `fill`)
// so that column ow*sW + t (t = kw*dW) sits at buf[(t % sW)*Q + t / sW + ow]: contiguous in ow.
// A plane is packed row by row (H * sW * Q values); every (kh, kw) tap is then a plain
// elementwise pass over ow.
//
// max: taps in torch's scan order (kh outer, kw inner, valid rows only); lane ow takes v when
// v > m or v is NaN (so NaN propagates, the first max wins ties, the last NaN wins among NaNs);
// the lane keeps the tap's offset a = kh*dH*W + kw*dW, and the index is
// (oh*sH - pH)*W + ow*sW - pW + a. Padding is -inf and never taken; a lane that took nothing
// (every value -inf) gets torch's index of the first valid position.
// avg: the same taps summed with zero padding, then divided by the count of torch's rules.
// avg backward: grad/divisor added tap by tap into a zeroed phase-layout plane, then unpacked.
#ifndef KERNELS_POOL_ISA
#error "define KERNELS_POOL_ISA before including pool_plane.h"
#endif
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "pool.h"

namespace kernels::pool_detail {

// The plane-chunk loops of one ISA, for one scalar type; pool.cpp picks the AVX2 set at run time.
template <class T>
struct PlaneFns {
  void (*max)(const T*, T*, int64_t*, const Pool2dGeom&, int64_t, int64_t);
  void (*max_wide)(const T*, T*, int64_t*, const Pool2dGeom&, int64_t, int64_t);  // int64 offsets
  void (*avg)(const T*, T*, const Pool2dGeom&, const T*, int64_t, int64_t);
  void (*avg_backward)(const T*, T*, const Pool2dGeom&, const T*, int64_t, int64_t);
};
template <class T>
PlaneFns<T> plane_fns_avx2();  // csrc/cpu/pool_avx2.cpp

namespace KERNELS_POOL_ISA {

// Entries per phase: enough for the last window's last tap and for every input column (the
// backward unpacks whole rows, including columns no window reads).
inline int64_t phase_len(const Pool2dGeom& g) {
  return std::max(g.OW + ((g.kW - 1) * g.dW) / g.sW + 1, (g.W + g.pW + g.sW - 1) / g.sW);
}

template <class T>
void pack_row(const T* __restrict row, const Pool2dGeom& g, int64_t Q, T fill, T* __restrict buf) {
  const int64_t s = g.sW;
  for (int64_t p = 0; p < s; ++p) {
    T* b = buf + p * Q;
    // q*s + p - pW in [0, W)  <=>  q in [q0, q1)
    const int64_t first = g.pW - p;  // column q*s + p - pW >= 0  <=>  q*s >= first
    const int64_t q0 = std::min(Q, first <= 0 ? int64_t(0) : (first + s - 1) / s);
    const int64_t q1 = std::max(q0, std::min(Q, (g.W + g.pW - p + s - 1) / s));
    for (int64_t q = 0; q < q0; ++q) b[q] = fill;
    const T* r = row + p - g.pW;
    for (int64_t q = q0; q < q1; ++q) b[q] = r[q * s];
    for (int64_t q = q1; q < Q; ++q) b[q] = fill;
  }
}

template <class T>
void pack_plane(const T* x, const Pool2dGeom& g, int64_t Q, T fill, T* buf) {
  const int64_t RS = g.sW * Q;
  for (int64_t h = 0; h < g.H; ++h) pack_row(x + h * g.W, g, Q, fill, buf + h * RS);
}

// Same-width integer for the winning tap's offset, so the select vectorises with the compare
// (int64 for float only when a plane is too large for int32 offsets).
template <class T>
using OffsetT = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

// torch's index for a window with no value above -inf: the first valid position (unclipped).
inline int64_t first_valid_index(const Pool2dGeom& g, int64_t oh, int64_t ow) {
  int64_t ih = oh * g.sH - g.pH, iw = ow * g.sW - g.pW;
  while (ih < 0) ih += g.dH;
  while (iw < 0) iw += g.dW;
  return ih * g.W + iw;
}

// One plane: x (H, W) -> y (OH, OW), ind (OH, OW). Scratch: rows (H*sW*Q), m, a (OW).
template <class T, class I>
void max_plane(const T* x, T* y, int64_t* ind, const Pool2dGeom& g, T* rows, T* m, I* a) {
  const int64_t Q = phase_len(g), RS = g.sW * Q, OW = g.OW;
  const T ninf = -std::numeric_limits<T>::infinity();
  pack_plane(x, g, Q, ninf, rows);
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow = 0; ow < OW; ++ow) {
      m[ow] = ninf;
      a[ow] = I(-1);
    }
    const int64_t h0 = oh * g.sH - g.pH;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      const int64_t ih = h0 + kh * g.dH;
      if (ih < 0 || ih >= g.H) continue;
      const T* r = rows + ih * RS;
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t t = kw * g.dW;
        const T* __restrict src = r + (t % g.sW) * Q + t / g.sW;
        const I off = static_cast<I>(kh * g.dH * g.W + t);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const T v = src[ow], mo = m[ow];
          const bool take = (v > mo) | (v != v);
          m[ow] = take ? v : mo;
          a[ow] = take ? off : a[ow];
        }
      }
    }
    T* yr = y + oh * OW;
    int64_t* ir = ind + oh * OW;
    const int64_t base = h0 * g.W - g.pW;
    for (int64_t ow = 0; ow < OW; ++ow) {
      yr[ow] = m[ow];
      ir[ow] = a[ow] >= 0 ? base + ow * g.sW + a[ow] : first_valid_index(g, oh, ow);
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

// div (OH*OW): the divisor of every output (0 for an empty window: output 0, no gradient).
template <class T>
void avg_plane(const T* x, T* y, const Pool2dGeom& g, const T* div, T* rows, T* acc) {
  const int64_t Q = phase_len(g), RS = g.sW * Q, OW = g.OW;
  pack_plane(x, g, Q, T(0), rows);
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow = 0; ow < OW; ++ow) acc[ow] = T(0);
    const int64_t h0 = oh * g.sH - g.pH;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      const int64_t ih = h0 + kh * g.dH;
      if (ih < 0 || ih >= g.H) continue;
      const T* r = rows + ih * RS;
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t t = kw * g.dW;
        const T* __restrict src = r + (t % g.sW) * Q + t / g.sW;
        for (int64_t ow = 0; ow < OW; ++ow) acc[ow] += src[ow];
      }
    }
    T* yr = y + oh * OW;
    const T* dr = div + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = dr[ow] != T(0) ? acc[ow] / dr[ow] : T(0);
  }
}

template <class T>
void avg_plane_backward(const T* gy, T* dx, const Pool2dGeom& g, const T* div, T* rows, T* gd) {
  const int64_t Q = phase_len(g), RS = g.sW * Q, OW = g.OW;
  std::fill(rows, rows + g.H * RS, T(0));
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const T* gr = gy + oh * OW;
    const T* dr = div + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) gd[ow] = dr[ow] != T(0) ? gr[ow] / dr[ow] : T(0);
    const int64_t h0 = oh * g.sH - g.pH;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      const int64_t ih = h0 + kh * g.dH;
      if (ih < 0 || ih >= g.H) continue;
      T* r = rows + ih * RS;
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t t = kw * g.dW;
        T* __restrict dst = r + (t % g.sW) * Q + t / g.sW;
        for (int64_t ow = 0; ow < OW; ++ow) dst[ow] += gd[ow];
      }
    }
  }
  // Unpack: dx[h][w] = rows[h][(w + pW) % sW][(w + pW) / sW].
  const int64_t s = g.sW;
  for (int64_t h = 0; h < g.H; ++h) {
    const T* r = rows + h * RS;
    T* out = dx + h * g.W;
    for (int64_t p = 0; p < s; ++p) {
      // w = q*s + p - pW in [0, W)
      const int64_t first = g.pW - p;
      const int64_t q0 = first <= 0 ? 0 : (first + s - 1) / s;
      const int64_t q1 = std::min(Q, (g.W + g.pW - p + s - 1) / s);
      const T* b = r + p * Q;
      T* o = out + p - g.pW;
      for (int64_t q = q0; q < q1; ++q) o[q * s] = b[q];
    }
  }
}

// The entry points the dispatcher in pool.cpp calls: a chunk of planes [p0, p1).
template <class T, class I = OffsetT<T>>
void max_planes(const T* x, T* y, int64_t* ind, const Pool2dGeom& g, int64_t p0, int64_t p1) {
  const int64_t Q = phase_len(g);
  std::vector<T> rows(static_cast<size_t>(g.H * g.sW * Q)), m(static_cast<size_t>(g.OW));
  std::vector<I> a(static_cast<size_t>(g.OW));
  const int64_t in = g.H * g.W, on = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p)
    max_plane(x + p * in, y + p * on, ind + p * on, g, rows.data(), m.data(), a.data());
}

template <class T>
void avg_planes(const T* x, T* y, const Pool2dGeom& g, const T* div, int64_t p0, int64_t p1) {
  const int64_t Q = phase_len(g);
  std::vector<T> rows(static_cast<size_t>(g.H * g.sW * Q)), acc(static_cast<size_t>(g.OW));
  const int64_t in = g.H * g.W, on = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) avg_plane(x + p * in, y + p * on, g, div, rows.data(), acc.data());
}

template <class T>
void avg_planes_backward(const T* gy, T* dx, const Pool2dGeom& g, const T* div, int64_t p0,
                         int64_t p1) {
  const int64_t Q = phase_len(g);
  std::vector<T> rows(static_cast<size_t>(g.H * g.sW * Q)), gd(static_cast<size_t>(g.OW));
  const int64_t in = g.H * g.W, on = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p)
    avg_plane_backward(gy + p * on, dx + p * in, g, div, rows.data(), gd.data());
}

template <class T>
PlaneFns<T> plane_fns() {
  return {&max_planes<T>, &max_planes<T, int64_t>, &avg_planes<T>, &avg_planes_backward<T>};
}

}  // namespace KERNELS_POOL_ISA
}  // namespace kernels::pool_detail
