// The direct float32 convolution of conv2d_direct_avx2.cpp (same maths, same driver) with
// AVX-512F tiles of 6 output channels by 32 output columns (two zmm per tap; a 32-wide ResNet
// map is one tile per row). Compiled with -mavx512f; entered only at the avx512 capability level
// (plan_conv2d's direct_avx512).
#include <immintrin.h>

#include "conv2d_direct.h"
#include "conv2d_direct_driver.h"

namespace kernels::cpu::conv_detail {

namespace {

using direct_driver::kMR;

// C (6 x 32, row stride ldc) (+)= sum_k Ap[k*6 + r] * xb[off[k] + lane].
struct Tile32 {
  static constexpr int64_t kNR = 32;
  static void run(int64_t kc, const float* __restrict Ap, const float* xb, const int64_t* off,
                  float* C, int64_t ldc, bool accumulate) {
    __m512 c[kMR][2];
    for (auto& row : c) row[0] = row[1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; ++k) {
      const float* s = xb + off[k];
      const __m512 b0 = _mm512_loadu_ps(s), b1 = _mm512_loadu_ps(s + 16);
#pragma GCC unroll 6
      for (int r = 0; r < kMR; ++r) {
        const __m512 a = _mm512_set1_ps(Ap[r]);
        c[r][0] = _mm512_fmadd_ps(a, b0, c[r][0]);
        c[r][1] = _mm512_fmadd_ps(a, b1, c[r][1]);
      }
      Ap += kMR;
    }
    for (int r = 0; r < kMR; ++r)
      for (int v = 0; v < 2; ++v) {
        float* p = C + r * ldc + 16 * v;
        _mm512_storeu_ps(p, accumulate ? _mm512_add_ps(_mm512_loadu_ps(p), c[r][v]) : c[r][v]);
      }
  }
};

}  // namespace

void direct_forward_avx512(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  direct_driver::forward<Tile32>(g, x, w, bias, y);
}

void direct_input_grad_avx512(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  direct_driver::input_grad<Tile32>(g, dy, w, dx);
}

}  // namespace kernels::cpu::conv_detail
