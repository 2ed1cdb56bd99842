// float rows of the recurrent pointwise pass with vectorisable sigmoid / tanh (this file is
// compiled with -mavx2 -mfma and only called after a run-time CPU check). libm's expf / tanhf are
// scalar calls; these are branch-free, so the row loops of rnn_rows.h become 8-wide.
//   exp(x)     = 2^n * p(r),  n = round(x / ln 2),  r = x - n ln 2 (ln 2 split in two parts for
//                accuracy), p a degree-6 polynomial (Cephes' expf coefficients); x clamped to
//                [-87.3, 88.37] so 2^n stays a normal float. Relative error ~2e-7.
//   sigmoid(x) = 1 / (1 + exp(-x))
//   tanh(x)    = |x| < 0.625: x + x^3 q(x^2) (Cephes' tanhf polynomial), else
//                sign(x) (1 - 2 / (exp(2|x|) + 1)). Absolute error ~1e-7.
// Float comparisons may not be if-converted into vector selects while they are allowed to trap;
// nothing here reads floating-point exception flags.
#pragma GCC optimize("no-trapping-math")

#include <cmath>
#include <cstdint>
#include <cstring>

#include "rnn_rows.h"

namespace kernels::cpu {

namespace {

inline float fast_exp(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.37f ? 88.37f : x);
  // round to nearest by adding and removing 1.5 * 2^23 (vectorises, unlike nearbyint)
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

struct FastMath {
  template <class T>
  static inline T sigmoid(T x) {
    return 1.0f / (1.0f + fast_exp(-x));
  }
  template <class T>
  static inline T tanh(T x) {
    const float a = std::fabs(x);
    const float z = x * x;
    float q = -5.70498872745e-3f;
    q = q * z + 2.06390887954e-2f;
    q = q * z - 5.37397155531e-2f;
    q = q * z + 1.33314422036e-1f;
    q = q * z - 3.33332819422e-1f;
    const float small = x + x * z * q;
    const float big = 1.0f - 2.0f / (fast_exp(2.0f * a) + 1.0f);
    return a < 0.625f ? small : std::copysign(big, x);
  }
};

}  // namespace

void rnn_fwd_row_avx2(RnnMode mode, int64_t H, const RnnFwdRow<float>& r) {
  rnn_fwd_row_impl<float, FastMath>(mode, H, r);
}

void rnn_bwd_row_avx2(RnnMode mode, int64_t H, const RnnBwdRow<float>& r) {
  rnn_bwd_row_impl<float, FastMath>(mode, H, r);
}

}  // namespace kernels::cpu
