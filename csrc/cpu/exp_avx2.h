// exp(t) on 8 float lanes with AVX2/FMA, for the *_avx2.cpp kernels only (include it nowhere else:
// it needs -mavx2 -mfma).
//   exp8<S>(t) = 2^S exp(t), S = 0 by default. A kernel whose result is exp(t) times something
//   large asks for 2^S exp(t) and scales back at the end, so that where exp(t) alone would be a
//   subnormal the product keeps its digits.
//   Results are 0 for t < -87.6 - S ln2 (2^S exp(t) < 9e-39, a subnormal; above that the last
//   multiply rounds subnormals correctly, and callers that scale back by 2^-S get them all), and
//   t <= 88 - S ln2 is assumed (callers pass t <= 0, or t <= 20 for tanh). NaN propagates.
//   exp(t) = 2^k exp(r): k = round(t / ln2) by the 1.5 * 2^23 trick (the sum's low bits are k, so
//   2^(k+S) is an integer add and shift), r = t - k ln2 with ln2 in two parts (k * the high part is
//   exact for |k| < 256, so r is exact), exp(r) = 1 + r + r^2 P(r) with P of degree 4 fitted for
//   relative error on |r| <= ln2/2 (< 0.06 ulp). Max error about 1 ulp.
#pragma once
#include <immintrin.h>

namespace kernels::cpu::avx2_math {

template <int S = 0>
static inline __m256 exp8(__m256 t) {
  static_assert(S >= 0 && S <= 24, "exp8: 2^S scale out of range");
  const __m256 underflow = _mm256_cmp_ps(t, _mm256_set1_ps(-87.6f - S * 0.69314718f), _CMP_LT_OQ);
  const __m256 magic = _mm256_set1_ps(12582912.f);  // 1.5 * 2^23
  const __m256 z = _mm256_fmadd_ps(t, _mm256_set1_ps(1.44269504088896341f), magic);
  const __m256 kf = _mm256_sub_ps(z, magic);
  __m256 r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(0.693145751953125f), t);
  r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(1.42860682030941723212e-6f), r);
  __m256 e = _mm256_set1_ps(0.0013814493f);
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.008368718f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.04166839f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.16666521f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.49999994f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f));
  // z's bits are 0x4B400000 + k; shifting (bits + 127 + S) left by 23 drops the 0x4B4 part
  const __m256i kb = _mm256_add_epi32(_mm256_castps_si256(z), _mm256_set1_epi32(127 + S));
  const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(kb, 23));
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(e, scale));
}

}  // namespace kernels::cpu::avx2_math
