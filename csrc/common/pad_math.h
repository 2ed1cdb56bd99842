// Source index of one padded dim, shared by the CPU loops and the CUDA kernels. Output position
// o of a dim with input size n, padding l before and r after (either may be negative: cropping)
// reads input position pad_source(...), or nothing (-1: the constant) for 'constant' mode.
#pragma once
#include <cstdint>

#include "strided.h"  // KERNELS_HD

namespace kernels {

enum class PadMode : int { Constant = 0, Reflect = 1, Replicate = 2, Circular = 3 };

KERNELS_HD int64_t pad_source(int64_t o, int64_t n, int64_t l, int64_t r, PadMode mode) {
  const int64_t i = o - l;
  switch (mode) {
    case PadMode::Constant:
      return (i >= 0 && i < n) ? i : -1;
    case PadMode::Reflect:  // one reflection about the edge elements (torch: pad < n)
      return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i);
    case PadMode::Replicate:
      return i < 0 ? 0 : (i >= n ? n - 1 : i);
    case PadMode::Circular: {
      // torch crops first (negative pads), then wraps around the cropped extent.
      const int64_t lo = l < 0 ? -l : 0;
      const int64_t m = n - lo - (r < 0 ? -r : 0);
      const int64_t j = (((o - (l > 0 ? l : 0)) % m) + m) % m;
      return j + lo;
    }
  }
  return -1;
}

}  // namespace kernels
