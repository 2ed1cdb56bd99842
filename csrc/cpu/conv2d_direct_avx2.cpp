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

#include <vector>

#include "conv2d_avx2_util.h"
#include "conv2d_direct.h"

namespace kernels::cpu::conv_detail {

namespace {

using namespace avx2_util;

constexpr int64_t kMR = 6, kNR = 16;
constexpr int64_t kKC = 128;  // taps per block: 2 lines of 64 bytes each, 16 KB of inp

struct Problem {
  int64_t N, Ci, Hi, Wi, Co, kH, kW, Ho, Wo, top, left;
  int64_t K() const { return Ci * kH * kW; }
  int64_t Wr() const { return (Wo + kNR - 1) / kNR * kNR; }
  int64_t Hp() const { return Ho + kH - 1; }
  int64_t Wp() const { return Wr() + kW - 1; }
};

// C (6 x 16, row stride ldc) (+)= sum_k Ap[k*6 + r] * xb[off[k] + lane].
inline void direct_tile(int64_t kc, const float* __restrict Ap, const float* xb, const int64_t* off,
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

// out_n (Co, Ho, Wo) from inp (Ci, Hp, Wp); Ap: ceil(Co/6) slivers of K*6.
void direct_image(const Problem& q, const float* inp, const float* Ap, const int64_t* off,
                  const float* bias, float* out_n) {
  const int64_t K = q.K(), P = q.Ho * q.Wo, Wp = q.Wp(), slivers = (q.Co + kMR - 1) / kMR;
  alignas(64) float tile[kMR * kNR];
  if (bias)
    for (int64_t o = 0; o < q.Co; ++o) std::fill(out_n + o * P, out_n + (o + 1) * P, bias[o]);
  for (int64_t k0 = 0; k0 < K; k0 += kKC) {
    const int64_t kc = std::min(kKC, K - k0);
    const bool acc = k0 > 0 || bias;  // earlier values in out to add to
    for (int64_t oh = 0; oh < q.Ho; ++oh)
      for (int64_t ow0 = 0; ow0 < q.Wo; ow0 += kNR) {
        const int64_t lanes = std::min(kNR, q.Wo - ow0);
        const float* xb = inp + oh * Wp + ow0;
        for (int64_t s = 0; s < slivers; ++s) {
          const int64_t rows = std::min(kMR, q.Co - s * kMR);
          const float* a = Ap + s * kMR * K + k0 * kMR;
          float* c = out_n + s * kMR * P + oh * q.Wo + ow0;
          if (rows == kMR && lanes == kNR) {
            direct_tile(kc, a, xb, off + k0, c, P, acc);
          } else {
            direct_tile(kc, a, xb, off + k0, tile, kNR, false);
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t l = 0; l < lanes; ++l)
                c[r * P + l] = acc ? c[r * P + l] + tile[r * kNR + l] : tile[r * kNR + l];
          }
        }
      }
  }
}

void run(const ConvGeom& g, const Problem& q, const float* in, const float* Ap, const float* bias,
         float* out) {
  const int64_t K = q.K(), Hp = q.Hp(), Wp = q.Wp();
  std::vector<int64_t> off(static_cast<size_t>(K));
  for (int64_t c = 0, k = 0; c < q.Ci; ++c)
    for (int64_t i = 0; i < q.kH; ++i)
      for (int64_t j = 0; j < q.kW; ++j) off[k++] = c * Hp * Wp + i * Wp + j;
  const int64_t chunks = std::min(q.N, kChunks);
  const int nt = thread_count(g, chunks);
  const size_t per = static_cast<size_t>((q.Ci * Hp * Wp + 15) / 16 * 16);
  Buf ws(per * nt);
  for_chunks(g, chunks, [&](int t, int64_t, int64_t b, int64_t e) {
    float* inp = ws.p + per * t;
    for (int64_t n = b; n < e; ++n) {
      pad_planes(in + n * q.Ci * q.Hi * q.Wi, q.Ci, q.Hi, q.Wi, inp, Hp, Wp, q.top, q.left);
      direct_image(q, inp, Ap, off.data(), bias, out + n * q.Co * q.Ho * q.Wo);
    }
  });
}

}  // namespace

void direct_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const Problem q{g.N, g.C, g.H, g.W, g.O, g.kH, g.kW, g.OH, g.OW, g.ph, g.pw};
  const int64_t K = q.K(), slivers = (g.O + kMR - 1) / kMR;
  Buf Ap(static_cast<size_t>(slivers * kMR * K));  // Ap[(s*K + k)*6 + r] = w[s*6 + r, k]
  for (int64_t s = 0; s < slivers; ++s)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t r = 0; r < kMR; ++r) {
        const int64_t o = s * kMR + r;
        Ap.p[(s * K + k) * kMR + r] = o < g.O ? w[o * K + k] : 0.0f;
      }
  run(g, q, x, Ap.p, bias, y);
}

void direct_input_grad(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  const Problem q{g.N, g.O, g.OH, g.OW, g.C, g.kH, g.kW, g.H, g.W, g.kH - 1 - g.ph, g.kW - 1 - g.pw};
  const int64_t K = q.K(), slivers = (g.C + kMR - 1) / kMR, kk = g.kH * g.kW;
  // Ap[(s*K + k)*6 + r] = w[o, s*6 + r, kH-1-i, kW-1-j] with k = (o*kH + i)*kW + j
  Buf Ap(static_cast<size_t>(slivers * kMR * K));
  for (int64_t s = 0; s < slivers; ++s)
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t t = 0; t < kk; ++t)
        for (int64_t r = 0; r < kMR; ++r) {
          const int64_t c = s * kMR + r;
          Ap.p[(s * K + o * kk + t) * kMR + r] = c < g.C ? w[(o * g.C + c) * kk + (kk - 1 - t)] : 0.0f;
        }
  run(g, q, dy, Ap.p, nullptr, dx);
}

}  // namespace kernels::cpu::conv_detail
