// float32 tanh with AVX2/FMA intrinsics (this file gets -mavx2 -mfma); activation.cpp calls it only
// after a run-time CPU check. 8 lanes at a time, no branches, no libm call (libm's tanhf is a
// scalar call and was most of a LeNet-5 step's time):
//
//   |x| <  0.625:  tanh(x) = x + x^3 P(x^2), P of degree 4 fitted for relative error (< 0.8 ulp)
//   |x| >= 0.625:  tanh(|x|) = 1 - 2 / (exp(2|x|) + 1), |x| clamped to 10 (tanh rounds to 1 there),
//                  exp from exp_avx2.h
//   then the sign of x is put back; NaN and |x| < 1e-10 (and -0) return x itself.
// Max error against tanh in double, over every float in [0, 12]: 1.4 ulp.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "../contracts/activation.h"
#include "activation_avx2.h"
#include "exp_avx2.h"

namespace kernels::cpu::act_avx2 {

static inline __m256 tanh8(__m256 x) {
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

void tanh_f32(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, tanh8(_mm256_loadu_ps(x + i)));
  if (i < n) {  // the tail through a padded buffer, so every lane runs the same maths
    alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = i; j < n; ++j) buf[j - i] = x[j];
    _mm256_store_ps(buf, tanh8(_mm256_load_ps(buf)));
    for (int64_t j = i; j < n; ++j) y[j] = buf[j - i];
  }
}

}  // namespace kernels::cpu::act_avx2
