// The driver of the direct convolutions (conv2d_direct_avx2.cpp, conv2d_direct_avx512.cpp; the
// maths is in the first): per image, the zero-padded copy, then tiles of 6 output channels by
// Tile::kNR output columns of one row, in blocks of kKC taps. Include it only in those files:
// it is compiled with their instruction sets. Tile gives kNR and
//   Tile::run(kc, Ap, xb, off, C, ldc, accumulate): C (6 x kNR, row stride ldc) (+)=
//   sum_k Ap[k*6 + r] * xb[off[k] + lane].
#pragma once
#include <vector>

#include "conv2d_avx2_util.h"

namespace kernels::cpu::conv_detail::direct_driver {

using namespace avx2_util;

constexpr int64_t kMR = 6;
constexpr int64_t kKC = 128;  // taps per block: one tile's inp lines (16-32 KB) stay in L1

struct Problem {
  int64_t N, Ci, Hi, Wi, Co, kH, kW, Ho, Wo, top, left, NR;
  int64_t K() const { return Ci * kH * kW; }
  int64_t Wr() const { return (Wo + NR - 1) / NR * NR; }
  int64_t Hp() const { return Ho + kH - 1; }
  int64_t Wp() const { return Wr() + kW - 1; }
};

// out_n (Co, Ho, Wo) from inp (Ci, Hp, Wp); Ap: ceil(Co/6) slivers of K*6.
template <class Tile>
void direct_image(const Problem& q, const float* inp, const float* Ap, const int64_t* off,
                  const float* bias, float* out_n) {
  const int64_t K = q.K(), P = q.Ho * q.Wo, Wp = q.Wp(), slivers = (q.Co + kMR - 1) / kMR;
  constexpr int64_t kNR = Tile::kNR;
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
            Tile::run(kc, a, xb, off + k0, c, P, acc);
          } else {
            Tile::run(kc, a, xb, off + k0, tile, kNR, false);
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t l = 0; l < lanes; ++l)
                c[r * P + l] = acc ? c[r * P + l] + tile[r * kNR + l] : tile[r * kNR + l];
          }
        }
      }
  }
}

template <class Tile>
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
      direct_image<Tile>(q, inp, Ap, off.data(), bias, out + n * q.Co * q.Ho * q.Wo);
    }
  });
}

template <class Tile>
void forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const Problem q{g.N, g.C, g.H, g.W, g.O, g.kH, g.kW, g.OH, g.OW, g.ph, g.pw, Tile::kNR};
  const int64_t K = q.K(), slivers = (g.O + kMR - 1) / kMR;
  Buf Ap(static_cast<size_t>(slivers * kMR * K));  // Ap[(s*K + k)*6 + r] = w[s*6 + r, k]
  for (int64_t s = 0; s < slivers; ++s)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t r = 0; r < kMR; ++r) {
        const int64_t o = s * kMR + r;
        Ap.p[(s * K + k) * kMR + r] = o < g.O ? w[o * K + k] : 0.0f;
      }
  run<Tile>(g, q, x, Ap.p, bias, y);
}

template <class Tile>
void input_grad(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  const Problem q{g.N, g.O, g.OH, g.OW, g.C, g.kH, g.kW, g.H, g.W, g.kH - 1 - g.ph, g.kW - 1 - g.pw, Tile::kNR};
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
  run<Tile>(g, q, dy, Ap.p, nullptr, dx);
}

}  // namespace kernels::cpu::conv_detail::direct_driver
