// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator, so element i of a random op is a pure function of (seed, call, i) and
// the CPU and CUDA kernels produce the same stream.
//   key     = seed (64 bits)
//   counter = (i / 4 as 64 bits, call number as 64 bits); lane i % 4 of the output is element i.
#pragma once
#include <cmath>
#include <cstdint>

#include "strided.h"  // KERNELS_HD

namespace kernels {

struct Philox4 {
  uint32_t v[4];
};

KERNELS_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

KERNELS_HD Philox4 philox4x32_10(uint64_t seed, uint64_t block, uint64_t call) {
  uint32_t c0 = static_cast<uint32_t>(block), c1 = static_cast<uint32_t>(block >> 32);
  uint32_t c2 = static_cast<uint32_t>(call), c3 = static_cast<uint32_t>(call >> 32);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(0xD2511F53u, c0, hi0, lo0);
    mulhilo32(0xCD9E8D57u, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Uniform in [0, 1): exact in both float and double.
template <class T>
KERNELS_HD T philox_uniform(uint64_t seed, uint64_t call, int64_t i) {
  const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(i) >> 2, call);
  const uint32_t x = r.v[i & 3];
  if (sizeof(T) == 4) return static_cast<T>((x >> 8) * (1.0 / 16777216.0));
  return static_cast<T>(x * (1.0 / 4294967296.0));
}

// Standard normal by Box-Muller on lane pairs (0,1) and (2,3), computed in double so that the
// CPU and the GPU agree to the last float bit in all but rare cases.
template <class T>
KERNELS_HD T philox_normal(uint64_t seed, uint64_t call, int64_t i) {
  const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(i) >> 2, call);
  const int lane = static_cast<int>(i & 3);
  const int pair = lane & 2;
  const double u1 = (r.v[pair] + 1.0) * (1.0 / 4294967296.0);  // (0, 1]: log is finite
  const double u2 = r.v[pair + 1] * (1.0 / 4294967296.0);
  const double radius = sqrt(-2.0 * log(u1));
  const double angle = 6.283185307179586 * u2;
  return static_cast<T>((lane & 1) ? radius * sin(angle) : radius * cos(angle));
}

// a + b * u with two roundings on both devices. nvcc contracts such expressions into one fused
// multiply-add (one rounding), the CPU build does not, and about half of all uniform(-b, b)
// values would then differ in the last bit between the devices.
template <class T>
KERNELS_HD T scale_shift_rn(T a, T b, T u) {
#ifdef __CUDA_ARCH__
  if constexpr (sizeof(T) == 4) return __fadd_rn(a, __fmul_rn(b, u));
  else return __dadd_rn(a, __dmul_rn(b, u));
#else
  const T p = b * u;  // the host build targets baseline x86-64 here: no FMA to contract into
  return a + p;
#endif
}

// Integer in [0, n) from 32 bits of lane i (n < 2^32; modulo bias is below 2^-32 * n).
KERNELS_HD uint64_t philox_below(uint64_t seed, uint64_t call, int64_t i, uint64_t n) {
  const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(i) >> 2, call);
  const uint64_t x = (static_cast<uint64_t>(r.v[i & 3]) << 32) |
                     r.v[(i + 1) & 3];  // 64 bits keep the bias negligible for large n
  return x % n;
}

}  // namespace kernels
