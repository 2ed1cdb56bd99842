// avg_pool2d with a 2x2 window, stride 2, no padding, dilation 1 (LeNet's subsampling, the most
// common pooling there is): x (P, H, W) -> y (P, OH, OW), OH = H / 2, OW = W / 2 (floor; an odd
// last row / column is read by no window). Every window is full, so the divisor is 4 (or
// divisor_override) under both count_include_pad rules:
//   y[p,oh,ow]  = (((x[2oh,2ow] + x[2oh,2ow+1]) + x[2oh+1,2ow]) + x[2oh+1,2ow+1]) / div
//                 (the general plane loop's tap order, so both paths give the same bits)
//   dx[p,2oh+i,2ow+j] = dy[p,oh,ow] / div  (i, j in {0, 1});  dx = 0 on an odd last row / column
// Plain loops over whole rows, without the general loop's per-plane packing: the planes here are
// small (28x28, 10x10), and that set-up was most of the time.
#pragma once
#include <cstdint>

#include "../contracts/pool.h"

namespace kernels::cpu::pool_detail {

inline bool is_avg_2x2(const Pool2dGeom& g) {
  return g.kH == 2 && g.kW == 2 && g.sH == 2 && g.sW == 2 && g.pH == 0 && g.pW == 0 && g.dH == 1 &&
         g.dW == 1 && g.OH == g.H / 2 && g.OW == g.W / 2;
}

template <class T>
void avg_2x2_planes(const T* x, T* y, const Pool2dGeom& g, T div, int64_t p0, int64_t p1) {
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const T* __restrict r0 = xp + 2 * oh * W;
      const T* __restrict r1 = r0 + W;
      T* __restrict yr = yp + oh * OW;
      for (int64_t ow = 0; ow < OW; ++ow)
        yr[ow] = (((r0[2 * ow] + r0[2 * ow + 1]) + r1[2 * ow]) + r1[2 * ow + 1]) / div;
    }
  }
}

template <class T>
void avg_2x2_planes_backward(const T* gy, T* dx, const Pool2dGeom& g, T div, int64_t p0, int64_t p1) {
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    const T* gp = gy + p * OH * OW;
    T* dp = dx + p * H * W;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const T* __restrict gr = gp + oh * OW;
      T* __restrict d0 = dp + 2 * oh * W;
      T* __restrict d1 = d0 + W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const T v = gr[ow] / div;
        d0[2 * ow] = v;
        d0[2 * ow + 1] = v;
        d1[2 * ow] = v;
        d1[2 * ow + 1] = v;
      }
      if (W & 1) d0[W - 1] = d1[W - 1] = T(0);
    }
    if (H & 1)
      for (int64_t w = 0; w < W; ++w) dp[(H - 1) * W + w] = T(0);
  }
}

}  // namespace kernels::cpu::pool_detail
