// Source coordinates of the upsampling ops, shared by the CPU loops and the CUDA kernels so both
// follow torch's formulas (aten UpSample.h). `scale` is the user's scale factor for the axis
// (output/input), or <= 0 when the output size was given instead.
#pragma once
#include <math.h>

#include <cstdint>

#include "strided.h"  // KERNELS_HD

namespace kernels {

// Input step per output step (torch's area_pixel_compute_scale / compute_scales_value).
template <class T>
KERNELS_HD T upsample_ratio(int64_t in, int64_t out, bool align_corners, double scale) {
  if (align_corners) return out > 1 ? (static_cast<T>(in) - 1) / static_cast<T>(out - 1) : T(0);
  return scale > 0 ? static_cast<T>(1.0 / scale) : static_cast<T>(in) / static_cast<T>(out);
}

// 'nearest': src = min(floor(o * ratio), in - 1), in float as torch does; exact when out is in
// or 2 * in.
KERNELS_HD int64_t nearest_source(int64_t o, int64_t in, int64_t out, double scale) {
  if (out == in) return o;
  if (out == 2 * in) return o >> 1;
  const float r = upsample_ratio<float>(in, out, false, scale);
  const int64_t s = static_cast<int64_t>(floorf(static_cast<float>(o) * r));
  return s < in - 1 ? s : in - 1;
}

// 'linear' along one axis: out[o] = l0 * in[i0] + l1 * in[i1], with
//   real = align_corners ? ratio * o : max(ratio * (o + 0.5) - 0.5, 0)
//   i0 = min(floor(real), in - 1), i1 = min(i0 + 1, in - 1), l1 = clamp(real - i0, 0, 1), l0 = 1 - l1
// and the identity when out == in.
template <class T>
struct Lerp {
  int64_t i0, i1;
  T l0, l1;
};

template <class T>
KERNELS_HD Lerp<T> linear_source(int64_t o, int64_t in, int64_t out, bool align_corners, double scale) {
  if (out == in) return {o, o, T(1), T(0)};
  const T r = upsample_ratio<T>(in, out, align_corners, scale);
  T real = align_corners ? r * static_cast<T>(o) : r * (static_cast<T>(o) + T(0.5)) - T(0.5);
  if (real < T(0)) real = T(0);
  int64_t i0 = static_cast<int64_t>(floor(real));
  if (i0 > in - 1) i0 = in - 1;
  T l1 = real - static_cast<T>(i0);
  l1 = l1 < T(0) ? T(0) : (l1 > T(1) ? T(1) : l1);
  return {i0, i0 < in - 1 ? i0 + 1 : i0, T(1) - l1, l1};
}

}  // namespace kernels
