// Direct float32 stride-1 convolution for many channels (ResNet's 64->64 3x3), used for the
// forward and, as the "full" correlation of dy with the flipped weights, for dx. See
// conv2d_direct_avx2.cpp (AVX2 tiles) and conv2d_direct_avx512.cpp (AVX-512F tiles).
#pragma once

#include "../contracts/conv2d.h"

namespace kernels::cpu::conv_detail {

// Stride 1, no dilation, one group, enough channels both ways to fill 6-row tiles and to make the
// padded copy of an image cheap against its work, and rows that fill at least 3/4 of their
// 16-lane tiles (both for the forward's OW and dx's W; an 8-wide map would waste half of every
// tile, the packed GEMM path does better there). plan_conv2d also checks the AVX2 level.
inline bool direct_applicable(const ConvGeom& g) {
  auto fills = [](int64_t w) { return w >= 12 && 4 * w >= 3 * ((w + 15) / 16 * 16); };
  return g.G == 1 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.C >= 16 && g.O >= 16 &&
         fills(g.OW) && fills(g.W) && g.N > 0;
}

// The same with 32-lane rows (the AVX-512F tiles): rows that fill 3/4 of 32 lanes (a 16-wide map
// stays on the 16-lane tiles). plan_conv2d also checks the avx512 level.
inline bool direct_avx512_applicable(const ConvGeom& g) {
  auto fills = [](int64_t w) { return 4 * w >= 3 * ((w + 31) / 32 * 32); };
  return direct_applicable(g) && fills(g.OW) && fills(g.W);
}

// y (N, O, OH, OW) = conv(x, w) (+ bias when non-null).
void direct_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y);
// dx (N, C, H, W) = the input gradient from dy (N, O, OH, OW), overwritten.
void direct_input_grad(const ConvGeom& g, const float* dy, const float* w, float* dx);
// The AVX-512F tiles (conv2d_direct_avx512.cpp).
void direct_forward_avx512(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y);
void direct_input_grad_avx512(const ConvGeom& g, const float* dy, const float* w, float* dx);

}  // namespace kernels::cpu::conv_detail
