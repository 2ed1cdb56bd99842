// The float32 row loops of cross_entropy (K = 1, no label smoothing) with AVX2/FMA (this file
// gets -mavx2 -mfma); loss.cpp calls them only after a run-time CPU check. x is one row of C
// logits. libm's expf is a scalar call and was most of the time of a (64, 1000) cross-entropy.
//   row_max_f32:   max_c x_c, NaN if any x_c is NaN, -inf for an empty row
//   exp_sum_f32:   sum_c exp(x_c - m), accumulated in double (as the portable loop does)
//   exp_scale_f32: d_c = scale * exp((x_c - m) - ls)   (softmax times the upstream gradient)
// exp is avx2_math::exp8 (exp_avx2.h). Tails go through a padded 8-lane buffer.
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "exp_avx2.h"
#include "../contracts/loss.h"
#include "loss_avx2.h"

namespace kernels::cpu::loss_avx2 {

namespace {

// The last n < 8 elements of x as one vector, the other lanes `fill`.
inline __m256 load_tail(const float* x, int64_t n, float fill) {
  alignas(32) float buf[8] = {fill, fill, fill, fill, fill, fill, fill, fill};
  for (int64_t j = 0; j < n; ++j) buf[j] = x[j];
  return _mm256_load_ps(buf);
}

inline double hsum_pd(__m256d v) {
  alignas(32) double b[4];
  _mm256_store_pd(b, v);
  return (b[0] + b[1]) + (b[2] + b[3]);
}

inline float hmax_ps(__m256 v) {
  alignas(32) float b[8];
  _mm256_store_ps(b, v);
  float m = b[0];
  for (int j = 1; j < 8; ++j) m = b[j] > m ? b[j] : m;
  return m;
}

}  // namespace

float row_max_f32(const float* x, int64_t n) {
  const float ninf = -std::numeric_limits<float>::infinity();
  __m256 m = _mm256_set1_ps(ninf);
  __m256 nan = _mm256_setzero_ps();  // lanes that have seen a NaN
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    m = _mm256_max_ps(m, v);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  if (i < n) {
    const __m256 v = load_tail(x + i, n - i, ninf);
    m = _mm256_max_ps(m, v);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  if (_mm256_movemask_ps(nan)) return std::numeric_limits<float>::quiet_NaN();
  return hmax_ps(m);
}

double exp_sum_f32(const float* x, int64_t n, float m) {
  const __m256 mv = _mm256_set1_ps(m);
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  auto add = [&](__m256 e) {
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) add(avx2_math::exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv)));
  if (i < n) {
    // padded lanes hold -inf: exp(-inf - m) = 0 (NaN only when m is -inf, and then x_c - m is
    // NaN for the real lanes too)
    add(avx2_math::exp8(_mm256_sub_ps(load_tail(x + i, n - i, -std::numeric_limits<float>::infinity()), mv)));
  }
  return hsum_pd(_mm256_add_pd(s0, s1));
}

void exp_scale_f32(const float* x, float* d, int64_t n, float m, float ls, float scale) {
  const __m256 mv = _mm256_set1_ps(m), lv = _mm256_set1_ps(ls), kv = _mm256_set1_ps(scale);
  const auto p = [&](__m256 v) {
    return _mm256_mul_ps(kv, avx2_math::exp8(_mm256_sub_ps(_mm256_sub_ps(v, mv), lv)));
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, p(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float out[8];
    _mm256_store_ps(out, p(load_tail(x + i, n - i, 0.f)));
    for (int64_t j = 0; j < n - i; ++j) d[i + j] = out[j];
  }
}

}  // namespace kernels::cpu::loss_avx2
