// Window arithmetic of the pooling ops, shared by the argument checks (csrc/ops/pool.cpp), the
// CPU loops and the CUDA kernels so all three agree with torch's formulas.
#pragma once
#include <cstdint>

#include "strided.h"  // KERNELS_HD

namespace kernels {

// floor(a / b) for b > 0 (C++ division truncates toward zero).
KERNELS_HD int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// torch's pooling_output_shape: floor (or ceil) of the number of window starts; in ceil_mode the
// last window must start inside the input or the left padding.
KERNELS_HD int64_t pool_output_size(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d,
                                    bool ceil_mode) {
  int64_t o = floor_div(n + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  if (ceil_mode && (o - 1) * s >= n + p) --o;
  return o;
}

// Adaptive windows: [floor(o*n/on), ceil((o+1)*n/on)), in exact integer arithmetic.
KERNELS_HD int64_t adaptive_start(int64_t o, int64_t on, int64_t n) {
  return (o / on) * n + ((o % on) * n) / on;
}
KERNELS_HD int64_t adaptive_end(int64_t o, int64_t on, int64_t n) {
  return 1 + ((o + 1) * n - 1) / on;
}

// avg_pool: does window o (stride s, padding p, kernel k) hold no valid position of [0, n)?
KERNELS_HD bool avg_window_empty(int64_t o, int64_t s, int64_t p, int64_t k, int64_t n) {
  int64_t b = o * s - p, e = b + k < n + p ? b + k : n + p;
  b = b > 0 ? b : 0;
  e = e < n ? e : n;
  return b >= e;
}

}  // namespace kernels
