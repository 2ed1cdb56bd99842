// Convolution: conv2d and conv_transpose2d (conv1d / conv_transpose1d are the same kernels on
// (N, C, 1, L) views): the geometry and the entry points both devices implement. The maths is in
// csrc/cpu/conv2d.cpp's header comment; which CPU kernel runs is csrc/cpu/conv2d_plan.h's choice.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// The geometry of one convolution, as seen by the kernels (csrc/ops/conv2d.cpp builds it):
//   x (N, C, H, W) --conv with w (O, C/G, kH, kW)--> y (N, O, OH, OW)
// Padding is given by its top / left part only: the output size OH, OW is explicit, so any
// bottom / right padding (symmetric, torch's asymmetric 'same', or a transposed conv's
// output_padding) is implied by it. conv_transpose2d uses the geometry of the conv whose
// input-gradient it is: its output is this x and its input this y.
struct ConvGeom {
  int64_t N = 0, C = 0, H = 0, W = 0;
  int64_t O = 0, kH = 1, kW = 1;
  int64_t OH = 0, OW = 0;
  int64_t sh = 1, sw = 1;  // stride
  int64_t ph = 0, pw = 0;  // top / left padding
  int64_t dh = 1, dw = 1;  // dilation
  int64_t G = 1;           // groups

  int64_t Cg() const { return C / G; }
  int64_t Og() const { return O / G; }
  int64_t Kg() const { return C / G * kH * kW; }  // rows of one group's column matrix
  int64_t P() const { return OH * OW; }           // output positions per image
  int64_t HW() const { return H * W; }
  // A 1x1, stride-1, unpadded conv reads its input as the column matrix itself.
  bool pointwise() const {
    return kH == 1 && kW == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && OH == H && OW == W;
  }
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/conv2d.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_CONV2D_ENTRY_POINTS                                                                 \
  /* y = conv(x, w) + bias. bias (O) may be undefined. */                                           \
  void conv2d_forward(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias,      \
                      Tensor& y);                                                                   \
  /* From dy (N, O, OH, OW): dx (N, C, H, W), dw (O, C/G, kH, kW), dbias (O); undefined ones are */ \
  /* skipped. */                                                                                    \
  void conv2d_backward(const ConvGeom& g, const Tensor& dy, const Tensor& x, const Tensor& w,       \
                       Tensor& dx, Tensor& dw, Tensor& dbias);                                      \
  /* conv_transpose2d with g the geometry of the matching conv: input is (N, O, OH, OW), weight */  \
  /* (O, C/G, kH, kW) (torch's (C_in, C_out/groups, kH, kW)), bias (C), out (N, C, H, W). */        \
  void conv_transpose2d_forward(const ConvGeom& g, const Tensor& input, const Tensor& w,            \
                                const Tensor& bias, Tensor& out);                                   \
  /* From dout (N, C, H, W): dinput (N, O, OH, OW), dw, dbias (C); undefined ones are skipped. */   \
  void conv_transpose2d_backward(const ConvGeom& g, const Tensor& dout, const Tensor& input,        \
                                 const Tensor& w, Tensor& dinput, Tensor& dw, Tensor& dbias);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_CONV2D_ENTRY_POINTS)
