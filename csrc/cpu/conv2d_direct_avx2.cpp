// Direct float32 stride-1 convolution on AVX2/FMA for many channels (compiled with -mavx2 -mfma,
// entered only after the run-time check in conv2d.cpp; shapes in conv2d_direct.h).
//
// One problem: in (N, Ci, Hi, Wi), packed weights of Co output channels over K = Ci*kH*kW taps
// k = (c*kH + i)*kW + j, out (N, Co, Ho, Wo). Per image, inp is `in` shifted by (top, left) and
// zero-padded to (Ci, Hp, Wp), Hp = Ho + kH - 1, Wp = Wr + kW - 1 (Wr: Wo rounded up to 16), and
//   out[o, oh, ow] = bias[o] + sum_k wk[o, k] inp[c, oh + i, ow + j]
// forward:  in = x, wk = w, (top, left) = (ph, pw), out = y.
// dx:       in = dy, wk[c, (o, i, j)] = w[o, c, kH-1-i, kW-1-j], (top, left) = (kH-1-ph, kW-1-pw),
//           out = dx: dx[c, ih, iw] = sum w[o, c, i, j] dy[o, ih + ph - i, iw + pw - j].
//
// A tile is 6 output channels (the weights packed in slivers of 6, Ap[k*6 + r]) by 16 output
// columns of one row (two ymm): per tap, two loads straight from inp at off[k] = c*Hp*Wp + i*Wp + j
// and six broadcasts from the sliver, 12 FMAs. There is no column matrix or B panel: the image
// copy is the only packing. Taps go in blocks of kKC so that one tile's inp lines (2 per tap) stay
// in L1 while the slivers of all output channels pass over them; out accumulates over the blocks.
// For dx this replaces the GEMM-then-col2im (whose every tile is scattered back) by plain stores.
#include <immintrin.h>

#include "conv2d_direct.h"
#include "conv2d_direct_driver.h"

namespace kernels::cpu::conv_detail {

namespace {

using direct_driver::kMR;

// C (6 x 16, row stride ldc) (+)= sum_k Ap[k*6 + r] * xb[off[k] + lane].
struct Tile16 {
  static constexpr int64_t kNR = 16;
  static void run(int64_t kc, const float* __restrict Ap, const float* xb, const int64_t* off,
                  float* C, int64_t ldc, bool accumulate) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
           c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
           c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
           c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; ++k) {
      const float* s = xb + off[k];
      const __m256 b0 = _mm256_loadu_ps(s), b1 = _mm256_loadu_ps(s + 8);
      __m256 a = _mm256_broadcast_ss(Ap);
      c00 = _mm256_fmadd_ps(a, b0, c00);
      c01 = _mm256_fmadd_ps(a, b1, c01);
      a = _mm256_broadcast_ss(Ap + 1);
      c10 = _mm256_fmadd_ps(a, b0, c10);
      c11 = _mm256_fmadd_ps(a, b1, c11);
      a = _mm256_broadcast_ss(Ap + 2);
      c20 = _mm256_fmadd_ps(a, b0, c20);
      c21 = _mm256_fmadd_ps(a, b1, c21);
      a = _mm256_broadcast_ss(Ap + 3);
      c30 = _mm256_fmadd_ps(a, b0, c30);
      c31 = _mm256_fmadd_ps(a, b1, c31);
      a = _mm256_broadcast_ss(Ap + 4);
      c40 = _mm256_fmadd_ps(a, b0, c40);
      c41 = _mm256_fmadd_ps(a, b1, c41);
      a = _mm256_broadcast_ss(Ap + 5);
      c50 = _mm256_fmadd_ps(a, b0, c50);
      c51 = _mm256_fmadd_ps(a, b1, c51);
      Ap += kMR;
    }
    const __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    for (int r = 0; r < 6; ++r)
      for (int v = 0; v < 2; ++v) {
        float* p = C + r * ldc + 8 * v;
        const __m256 x = acc[2 * r + v];
        _mm256_storeu_ps(p, accumulate ? _mm256_add_ps(_mm256_loadu_ps(p), x) : x);
      }
  }
};

}  // namespace

void direct_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  direct_driver::forward<Tile16>(g, x, w, bias, y);
}

void direct_input_grad(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  direct_driver::input_grad<Tile16>(g, dy, w, dx);
}

}  // namespace kernels::cpu::conv_detail
