// float32 gelu, exact and tanh forms, forward and backward, with AVX2/FMA intrinsics (this file
// gets -mavx2 -mfma); activation.cpp calls them only after a run-time CPU check.
//
// Exact form, y = x Phi(x), Phi the normal CDF (= 0.5 (1 + erf(x / sqrt 2))), dx = g (Phi + x phi).
// Phi is computed directly rather than as 1 + erf: for x < 0 that sum cancels (the scalar float
// functor, like torch, loses all its digits by x = -5); here the tail is a product:
//   Q = Phi(-|x|) = exp(-x^2 / 2) R(t), t = 2 / (2 + |x|), R = t P10(t) fitted for relative error
//   on [0, 16] (coefficients fitted one at a time after rounding the previous ones to float);
//   Phi = Q for x < 0, 1 - Q for x >= 0. phi = exp(-x^2 / 2) / sqrt(2 pi).
//   exp(-x^2 / 2) = exp(n) (1 + n_lo), where n + n_lo = -x^2 / 2 exactly (an FMA gives n_lo): the
//   rounding of x^2 alone would cost x^2 2^-24 of relative error.
//   |x| is clamped to 16 there (where exp8 gives 0), so infinities give Phi = 0 or 1 and, as in the
//   scalar functor, gelu(inf) = inf, gelu(-inf) = NaN, dx = NaN at both.
//   For x < 0 the products are taken at 2^24 times the scale (exp8<24>) and scaled back last:
//   exp(-x^2 / 2) is subnormal from x = -13.22 while dx is a normal float to x = -13.3 (and the
//   intermediate Q = y / x is subnormal where y is not).
// Tanh form, y = 0.5 x (1 + tanh(u)), u = k (x + 0.044715 x^3), k = sqrt(2 / pi), computed as
// y = x sigmoid(2u) (0.5 (1 + tanh u) = sigmoid(2u), again no cancellation for x < 0), and
// dx = g s (1 + x (1 - s) v'), s = sigmoid(v), v = 2u, v' = 2k (1 + 3 * 0.044715 x^2). v is formed in
// double (x clamped to +-12, where s is 0 or 1 already) and split into a float head and tail,
// exp(-|v|) = exp(-|head|) (1 -+ tail): v reaches -87 while gelu is still a normal float, and one
// float rounding of v there is 87 2^-24 of relative error. v' is the scalar functor's, unclamped:
// the backward gives NaN where it does (|x| >= 1.8e19, where x^2 overflows, and +-inf).
//
// Max error against the function in double (scipy's ndtr for Phi), measured over every float x with
// |x| in [2^-20, 128) and every 512th below, both signs, in ulp of the float result (where it is a
// normal float): gelu 6.28, gelu tanh 3.76. Subnormal results are within 2e-43.
// Backward: gelu 5.33, gelu tanh 6.50, in ulp of g (Phi + |x| phi) (of g s (1 + |x| sn v')),
// which is the result's size except near the zero of dx at x = -0.75, where the terms cancel.
#include <immintrin.h>

#include <cstdint>

#include "act_lanes_avx2.h"
#include "activation_avx2.h"
#include "exp_avx2.h"

namespace kernels::cpu::act_avx2 {

namespace {

constexpr float kInvSqrt2Pi = 0.3989422804014327f;

// Q = Phi(-|x|) and phi(x), both at the lifted scale: q24 = 2^24 Q, e24 = 2^24 exp(-x^2 / 2).
struct NormalTail {
  __m256 q24, e24;
};

inline NormalTail normal_tail8(__m256 x) {
  const __m256 a = _mm256_min_ps(_mm256_set1_ps(16.f), _mm256_andnot_ps(_mm256_set1_ps(-0.f), x));
  // exp(-a^2 / 2) with the rounding of -a^2 / 2 put back: n + n_lo = -a^2 / 2 exactly
  const __m256 nha = _mm256_mul_ps(_mm256_set1_ps(-0.5f), a);  // exact
  const __m256 n = _mm256_mul_ps(nha, a);
  const __m256 n_lo = _mm256_fmsub_ps(nha, a, n);
  __m256 e24 = avx2_math::exp8<24>(n);
  e24 = _mm256_fmadd_ps(e24, n_lo, e24);
  // R(t) t, t = 2 / (2 + a)
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(_mm256_set1_ps(2.f), a));
  __m256 r = _mm256_set1_ps(-0.03928373f);
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.18749115f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-0.30867475f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.08051058f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.36520895f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-0.41678578f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.057459444f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.021952644f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.15346013f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.19918112f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.19948022f));
  return {_mm256_mul_ps(_mm256_mul_ps(r, t), e24), e24};
}

// v = 2u = x (2k + 2k 0.044715 x^2) as a float head + tail, from double.
struct Split {
  __m256 hi, lo;
};

inline __m256d inner_pd(__m128 xs) {
  const __m256d xd = _mm256_cvtps_pd(xs);
  const __m256d w = _mm256_fmadd_pd(_mm256_set1_pd(0.071354816272600248776), _mm256_mul_pd(xd, xd),
                                    _mm256_set1_pd(1.5957691216057307118));
  return _mm256_mul_pd(xd, w);
}

inline Split inner8(__m256 x) {
  const __m256 c = _mm256_set1_ps(12.f);
  const __m256 xc = _mm256_max_ps(_mm256_sub_ps(_mm256_setzero_ps(), c), _mm256_min_ps(c, x));
  const __m256d v0 = inner_pd(_mm256_castps256_ps128(xc));
  const __m256d v1 = inner_pd(_mm256_extractf128_ps(xc, 1));
  const __m128 h0 = _mm256_cvtpd_ps(v0), h1 = _mm256_cvtpd_ps(v1);
  const __m128 l0 = _mm256_cvtpd_ps(_mm256_sub_pd(v0, _mm256_cvtps_pd(h0)));
  const __m128 l1 = _mm256_cvtpd_ps(_mm256_sub_pd(v1, _mm256_cvtps_pd(h1)));
  return {_mm256_insertf128_ps(_mm256_castps128_ps256(h0), h1, 1),
          _mm256_insertf128_ps(_mm256_castps128_ps256(l0), l1, 1)};
}

// 2^24 exp(-|v|) for v = hi + lo: 2^24 exp(-|hi|) (1 + d), d = -lo for hi >= 0, +lo for hi < 0.
inline __m256 exp24_neg_abs(const Split& v) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  const __m256 e = avx2_math::exp8<24>(_mm256_or_ps(v.hi, sign));
  const __m256 d = _mm256_xor_ps(v.lo, _mm256_andnot_ps(v.hi, sign));
  return _mm256_fmadd_ps(e, d, e);
}

}  // namespace

// The branch on x's sign is a blend on its sign bit: -0 takes the x < 0 side, where Q = 1/2 as on
// the other side; NaN gives NaN on both.
void gelu_f32(const float* x, float* y, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.f), unlift = _mm256_set1_ps(kUnlift);
  map1(x, y, n, [&](__m256 x8) {
    const __m256 q24 = normal_tail8(x8).q24;
    // x < 0: x Q, scaled back last; x >= 0: x (1 - Q)
    const __m256 neg = _mm256_mul_ps(_mm256_mul_ps(x8, q24), unlift);
    const __m256 pos = _mm256_mul_ps(x8, _mm256_fnmadd_ps(q24, unlift, one));
    return _mm256_blendv_ps(pos, neg, x8);
  });
}

void gelu_bwd_f32(const float* g, const float* x, float* d, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.f), unlift = _mm256_set1_ps(kUnlift);
  const __m256 c = _mm256_set1_ps(kInvSqrt2Pi);
  map2(g, x, d, n, [&](__m256 g8, __m256 x8) {  // g (Phi + x phi)
    const NormalTail p = normal_tail8(x8);
    const __m256 xpdf24 = _mm256_mul_ps(x8, _mm256_mul_ps(c, p.e24));
    // x < 0: (Q + x phi), scaled back last; x >= 0: 1 + (x phi - Q)
    const __m256 neg = _mm256_mul_ps(_mm256_add_ps(p.q24, xpdf24), unlift);
    const __m256 pos = _mm256_fmadd_ps(_mm256_sub_ps(xpdf24, p.q24), unlift, one);
    // + 0 turns a -0 (a true value that rounded to zero from below) into the scalar's +0
    return _mm256_mul_ps(g8, _mm256_add_ps(_mm256_blendv_ps(pos, neg, x8), _mm256_setzero_ps()));
  });
}

void gelu_tanh_f32(const float* x, float* y, int64_t n) {
  map1(x, y, n, [](__m256 x8) {  // x sigmoid(v)
    const Split v = inner8(x8);
    return mul_sigmoid8(x8, exp24_neg_abs(v), v.hi);
  });
}

void gelu_tanh_bwd_f32(const float* g, const float* x, float* d, int64_t n) {
  map2(g, x, d, n, [](__m256 g8, __m256 x8) {
    const Split v = inner8(x8);
    const LiftedSigmoid p = lifted_sigmoid8(exp24_neg_abs(v), v.hi);
    // v' = 2k (1 + 3 * 0.044715 x^2) from the unclamped x, as the scalar functor
    const __m256 dv = _mm256_fmadd_ps(_mm256_set1_ps(0.21406444881780074f), _mm256_mul_ps(x8, x8),
                                      _mm256_set1_ps(1.5957691216057308f));
    // g (s + (x s sn) v'): x s sn is 0 (not NaN) for large finite |x|, as the scalar's 0.5 x (1 - t^2)
    const __m256 xss = _mm256_mul_ps(x8, _mm256_mul_ps(p.s, p.sn));
    // (+ 0: a sum that rounded to -0 is the scalar's +0)
    const __m256 sum = _mm256_mul_ps(_mm256_fmadd_ps(xss, dv, p.s), p.back);
    return _mm256_mul_ps(g8, _mm256_add_ps(sum, _mm256_setzero_ps()));
  });
}

}  // namespace kernels::cpu::act_avx2
