// The 8x8 float register transpose and the sliver packer the GEMM packers share (gemm_avx2.cpp, gemm_avx512.cpp).
// Include only from files compiled with at least -mavx2; each includer gets its own inline copy.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace kernels::cpu::gemm_detail {
namespace {

// In-register transpose of the 8x8 block r0..r7 (row i = r_i): afterwards r_i holds column i.
inline __attribute__((always_inline)) void transpose8x8(__m256& r0, __m256& r1, __m256& r2,
                                                         __m256& r3, __m256& r4, __m256& r5,
                                                         __m256& r6, __m256& r7) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r0 = _mm256_permute2f128_ps(u0, u4, 0x20);
  r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
  r2 = _mm256_permute2f128_ps(u2, u6, 0x20);
  r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
  r4 = _mm256_permute2f128_ps(u0, u4, 0x31);
  r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
  r6 = _mm256_permute2f128_ps(u2, u6, 0x31);
  r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// dst[k*W + c] = X[c*ld + k] for a full sliver of W lines (W a multiple of 8) stored across the
// sliver (each line contiguous in k): 8 k at a time from each group of 8 lines, transposed in
// registers (a scalar gather would read W strided streams one float at a time). dst 32-byte aligned.
template <int W>
inline void pack_sliver_transposed(const float* X, int64_t ld, int64_t kc, float* dst) {
  static_assert(W % 8 == 0, "whole groups of 8 lines");
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int h = 0; h < W / 8; ++h) {
      const float* s = X + 8 * h * ld + k;
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * ld);
      transpose8x8(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      float* d = dst + k * W + 8 * h;
      for (int i = 0; i < 8; ++i) _mm256_store_ps(d + i * W, r[i]);
    }
  }
  for (; k < kc; ++k)
    for (int c = 0; c < W; ++c) dst[k * W + c] = X[c * ld + k];
}

}  // namespace
}  // namespace kernels::cpu::gemm_detail
