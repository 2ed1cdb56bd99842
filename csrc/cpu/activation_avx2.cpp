// float32 tanh, sigmoid, relu, silu and softplus, forward and backward, with AVX2/FMA intrinsics
// (this file gets -mavx2 -mfma); activation.cpp calls them only after a run-time CPU check. 8 lanes
// at a time, no branches, no libm call (libm's expf/tanhf/log1pf are scalar calls), the tail on
// masked loads (act_lanes_avx2.h). exp is exp8 of exp_avx2.h (about 1 ulp).
//
//   tanh      |x| <  0.625: x + x^3 P(x^2), P of degree 4 fitted for relative error (< 0.8 ulp);
//             |x| >= 0.625: 1 - 2 / (exp(2|x|) + 1), |x| clamped to 10 (tanh rounds to 1 there);
//             then the sign of x is put back; NaN and |x| < 1e-10 (and -0) return x itself.
//   sigmoid   (x >= 0 ? 1 : e) / (1 + e), e = exp(-|x|): the scalar functor's two branches, one
//             division (act_lanes_avx2.h). silu is x sigmoid(x), its backward takes sigmoid and
//             1 - sigmoid = sigmoid(-x) each to full relative precision; where sigmoid(x) is
//             subnormal, silu works at 2^24 times the scale and scales back last, so a normal result
//             keeps its digits.
//   softplus  z = beta x; x where z > threshold, else (max(z, 0) + log1p(exp(-|z|))) / beta, log1p
//             on [0, 1] here: log(1 + f) = 2 atanh(s), s = f / (2 + f), as 2s + s^3 P(s^2) (P of
//             degree 3, |s| <= 0.2: f = e for e <= 0.5, else log1p(e) = ln2 + log(1 + (e - 1) / 2)
//             where e - 1 is exact).
//   relu and the backward of sigmoid are the scalar functors' arithmetic, lane-wise, and give the
//   same bits; tanh's backward g (1 - y^2) rounds 1 - y^2 once (an FMA).
//
// Max error against the function in double, measured over every float x with |x| in [2^-20, 128)
// and every 512th below, both signs, in ulp of the float result (where it is a normal float):
//   tanh 1.37, sigmoid 2.41, silu 3.35, softplus (beta = 1) 2.80.
// Results below the smallest normal float: sigmoid and softplus are subnormals correctly rounded
// down to x (beta x) = -87.6 and 0 below (the scalar functors give subnormals further down, torch 0
// from -88.7); silu is within 1e-43 of its subnormals. softplus with beta != 1 adds the rounding of
// beta x (a relative 2^-24 |beta x| in exp(beta x)), as the scalar functor and torch do.
// Backward, in ulp of the result: softplus (beta = 1) 2.41; silu 4.22 in ulp of g s (1 + |x| sn),
// which is the result's size except near the zero of d at x = -1.28, where g s (1 + x sn) cancels.
#include "activation_avx2.h"

#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "act_lanes_avx2.h"
#include "exp_avx2.h"

namespace kernels::cpu::act_avx2 {

namespace {

inline __m256 tanh8(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.f);
  const __m256 z = _mm256_andnot_ps(sign_mask, x);  // |x|
  const __m256 z2 = _mm256_mul_ps(x, x);
  // small |x|: odd polynomial
  __m256 p = _mm256_set1_ps(-0.005774666555225849f);
  p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(0.020703451707959175f));
  p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(-0.05376037582755089f));
  p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(0.13331708312034607f));
  p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(-0.33333292603492737f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(x, z2), p, x);
  // large |x|: 1 - 2 / (exp(2|x|) + 1)
  const __m256 e = avx2_math::exp8(_mm256_mul_ps(_mm256_set1_ps(2.f), _mm256_min_ps(z, _mm256_set1_ps(10.f))));
  const __m256 one = _mm256_set1_ps(1.f);
  __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, one)));
  big = _mm256_or_ps(big, _mm256_and_ps(sign_mask, x));  // big >= 0: or-ing in x's sign negates it
  __m256 y = _mm256_blendv_ps(big, small, _mm256_cmp_ps(z, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  // NaN (unordered compare) and tiny |x| keep x
  const __m256 keep = _mm256_cmp_ps(z, _mm256_set1_ps(1e-10f), _CMP_NGE_UQ);
  return _mm256_blendv_ps(y, x, keep);
}

// log(1 + e) for e in [0, 1] (NaN gives NaN).
inline __m256 log1p_unit8(__m256 e) {
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 big = _mm256_cmp_ps(e, _mm256_set1_ps(0.5f), _CMP_GT_OQ);
  // 1 + e = 2 (1 + f) with f = (e - 1) / 2 in (-0.25, 0] (e - 1 exact for e in [0.5, 1])
  const __m256 f = _mm256_blendv_ps(e, _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_sub_ps(e, one)), big);
  const __m256 s = _mm256_div_ps(f, _mm256_add_ps(_mm256_set1_ps(2.f), f));
  const __m256 s2 = _mm256_mul_ps(s, s);
  __m256 p = _mm256_set1_ps(0.30359006f);
  p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(0.39957914f));
  p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(0.6666695f));
  const __m256 lf = _mm256_fmadd_ps(_mm256_mul_ps(s, s2), p, _mm256_add_ps(s, s));
  // + ln2 in two parts where e > 0.5
  const __m256 ln2_hi = _mm256_and_ps(big, _mm256_set1_ps(0.6931472f));
  const __m256 ln2_lo = _mm256_and_ps(big, _mm256_set1_ps(-1.9046542e-09f));
  return _mm256_add_ps(ln2_hi, _mm256_add_ps(lf, ln2_lo));
}

// softplus of z = beta x (before the division by beta): max(z, 0) + log1p(exp(-|z|)).
inline __m256 softplus_z8(__m256 z) {
  const __m256 e = avx2_math::exp8(neg_abs(z));
  return _mm256_add_ps(_mm256_max_ps(z, _mm256_setzero_ps()), log1p_unit8(e));
}

}  // namespace

void tanh_f32(const float* x, float* y, int64_t n) { map1(x, y, n, tanh8); }

void tanh_bwd_f32(const float* g, const float* y, float* d, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.f);
  map2(g, y, d, n, [&](__m256 g8, __m256 y8) {  // g (1 - y^2), 1 - y^2 rounded once
    return _mm256_mul_ps(g8, _mm256_fnmadd_ps(y8, y8, one));
  });
}

void sigmoid_f32(const float* x, float* y, int64_t n) { map1(x, y, n, sigmoid8); }

void sigmoid_bwd_f32(const float* g, const float* y, float* d, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.f);
  map2(g, y, d, n, [&](__m256 g8, __m256 y8) {  // g y (1 - y)
    return _mm256_mul_ps(_mm256_mul_ps(g8, y8), _mm256_sub_ps(one, y8));
  });
}

// relu: 0 where x <= 0 (so -0 gives +0), else x; NaN fails the ordered compare and passes.
void relu_f32(const float* x, float* y, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  map1(x, y, n, [&](__m256 x8) { return _mm256_andnot_ps(_mm256_cmp_ps(x8, zero, _CMP_LE_OQ), x8); });
}

void relu_bwd_f32(const float* g, const float* x, float* d, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  map2(g, x, d, n, [&](__m256 g8, __m256 x8) {  // g [not x <= 0]: NaN passes g
    return _mm256_andnot_ps(_mm256_cmp_ps(x8, zero, _CMP_LE_OQ), g8);
  });
}

void silu_f32(const float* x, float* y, int64_t n) {
  map1(x, y, n, [](__m256 x8) { return mul_sigmoid8(x8, avx2_math::exp8<24>(neg_abs(x8)), x8); });
}

void silu_bwd_f32(const float* g, const float* x, float* d, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.f);
  map2(g, x, d, n, [&](__m256 g8, __m256 x8) {  // g s (1 + x (1 - s))
    const LiftedSigmoid p = lifted_sigmoid8(avx2_math::exp8<24>(neg_abs(x8)), x8);
    return _mm256_mul_ps(g8, _mm256_mul_ps(_mm256_mul_ps(p.s, _mm256_fmadd_ps(x8, p.sn, one)), p.back));
  });
}

void softplus_f32(const float* x, float* y, int64_t n, float beta, float threshold) {
  const __m256 t = _mm256_set1_ps(threshold);
  if (beta == 1.f) {  // the common case, without the multiply and the division
    map1(x, y, n, [&](__m256 x8) {
      return _mm256_blendv_ps(softplus_z8(x8), x8, _mm256_cmp_ps(x8, t, _CMP_GT_OQ));
    });
    return;
  }
  const __m256 b = _mm256_set1_ps(beta);
  map1(x, y, n, [&](__m256 x8) {
    const __m256 z = _mm256_mul_ps(b, x8);
    return _mm256_blendv_ps(_mm256_div_ps(softplus_z8(z), b), x8, _mm256_cmp_ps(z, t, _CMP_GT_OQ));
  });
}

void softplus_bwd_f32(const float* g, const float* x, float* d, int64_t n, float beta, float threshold) {
  const __m256 t = _mm256_set1_ps(threshold);
  const __m256 b = _mm256_set1_ps(beta);
  map2(g, x, d, n, [&](__m256 g8, __m256 x8) {  // z > threshold ? g : g sigmoid(z)
    const __m256 z = _mm256_mul_ps(b, x8);
    return _mm256_blendv_ps(_mm256_mul_ps(g8, sigmoid8(z)), g8, _mm256_cmp_ps(z, t, _CMP_GT_OQ));
  });
}

}  // namespace kernels::cpu::act_avx2
