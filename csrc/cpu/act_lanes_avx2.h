// The 8-lane loop drivers and the lane maths shared by the float32 activation kernels
// (activation_avx2.cpp, activation_gelu_avx2.cpp). Include it only in *_avx2.cpp files: it needs
// -mavx2 -mfma.
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "exp_avx2.h"

namespace kernels::cpu::act_avx2 {

// Lanes [0, r) on, r in 1..7: the tail of a loop runs the same maths on masked loads (the lanes
// off read as 0, which every op here takes without a fault) and writes only its own lanes.
inline __m256i tail_mask(int64_t r) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(r)), lane);
}

// y[i] = op(x[i]) for i < n.
template <class Op>
inline void map1(const float* x, float* y, int64_t n, const Op& op) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, op(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, op(_mm256_maskload_ps(x + i, m)));
  }
}

// d[i] = op(g[i], s[i]) for i < n.
template <class Op>
inline void map2(const float* g, const float* s, float* d, int64_t n, const Op& op) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(d + i, op(_mm256_loadu_ps(g + i), _mm256_loadu_ps(s + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(d + i, m, op(_mm256_maskload_ps(g + i, m), _mm256_maskload_ps(s + i, m)));
  }
}

inline __m256 neg_abs(__m256 x) { return _mm256_or_ps(x, _mm256_set1_ps(-0.f)); }

// The sigmoids below pick their x >= 0 or x < 0 form by a blend on the sign bit of x (or v): -0
// takes the x < 0 form, which gives the same 1/2 there; NaN gives NaN either way.

// sigmoid(x) = (x >= 0 ? 1 : e) / (1 + e) with e = exp(-|x|): the scalar k_sigmoid's two branches
// in one division. x = -inf gives 0, +inf gives 1; subnormal results down to x = -87.6, 0 below.
inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 e = avx2_math::exp8(neg_abs(x));
  return _mm256_div_ps(_mm256_blendv_ps(one, e, x), _mm256_add_ps(one, e));
}

// Kernels whose result is (something large) times a small sigmoid take e24 = 2^24 exp(-|v|)
// (exp8<24>) and scale back by 2^-24 at the end: a sigmoid below the smallest normal float would
// otherwise be a subnormal, with fewer digits than the product it is a factor of.
constexpr float kUnlift = 1.f / 16777216.f;  // 2^-24

// m sigmoid(v) from e24 = 2^24 exp(-|v|): (v >= 0 ? m : m e) / (1 + e), the product m e taken at
// the lifted scale.
inline __m256 mul_sigmoid8(__m256 m, __m256 e24, __m256 v) {
  const __m256 den = _mm256_fmadd_ps(e24, _mm256_set1_ps(kUnlift), _mm256_set1_ps(1.f));
  const __m256 q = _mm256_div_ps(_mm256_blendv_ps(m, _mm256_mul_ps(m, e24), v), den);
  return _mm256_blendv_ps(q, _mm256_mul_ps(q, _mm256_set1_ps(kUnlift)), v);
}

// sigmoid(v) = s * back and 1 - sigmoid(v) = sigmoid(-v) = sn, both to full relative precision
// (1 - s would cancel for large v), from one reciprocal r = 1 / (1 + e): e r is the smaller one.
// back is 1 for v >= 0, else 2^-24 (s is then lifted). e24 = 2^24 exp(-|v|).
struct LiftedSigmoid {
  __m256 s, sn, back;
};
inline LiftedSigmoid lifted_sigmoid8(__m256 e24, __m256 v) {
  const __m256 e = _mm256_mul_ps(e24, _mm256_set1_ps(kUnlift));
  const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), e));
  return {_mm256_blendv_ps(r, _mm256_mul_ps(e24, r), v), _mm256_blendv_ps(_mm256_mul_ps(e, r), r, v),
          _mm256_blendv_ps(_mm256_set1_ps(1.f), _mm256_set1_ps(kUnlift), v)};
}

}  // namespace kernels::cpu::act_avx2
