// exp(t) on 8 float lanes with AVX2/FMA, for the *_avx2.cpp kernels only (include it nowhere else:
// it needs -mavx2 -mfma).
//   t is clamped below at -87 (exp(-87) = 1.6e-38, about the smallest normal float) and results for
//   t < -87 are set to 0; above, t <= 88 is assumed (callers pass t <= 0, or t <= 20 for tanh).
//   exp(t) = 2^k exp(r), k = round(t / ln2), r = t - k ln2 with ln2 in two parts (k * the high
//   part is exact for |k| < 256, so r is exact), exp(r) by its degree-7 Taylor polynomial
//   (|r| <= ln2/2: truncation < 5e-9 relative). Max error about 1 ulp. NaN propagates.
#pragma once
#include <immintrin.h>

namespace kernels::cpu::avx2_math {

static inline __m256 exp8(__m256 t) {
  const __m256 lo = _mm256_set1_ps(-87.f);
  const __m256 underflow = _mm256_cmp_ps(t, lo, _CMP_LT_OQ);  // false for NaN
  t = _mm256_max_ps(lo, t);                                   // max_ps returns t when t is NaN
  const __m256 kf = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(0.693145751953125f), t);
  r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(1.42860682030941723212e-6f), r);
  __m256 e = _mm256_set1_ps(1.f / 5040.f);
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f / 720.f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f / 120.f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f / 24.f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f / 6.f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.5f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f));
  e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.f));
  const __m256i k = _mm256_cvtps_epi32(kf);
  const __m256 scale =
      _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(e, scale));
}

}  // namespace kernels::cpu::avx2_math
