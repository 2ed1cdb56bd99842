// 2-D (and, with H = 1, 1-D) max, average and adaptive pooling: the geometry and the entry points
// both devices implement. The maths is in csrc/cpu/pool.cpp's header comment.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// The geometry of one 2-D pooling call, checked and derived once in csrc/ops/pool.cpp. The input
// is P = N*C contiguous planes of H x W, the output P planes of OH x OW. Window (oh, ow) covers
// rows oh*sH - pH + kh*dH (kh < kH) and columns ow*sW - pW + kw*dW (kw < kW); positions outside
// the plane are padding. 1-D pooling is the same with H = 1, kH = 1.
struct Pool2dGeom {
  int64_t P = 0, H = 0, W = 0, OH = 0, OW = 0;
  int64_t kH = 1, kW = 1, sH = 1, sW = 1, pH = 0, pW = 0, dH = 1, dW = 1;
};

// Adaptive pooling: only P, H, W, OH, OW are used; window (oh, ow) is rows
// [floor(oh*H/OH), ceil((oh+1)*H/OH)) x columns [floor(ow*W/OW), ceil((ow+1)*W/OW)).

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/pool.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_POOL_ENTRY_POINTS                                                                  \
  /* max_pool2d: out (P, OH, OW); indices int64 (P, OH, OW), flat h*W + w within the plane. */     \
  void max_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out, Tensor& indices); \
  /* dinput (P, H, W) = scatter-add of grad (P, OH, OW) at indices. */                             \
  void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,         \
                           Tensor& dinput);                                                        \
  /* avg_pool2d: divisor_override 0 means none. */                                                 \
  void avg_pool2d_forward(const Tensor& input, const Pool2dGeom& g, bool count_include_pad,        \
                          int64_t divisor_override, Tensor& out);                                  \
  void avg_pool2d_backward(const Tensor& grad, const Pool2dGeom& g, bool count_include_pad,        \
                           int64_t divisor_override, Tensor& dinput);                              \
  void adaptive_avg_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out);         \
  void adaptive_avg_pool2d_backward(const Tensor& grad, const Pool2dGeom& g, Tensor& dinput);      \
  void adaptive_max_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out,          \
                                   Tensor& indices);                                               \
  /* The scatter of max_pool2d_backward (adaptive windows overlap the same way). */                \
  void adaptive_max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,\
                                    Tensor& dinput);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_POOL_ENTRY_POINTS)
