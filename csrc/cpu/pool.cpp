// Pooling on the CPU. x is (P, H, W) (P = N*C planes), y (P, OH, OW); geometry in pool.h.
//
// max_pool2d:  y[p,oh,ow] = max over the window's valid positions, in torch's scan order (kh
//              outer, kw inner); the first max wins ties, NaN propagates (the last NaN wins).
//              indices[p,oh,ow] = ih*W + iw of the winner.
//              dx[p, indices[p,o]] += dy[p,o]   (zeroed first; windows may overlap)
// avg_pool2d:  y = sum over the valid positions / div, with (torch's rules, per axis)
//                b = o*s - p, e = min(b + k, n + p)          (padded extent, clipped by ceil_mode)
//                count_include_pad: e - b;  else: min(e, n) - max(b, 0)
//              div = divisor_override or count_h * count_w.   dx[window] += dy / div
// adaptive_avg_pool2d: window rows [floor(oh*H/OH), ceil((oh+1)*H/OH)), columns alike;
//              y = sum / kh / kw (torch's order of division); dx[window] += dy / kh / kw.
//              (windows of neighbouring outputs overlap when OH does not divide H)
// adaptive_max_pool2d: max over the same windows with max_pool2d's rules; the same scatter.
//
// Max, avg and adaptive avg run per plane through the vector loops of pool_plane.h (AVX2 when
// the CPU has it); adaptive max is a plain loop per output. avg_pool2d 2x2 stride 2 without
// padding takes the plain row loops of pool_2x2.h instead. Every kernel is parallel
// over planes: a plane is never split, so the backward scatters need no atomics.
#include "../contracts/pool.h"

#include <cmath>
#include <limits>
#include <vector>

#include "../common/dispatch.h"
#include "../common/pool_math.h"
#include "parallel.h"
#include "pool_2x2.h"
#define KERNELS_POOL_ISA base
#define KERNELS_POOL_VBYTES 16
#include "isa.h"
#include "pool_plane.h"

namespace kernels::cpu {

namespace {

// The plane loops of the CPU capability level (isa.h): the AVX2 ones, or the baseline-ISA ones
// for Default and Scalar. Scalar also runs max pooling one output at a time (torch's loop) and
// skips the 2x2 fast path, so tests can compare every loop on one machine.
template <class T>
const pool_detail::PlaneFns<T>& plane_fns() {
  // Built only where the CPU runs AVX2 (the builder itself is compiled for it).
  static const pool_detail::PlaneFns<T> avx2 =
      isa_supported() >= Isa::Avx2 ? pool_detail::plane_fns_avx2<T>() : pool_detail::base::plane_fns<T>();
  static const pool_detail::PlaneFns<T> base = pool_detail::base::plane_fns<T>();
  return use_avx2() ? avx2 : base;
}

bool use_2x2_path(const Pool2dGeom& g) { return isa() != Isa::Scalar && pool_detail::is_avg_2x2(g); }

// torch's loop, one output at a time (the fallback for planes too large for the vector loops).
template <class T>
void max_planes_scalar(const T* x, T* y, int64_t* ind, const Pool2dGeom& g, int64_t p0, int64_t p1) {
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; ++oh)
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t h0 = oh * g.sH - g.pH, w0 = ow * g.sW - g.pW;
        const int64_t h1 = std::min(h0 + (g.kH - 1) * g.dH + 1, g.H);
        const int64_t w1 = std::min(w0 + (g.kW - 1) * g.dW + 1, g.W);
        while (h0 < 0) h0 += g.dH;
        while (w0 < 0) w0 += g.dW;
        T m = -std::numeric_limits<T>::infinity();
        int64_t mi = h0 * g.W + w0;
        for (int64_t h = h0; h < h1; h += g.dH)
          for (int64_t w = w0; w < w1; w += g.dW) {
            const T v = xp[h * g.W + w];
            if (v > m || v != v) {
              m = v;
              mi = h * g.W + w;
            }
          }
        const int64_t o = (p * g.OH + oh) * g.OW + ow;
        y[o] = m;
        ind[o] = mi;
      }
  }
}

// Planes per chunk: enough work per thread to pay for waking it.
int64_t plane_grain(int64_t plane_elems) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(plane_elems, 1));
}

}  // namespace

void max_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out, Tensor& indices) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "max_pool2d", [&] {
    using T = scalar_t;
    const T* x = input.data<T>();
    T* y = out.data<T>();
    int64_t* ind = indices.data<int64_t>();
    // The vector loops keep the winning tap's offset in an int of T's width; planes too large
    // for int32 offsets take the plain loop.
    const int64_t max_off = (g.kH - 1) * g.dH * g.W + (g.kW - 1) * g.dW;
    const bool scalar = isa() == Isa::Scalar ||
                        (sizeof(T) == 4 && max_off >= std::numeric_limits<int32_t>::max());
    const auto run = scalar ? &max_planes_scalar<T> : plane_fns<T>().max;
    parallel_for(g.P, plane_grain(g.H * g.W), [&](int64_t b, int64_t e) { run(x, y, ind, g, b, e); });
  });
}

void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,
                             Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "max_pool2d_backward", [&] {
    using T = scalar_t;
    const T* gy = grad.data<T>();
    const int64_t* ind = indices.data<int64_t>();
    T* dx = dinput.data<T>();
    const int64_t in = g.H * g.W, on = g.OH * g.OW;
    parallel_for(g.P, plane_grain(in + on), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        T* d = dx + p * in;
        const T* gr = gy + p * on;
        const int64_t* ir = ind + p * on;
        std::fill(d, d + in, T(0));
        for (int64_t o = 0; o < on; ++o) {
          const int64_t i = ir[o];
          // torch's index of a window with no valid position lies outside the plane: no target.
          if (i >= 0 && i < in) d[i] += gr[o];
        }
      }
    });
  });
}

namespace {

// The divisor of every output of one plane (the same for all planes), laid out as the plane
// loops read it: rows of OW padded to whole vectors (pad lanes 1), +inf for an empty window
// (torch outputs 0 there and sends it no gradient).
template <class T>
std::vector<T> avg_divisors(const Pool2dGeom& g, bool count_include_pad, int64_t divisor_override) {
  std::vector<int64_t> rf(static_cast<size_t>(g.OH)), cf(static_cast<size_t>(g.OW));
  pool_detail::base::avg_counts(g, count_include_pad, rf.data(), cf.data());
  const int64_t L = plane_fns<T>().lanes, OWp = (g.OW + L - 1) / L * L;
  std::vector<T> div(static_cast<size_t>(g.OH * OWp), T(1));
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const bool empty = avg_window_empty(oh, g.sH, g.pH, g.kH, g.H) ||
                         avg_window_empty(ow, g.sW, g.pW, g.kW, g.W);
      div[oh * OWp + ow] = empty ? std::numeric_limits<T>::infinity()
                                 : static_cast<T>(divisor_override ? divisor_override : rf[oh] * cf[ow]);
    }
  return div;
}

}  // namespace

void avg_pool2d_forward(const Tensor& input, const Pool2dGeom& g, bool count_include_pad,
                            int64_t divisor_override, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "avg_pool2d", [&] {
    using T = scalar_t;
    const T* x = input.data<T>();
    T* y = out.data<T>();
    if (use_2x2_path(g)) {
      const T d = static_cast<T>(divisor_override ? divisor_override : 4);
      parallel_for(g.P, plane_grain(g.H * g.W),
                   [&](int64_t b, int64_t e) { pool_detail::avg_2x2_planes(x, y, g, d, b, e); });
      return;
    }
    const std::vector<T> div = avg_divisors<T>(g, count_include_pad, divisor_override);
    const auto run = plane_fns<T>().avg;
    parallel_for(g.P, plane_grain(g.H * g.W),
                 [&](int64_t b, int64_t e) { run(x, y, g, div.data(), b, e); });
  });
}

void avg_pool2d_backward(const Tensor& grad, const Pool2dGeom& g, bool count_include_pad,
                             int64_t divisor_override, Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "avg_pool2d_backward", [&] {
    using T = scalar_t;
    const T* gy = grad.data<T>();
    T* dx = dinput.data<T>();
    if (use_2x2_path(g)) {
      const T d = static_cast<T>(divisor_override ? divisor_override : 4);
      parallel_for(g.P, plane_grain(g.H * g.W),
                   [&](int64_t b, int64_t e) { pool_detail::avg_2x2_planes_backward(gy, dx, g, d, b, e); });
      return;
    }
    const std::vector<T> div = avg_divisors<T>(g, count_include_pad, divisor_override);
    const auto run = plane_fns<T>().avg_backward;
    parallel_for(g.P, plane_grain(g.H * g.W),
                 [&](int64_t b, int64_t e) { run(gy, dx, g, div.data(), b, e); });
  });
}

void adaptive_avg_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "adaptive_avg_pool2d", [&] {
    using T = scalar_t;
    const T* x = input.data<T>();
    T* y = out.data<T>();
    const auto run = plane_fns<T>().adaptive_avg;
    parallel_for(g.P, plane_grain(g.H * g.W), [&](int64_t b, int64_t e) { run(x, y, g, b, e); });
  });
}

void adaptive_avg_pool2d_backward(const Tensor& grad, const Pool2dGeom& g, Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "adaptive_avg_pool2d_backward", [&] {
    using T = scalar_t;
    const T* gy = grad.data<T>();
    T* dx = dinput.data<T>();
    const auto run = plane_fns<T>().adaptive_avg_backward;
    parallel_for(g.P, plane_grain(g.H * g.W), [&](int64_t b, int64_t e) { run(gy, dx, g, b, e); });
  });
}

void adaptive_max_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out,
                                     Tensor& indices) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "adaptive_max_pool2d", [&] {
    using T = scalar_t;
    const T* x = input.data<T>();
    T* y = out.data<T>();
    int64_t* ind = indices.data<int64_t>();
    const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW;
    parallel_for(g.P, plane_grain(H * W), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const T* xp = x + p * H * W;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t h0 = adaptive_start(oh, OH, H), h1 = adaptive_end(oh, OH, H);
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t w0 = adaptive_start(ow, OW, W), w1 = adaptive_end(ow, OW, W);
            T m = -std::numeric_limits<T>::infinity();
            int64_t mi = h0 * W + w0;
            for (int64_t h = h0; h < h1; ++h)
              for (int64_t w = w0; w < w1; ++w) {
                const T v = xp[h * W + w];
                if (v > m || v != v) {
                  m = v;
                  mi = h * W + w;
                }
              }
            y[(p * OH + oh) * OW + ow] = m;
            ind[(p * OH + oh) * OW + ow] = mi;
          }
        }
      }
    });
  });
}

void adaptive_max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,
                                  Tensor& dinput) {
  max_pool2d_backward(grad, indices, g, dinput);
}

}  // namespace kernels::cpu
