// Direct float32 convolution for few output channels on AVX2/FMA (this file is compiled with
// -mavx2 -mfma and only entered after the run-time check in conv2d.cpp). Stride 1, no dilation,
// one group, 6 <= O <= 32 (conv2d_small.h).
//
// x (N, C, H, W), w (O, C, kH, kW), y (N, O, OH, OW); K = C*kH*kW taps k = (c*kH + i)*kW + j.
// Per image, xp is x zero-padded to (C, Hp, Wp), Hp = OH + kH - 1, Wp = OW + kW - 1 (x itself
// when unpadded), and dyp is dy zero-padded by kH-1-ph rows above and kW-1-pw columns left:
//   y[o, oh, ow]   = bias[o] + sum_k w[o, k] xp[c, oh + i, ow + j]
//   dW[o, k]      += sum_{oh, ow} dy[o, oh, ow] xp[c, oh + i, ow + j]      (summed over images)
//   dx[c, ih, iw]  = sum_{i, o, j} w[o, c, i, j] dyp[o, ih + kH-1-i, iw + kW-1-j]
//
// forward: a tile is R positions of one output row by the output channels as vector lanes (NV
//   ymm of 8; O rounded up to 8 with zero weights); per tap, NV loads of the weights packed
//   (K, O) and R broadcasts read straight from xp (consecutive positions are consecutive
//   addresses), so no column matrix is built.
// dW: a tile is R taps by the output channels as lanes, reduced over the positions; dy is
//   transposed to (P, O) per image and the taps broadcast from xp. Images go in fixed chunks, each
//   summing its own (K, O) partial, added in chunk order: the result does not depend on the
//   thread count.
// dx: a tile is R <= 6 input channels by 8*NV input columns as lanes, reduced over (i, o, j) with
//   the weights packed per block of 6 channels; taps whose dy row lies in the padding are skipped.
// With C and O this small, these loops run at the FMA rate where im2col + GEMM spent most of its
// time packing and on partial tiles.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv2d_avx2_util.h"
#include "conv2d_small.h"

namespace kernels::cpu::conv_detail {

namespace {

using namespace avx2_util;


// The geometry of xp.
struct Padded {
  int64_t Hp, Wp;
  bool copy;  // false: x is already xp
  explicit Padded(const ConvGeom& g)
      : Hp(g.OH + g.kH - 1), Wp(g.OW + g.kW - 1),
        copy(!(g.ph == 0 && g.pw == 0 && Hp == g.H && Wp == g.W)) {}
};

// off[k] = c*Hp*Wp + i*Wp + j: where tap k reads in xp, relative to the output position.
std::vector<int64_t> tap_offsets(const ConvGeom& g, int64_t Hp, int64_t Wp) {
  std::vector<int64_t> off(static_cast<size_t>(g.Kg()));
  for (int64_t c = 0, k = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.kH; ++i)
      for (int64_t j = 0; j < g.kW; ++j) off[k++] = c * Hp * Wp + i * Wp + j;
  return off;
}

// Output channels rounded up to the 8 lanes of a ymm: the lane count of the forward and dW tiles
// (the extra lanes hold zero weights / zero dy and are never stored).
inline int64_t lanes_of(const ConvGeom& g) { return (g.O + 7) / 8 * 8; }

// Largest tile height for NV vectors of lanes: R*NV accumulators + NV weights + 1 broadcast
// within the 16 ymm registers.
template <int NV>
constexpr int rmax() {
  return NV == 1 ? 8 : 6;
}

// ---------------------------------------------------------------- forward

// tile[r*32 + lane] = sum_k xb[off[k] + r] * wt[k*O + lane], r < R, lane < 8*NV.
template <int R, int NV>
void fwd_tile(const float* xb, const int64_t* off, int64_t K, const float* wt, int64_t O, float* tile) {
  __m256 acc[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const float* p = xb + off[k];
    __m256 b[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(wt + k * O + 8 * v);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(p + r);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(tile + r * 32 + 8 * v, acc[r][v]);
}

template <int NV, int R = 1>
void fwd_tile_n(int r, const float* xb, const int64_t* off, int64_t K, const float* wt, int64_t O,
                float* tile) {
  if constexpr (R < rmax<NV>()) {
    if (r > R) return fwd_tile_n<NV, R + 1>(r, xb, off, K, wt, O, tile);
  }
  fwd_tile<R, NV>(xb, off, K, wt, O, tile);
}

// Splits n into the fewest parts of at most m, as even as possible: part q starts at n*q/parts.
inline int64_t parts_of(int64_t n, int64_t m) { return (n + m - 1) / m; }

template <int NV>
void forward_block(const ConvGeom& g, const float* xp, int64_t Wp, const int64_t* off,
                   const float* Wt, int64_t ob, const float* bias, float* y_n) {
  const int64_t O = lanes_of(g), K = g.Kg(), P = g.P();
  const int64_t tiles = parts_of(g.OW, rmax<NV>()), valid = std::min<int64_t>(8 * NV, g.O - ob);
  alignas(64) float tile[8 * 32];
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t q = 0; q < tiles; ++q) {
      const int64_t ow0 = g.OW * q / tiles, R = g.OW * (q + 1) / tiles - ow0;
      fwd_tile_n<NV>(static_cast<int>(R), xp + oh * Wp + ow0, off, K, Wt + ob, O, tile);
      float* yp = y_n + ob * P + oh * g.OW + ow0;
      for (int64_t o = 0; o < valid; ++o) {
        const float bo = bias ? bias[ob + o] : 0.0f;
        for (int64_t r = 0; r < R; ++r) yp[o * P + r] = tile[r * 32 + o] + bo;
      }
    }
}

// ---------------------------------------------------------------- weight gradient

// acc (R rows of stride O, 8*NV lanes) += sum_{oh, ow} xb[offr[r] + oh*Wp + ow] * dyT[(oh*OW + ow)*O + lane].
template <int R, int NV>
void wgrad_tile(const float* xb, const int64_t* offr, int64_t OH, int64_t OW, int64_t Wp,
                const float* dyT, int64_t O, float* acc_io) {
  __m256 acc[R][NV];
  const float* p[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    p[r] = xb + offr[r];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_loadu_ps(acc_io + r * O + 8 * v);
  }
  for (int64_t oh = 0; oh < OH; ++oh) {
    const float* d = dyT + oh * OW * O;
    const int64_t row = oh * Wp;
    for (int64_t ow = 0; ow < OW; ++ow) {
      __m256 b[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(d + ow * O + 8 * v);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(p[r] + row + ow);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(acc_io + r * O + 8 * v, acc[r][v]);
}

template <int NV, int R = 1>
void wgrad_tile_n(int r, const float* xb, const int64_t* offr, int64_t OH, int64_t OW, int64_t Wp,
                  const float* dyT, int64_t O, float* acc_io) {
  if constexpr (R < rmax<NV>()) {
    if (r > R) return wgrad_tile_n<NV, R + 1>(r, xb, offr, OH, OW, Wp, dyT, O, acc_io);
  }
  wgrad_tile<R, NV>(xb, offr, OH, OW, Wp, dyT, O, acc_io);
}

template <int NV>
void wgrad_block(const ConvGeom& g, const float* xp, int64_t Wp, const int64_t* off,
                 const float* dyT, int64_t ob, float* acc) {
  const int64_t K = g.Kg(), tiles = parts_of(K, rmax<NV>());
  for (int64_t q = 0; q < tiles; ++q) {
    const int64_t k0 = K * q / tiles, R = K * (q + 1) / tiles - k0;
    wgrad_tile_n<NV>(static_cast<int>(R), xp, off + k0, g.OH, g.OW, Wp, dyT + ob, lanes_of(g),
                     acc + k0 * lanes_of(g) + ob);
  }
}

// ---------------------------------------------------------------- input gradient

constexpr int kDxRows = 6;  // input channels per dx tile

// tile[r*16 + lane] = sum_t A[t*6 + r] * dyb[off[t] + lane], r < R, lane < 8*NV.
template <int R, int NV>
void dgrad_tile(const float* dyb, const int64_t* off, int64_t T, const float* A, float* tile) {
  __m256 acc[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int64_t t = 0; t < T; ++t) {
    const float* s = dyb + off[t];
    __m256 b[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(s + 8 * v);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(A + t * kDxRows + r);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(tile + r * 16 + 8 * v, acc[r][v]);
}

template <int NV, int R = 1>
void dgrad_tile_n(int r, const float* dyb, const int64_t* off, int64_t T, const float* A, float* tile) {
  if constexpr (R < kDxRows) {
    if (r > R) return dgrad_tile_n<NV, R + 1>(r, dyb, off, T, A, tile);
  }
  dgrad_tile<R, NV>(dyb, off, T, A, tile);
}

// The dx geometry: dyp is (O, Hq, Wq); columns are computed 8*NV at a time.
struct DxGeom {
  int64_t NV, Wr, Hq, Wq, top, left, T;
  explicit DxGeom(const ConvGeom& g) {
    NV = g.W > 8 ? 2 : 1;
    Wr = parts_of(g.W, 8 * NV) * 8 * NV;
    Hq = g.H + g.kH - 1;
    Wq = Wr + g.kW - 1;
    top = g.kH - 1 - g.ph;
    left = g.kW - 1 - g.pw;
    T = g.kH * g.O * g.kW;
  }
};

// dx_n (C, H, W) from dyp, the weights packed as Wd[(cb*T + t)*6 + r] with t = (i*O + o)*kW + j.
template <int NV>
void dgrad_image(const ConvGeom& g, const DxGeom& q, const float* dyp, const int64_t* off,
                 const float* Wd, float* dx_n) {
  const int64_t HW = g.H * g.W, OkW = g.O * g.kW;
  alignas(64) float tile[kDxRows * 16];
  for (int64_t cb = 0; cb * kDxRows < g.C; ++cb) {
    const int64_t c0 = cb * kDxRows, R = std::min<int64_t>(kDxRows, g.C - c0);
    for (int64_t ih = 0; ih < g.H; ++ih) {
      // taps (i, o, j) whose dy row oh = ih + ph - i lies in [0, OH)
      const int64_t i_lo = std::max<int64_t>(0, ih + g.ph - g.OH + 1);
      const int64_t i_hi = std::min<int64_t>(g.kH - 1, ih + g.ph);
      for (int64_t iw0 = 0; iw0 < g.W; iw0 += 8 * NV) {
        const int64_t lanes = std::min<int64_t>(8 * NV, g.W - iw0);
        float* d = dx_n + c0 * HW + ih * g.W + iw0;
        if (i_lo > i_hi) {
          for (int64_t r = 0; r < R; ++r) std::fill(d + r * HW, d + r * HW + lanes, 0.0f);
          continue;
        }
        const int64_t t0 = i_lo * OkW, tn = (i_hi + 1 - i_lo) * OkW;
        dgrad_tile_n<NV>(static_cast<int>(R), dyp + ih * q.Wq + iw0, off + t0, tn,
                         Wd + (cb * q.T + t0) * kDxRows, tile);
        for (int64_t r = 0; r < R; ++r)
          std::memcpy(d + r * HW, tile + r * 16, static_cast<size_t>(lanes) * sizeof(float));
      }
    }
  }
}

}  // namespace

void small_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t O = lanes_of(g), K = g.Kg(), P = g.P();
  const Padded pd(g);
  const std::vector<int64_t> off = tap_offsets(g, pd.Hp, pd.Wp);
  Buf wt(static_cast<size_t>(K * O));  // Wt[k*O + o] = w[o, k] (0 for o >= g.O)
  for (int64_t o = 0; o < O; ++o)
    for (int64_t k = 0; k < K; ++k) wt.p[k * O + o] = o < g.O ? w[o * K + k] : 0.0f;
  const int64_t chunks = std::min<int64_t>(g.N, kChunks);
  const int nt = thread_count(g, chunks);
  const size_t per = pd.copy ? static_cast<size_t>((g.C * pd.Hp * pd.Wp + 15) / 16 * 16) : 0;
  Buf ws(per * nt);
  for_chunks(g, chunks, [&](int t, int64_t, int64_t b, int64_t e) {
    float* xp = ws.p + per * t;
    for (int64_t n = b; n < e; ++n) {
      const float* xn = x + n * g.C * g.H * g.W;
      if (pd.copy)
        pad_planes(xn, g.C, g.H, g.W, xp, pd.Hp, pd.Wp, g.ph, g.pw);
      else
        xp = const_cast<float*>(xn);
      float* yn = y + n * g.O * P;
      int64_t ob = 0;
      for (; ob + 16 <= O; ob += 16) forward_block<2>(g, xp, pd.Wp, off.data(), wt.p, ob, bias, yn);
      if (ob < O) forward_block<1>(g, xp, pd.Wp, off.data(), wt.p, ob, bias, yn);
    }
  });
}

void small_backward(const ConvGeom& g, const float* dy, const float* x, const float* w, float* dx,
                    float* dw) {
  const int64_t O = g.O, Ol = lanes_of(g), K = g.Kg(), P = g.P(), C = g.C;
  const Padded pd(g);
  const DxGeom q(g);
  const std::vector<int64_t> off = tap_offsets(g, pd.Hp, pd.Wp);
  const int64_t chunks = std::min<int64_t>(g.N, kChunks);
  const int nt = thread_count(g, chunks);

  // dx: the weights packed in blocks of 6 channels, and where each tap reads in dyp
  std::vector<int64_t> off_dx;
  const int64_t cblocks = parts_of(C, kDxRows);
  Buf wd(dx ? static_cast<size_t>(cblocks * q.T * kDxRows) : 0);
  if (dx) {
    off_dx.resize(static_cast<size_t>(q.T));
    for (int64_t i = 0; i < g.kH; ++i)
      for (int64_t o = 0; o < O; ++o)
        for (int64_t j = 0; j < g.kW; ++j) {
          const int64_t t = (i * O + o) * g.kW + j;
          off_dx[t] = o * q.Hq * q.Wq + (g.kH - 1 - i) * q.Wq + (g.kW - 1 - j);
          for (int64_t cb = 0; cb < cblocks; ++cb)
            for (int64_t r = 0; r < kDxRows; ++r) {
              const int64_t c = cb * kDxRows + r;
              wd.p[(cb * q.T + t) * kDxRows + r] = c < C ? w[((o * C + c) * g.kH + i) * g.kW + j] : 0.0f;
            }
        }
  }
  const size_t xp_n = dw && pd.copy ? static_cast<size_t>(C * pd.Hp * pd.Wp) : 0;
  const size_t dyT_n = dw ? static_cast<size_t>(P * Ol) : 0;
  const size_t dyp_n = dx ? static_cast<size_t>(O * q.Hq * q.Wq) : 0;
  const size_t per = (xp_n + dyT_n + dyp_n + 47) / 16 * 16;
  Buf ws(per * nt);
  Buf parts(dw ? static_cast<size_t>(chunks * K * Ol) : 0);  // per chunk, (K, Ol)
  if (dw) std::fill(parts.p, parts.p + chunks * K * Ol, 0.0f);

  for_chunks(g, chunks, [&](int t, int64_t chunk, int64_t b, int64_t e) {
    float* xp = ws.p + per * t;
    float* dyT = xp + (xp_n + 15) / 16 * 16;
    float* dyp = dyT + (dyT_n + 15) / 16 * 16;
    float* acc = dw ? parts.p + chunk * K * Ol : nullptr;
    for (int64_t n = b; n < e; ++n) {
      const float* dyn = dy + n * O * P;
      if (dw) {
        const float* xn = x + n * C * g.H * g.W;
        const float* xs = xn;
        if (pd.copy) {
          pad_planes(xn, C, g.H, g.W, xp, pd.Hp, pd.Wp, g.ph, g.pw);
          xs = xp;
        }
        for (int64_t o = 0; o < O; ++o)
          for (int64_t p = 0; p < P; ++p) dyT[p * Ol + o] = dyn[o * P + p];
        for (int64_t o = O; o < Ol; ++o)
          for (int64_t p = 0; p < P; ++p) dyT[p * Ol + o] = 0.0f;
        int64_t ob = 0;
        for (; ob + 16 <= Ol; ob += 16) wgrad_block<2>(g, xs, pd.Wp, off.data(), dyT, ob, acc);
        if (ob < Ol) wgrad_block<1>(g, xs, pd.Wp, off.data(), dyT, ob, acc);
      }
      if (dx) {
        pad_planes(dyn, O, g.OH, g.OW, dyp, q.Hq, q.Wq, q.top, q.left);
        float* dxn = dx + n * C * g.H * g.W;
        if (q.NV == 2)
          dgrad_image<2>(g, q, dyp, off_dx.data(), wd.p, dxn);
        else
          dgrad_image<1>(g, q, dyp, off_dx.data(), wd.p, dxn);
      }
    }
  });
  if (dw) {  // dw[o, k] = sum over chunks, in order, of parts[chunk][k, o]
    for (int64_t o = 0; o < O; ++o)
      for (int64_t k = 0; k < K; ++k) {
        float s = parts.p[k * Ol + o];
        for (int64_t c = 1; c < chunks; ++c) s += parts.p[(c * K + k) * Ol + o];
        dw[o * K + k] = s;
      }
  }
}

}  // namespace kernels::cpu::conv_detail
