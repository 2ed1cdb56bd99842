// One value converted to another dtype, the same on every device, as torch's CPU casts do:
//   float -> int64:                  truncation toward zero; NaN, +-inf and values outside
//                                    [-2^63, 2^63) give -2^63 (x86's "integer indefinite", what
//                                    the float -> int64 cast has always given here)
//   float -> int32 / int16 / int8 / uint8:
//                                    through int32: truncation toward zero, NaN, +-inf and values
//                                    outside int32 give -2^31, then the low bits are kept as for
//                                    an integer (300.7 -> uint8 44, -1.5 -> uint8 255, 1e10 -> 0)
//   int -> narrower int:             the low bits (two's complement wrap-around: 256 -> uint8 0,
//                                    -129 -> int8 127)
//   int -> float, float -> float:    rounded to nearest (float64 -> float32 overflows to inf)
//   anything -> bool:                x != 0 (NaN is true); bool -> anything: 0 or 1
// A plain static_cast would be undefined for NaN and out-of-range floats and differ between the
// host and the GPU (CUDA saturates); these are defined and identical on both.
#pragma once
#include <cstdint>
#include <type_traits>

#include "strided.h"  // KERNELS_HD

namespace kernels {

template <class To, class From>
KERNELS_HD To cast_value(From x) {
  if constexpr (std::is_same<To, bool>::value) {
    return x != From(0);
  } else if constexpr (std::is_floating_point<From>::value && std::is_integral<To>::value) {
    const double d = static_cast<double>(x);
    if constexpr (sizeof(To) == 8) {
      return (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
                 ? static_cast<To>(d)
                 : static_cast<To>(INT64_MIN);
    } else {
      const int32_t v = (d > -2147483649.0 && d < 2147483648.0) ? static_cast<int32_t>(d) : INT32_MIN;
      return static_cast<To>(v);
    }
  } else {
    return static_cast<To>(x);
  }
}

}  // namespace kernels
