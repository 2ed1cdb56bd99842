// Upsampling (nearest and bilinear): the geometry and the entry points both devices implement. The
// source coordinates are computed by csrc/common/upsample_math.h.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// One upsampling call: P = N*C planes of H x W -> OH x OW, with the user's scale factors
// (<= 0: none) and align_corners (linear modes only). The 1-d ops use H = OH = 1.
struct UpsampleGeom {
  int64_t P = 0, H = 1, W = 1, OH = 1, OW = 1;
  double scale_h = 0, scale_w = 0;
  bool align_corners = false;
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/upsample.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_UPSAMPLE_ENTRY_POINTS                                                                \
  /* y[p, oh, ow] = x[p, nearest_source(oh), nearest_source(ow)]; dx the scatter-add of dy. */       \
  void upsample_nearest2d_forward(const Tensor& input, const UpsampleGeom& g, Tensor& out);          \
  void upsample_nearest2d_backward(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput);       \
  /* y = lh0 (lw0 x[h0,w0] + lw1 x[h0,w1]) + lh1 (lw0 x[h1,w0] + lw1 x[h1,w1]); dx the transpose. */ \
  void upsample_bilinear2d_forward(const Tensor& input, const UpsampleGeom& g, Tensor& out);         \
  void upsample_bilinear2d_backward(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_UPSAMPLE_ENTRY_POINTS)
