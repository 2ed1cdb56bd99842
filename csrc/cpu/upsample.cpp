// Upsampling (interpolate) on the CPU. x is (P, H, W) (P = N*C planes), y (P, OH, OW); the source
// coordinates are torch's (csrc/common/upsample_math.h), computed once per call for every output
// row and column.
//   nearest:  y[p,oh,ow] = x[p, sh(oh), sw(ow)]
//             dx[p, sh(oh), sw(ow)] += dy[p,oh,ow]
//   bilinear: y[p,oh,ow] = lh0 (lw0 x[h0,w0] + lw1 x[h0,w1]) + lh1 (lw0 x[h1,w0] + lw1 x[h1,w1])
//             dx[h_a, w_b] += lh_a lw_b dy  for a, b in {0, 1}
// Forwards are parallel over output rows, backwards over planes (one thread owns a plane, so the
// scatter needs no atomics).
#include "../contracts/upsample.h"

#include <algorithm>
#include <vector>

#include "../common/dispatch.h"
#include "../common/upsample_math.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

std::vector<int64_t> nearest_map(int64_t in, int64_t out, double scale) {
  std::vector<int64_t> m(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) m[o] = nearest_source(o, in, out, scale);
  return m;
}

template <class T>
std::vector<Lerp<T>> linear_map(int64_t in, int64_t out, bool align_corners, double scale) {
  std::vector<Lerp<T>> m(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) m[o] = linear_source<T>(o, in, out, align_corners, scale);
  return m;
}

int64_t row_grain(int64_t row) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(row, 1)); }

// The backwards' walk: planes shared out over threads, each plane d of dinput zeroed, then
// add_row(d, oh, gr) adds grad row oh of that plane (gr, OW values) into it.
template <class T, class F>
void scatter_planes(const UpsampleGeom& g, const T* gy, T* dx, const F& add_row) {
  parallel_for(g.P, row_grain(g.OH * g.OW), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* d = dx + p * g.H * g.W;
      std::fill(d, d + g.H * g.W, T(0));
      for (int64_t oh = 0; oh < g.OH; ++oh) add_row(d, oh, gy + (p * g.OH + oh) * g.OW);
    }
  });
}

}  // namespace

void upsample_nearest2d_forward(const Tensor& input, const UpsampleGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "upsample_nearest2d", [&] {
    using T = scalar_t;
    const std::vector<int64_t> sh = nearest_map(g.H, g.OH, g.scale_h), sw = nearest_map(g.W, g.OW, g.scale_w);
    const T* x = input.data<T>();
    T* y = out.data<T>();
    parallel_for(g.P * g.OH, row_grain(g.OW), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t p = r / g.OH, oh = r % g.OH;
        const T* xr = x + (p * g.H + sh[oh]) * g.W;
        T* yr = y + r * g.OW;
        for (int64_t ow = 0; ow < g.OW; ++ow) yr[ow] = xr[sw[ow]];
      }
    });
  });
}

void upsample_nearest2d_backward(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "upsample_nearest2d_backward", [&] {
    using T = scalar_t;
    const std::vector<int64_t> sh = nearest_map(g.H, g.OH, g.scale_h), sw = nearest_map(g.W, g.OW, g.scale_w);
    scatter_planes(g, grad.data<T>(), dinput.data<T>(), [&](T* d, int64_t oh, const T* gr) {
      T* dr = d + sh[oh] * g.W;
      for (int64_t ow = 0; ow < g.OW; ++ow) dr[sw[ow]] += gr[ow];
    });
  });
}

void upsample_bilinear2d_forward(const Tensor& input, const UpsampleGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "upsample_bilinear2d", [&] {
    using T = scalar_t;
    const auto lh = linear_map<T>(g.H, g.OH, g.align_corners, g.scale_h);
    const auto lw = linear_map<T>(g.W, g.OW, g.align_corners, g.scale_w);
    const T* x = input.data<T>();
    T* y = out.data<T>();
    parallel_for(g.P * g.OH, row_grain(g.OW), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t p = r / g.OH, oh = r % g.OH;
        const Lerp<T> a = lh[oh];
        const T* x0 = x + (p * g.H + a.i0) * g.W;
        const T* x1 = x + (p * g.H + a.i1) * g.W;
        T* yr = y + r * g.OW;
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const Lerp<T> c = lw[ow];
          yr[ow] = a.l0 * (c.l0 * x0[c.i0] + c.l1 * x0[c.i1]) + a.l1 * (c.l0 * x1[c.i0] + c.l1 * x1[c.i1]);
        }
      }
    });
  });
}

void upsample_bilinear2d_backward(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "upsample_bilinear2d_backward", [&] {
    using T = scalar_t;
    const auto lh = linear_map<T>(g.H, g.OH, g.align_corners, g.scale_h);
    const auto lw = linear_map<T>(g.W, g.OW, g.align_corners, g.scale_w);
    scatter_planes(g, grad.data<T>(), dinput.data<T>(), [&](T* d, int64_t oh, const T* gr) {
      const Lerp<T> a = lh[oh];
      T* d0 = d + a.i0 * g.W;
      T* d1 = d + a.i1 * g.W;
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const Lerp<T> c = lw[ow];
        const T g0 = a.l0 * gr[ow], g1 = a.l1 * gr[ow];
        d0[c.i0] += g0 * c.l0;
        d0[c.i1] += g0 * c.l1;
        d1[c.i0] += g1 * c.l0;
        d1[c.i1] += g1 * c.l1;
      }
    });
  });
}

}  // namespace kernels::cpu
