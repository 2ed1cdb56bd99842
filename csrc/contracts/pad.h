// Padding (constant, reflect, replicate, circular): the geometry and the entry points both devices
// implement. The source positions are computed by csrc/common/pad_math.h.
#pragma once
#include <cstdint>

#include "../common/pad_math.h"
#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

constexpr int kPadMaxDims = 8;

// One pad call over D dims (all of the input's; unpadded dims have before = after = 0): output
// size out[d] = in[d] + before[d] + after[d], output position o of dim d reads input position
// pad_source(o, in[d], before[d], after[d], mode). Only the last `padded` dims may be padded.
struct PadGeom {
  int D = 0;
  int padded = 0;
  int64_t in[kPadMaxDims] = {}, out[kPadMaxDims] = {}, before[kPadMaxDims] = {}, after[kPadMaxDims] = {};
  PadMode mode = PadMode::Constant;
  double value = 0;
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/pad.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_PAD_ENTRY_POINTS                                                                   \
  /* out = the padded input (constant positions = g.value). */                                     \
  void pad_forward(const Tensor& input, const PadGeom& g, Tensor& out);                            \
  /* Non-constant modes: dinput[src] += grad[o] over the output positions (dinput zeroed here). */ \
  /* Constant mode needs no kernel of its own: its gradient is pad_forward with negated pads. */   \
  void pad_backward(const Tensor& grad, const PadGeom& g, Tensor& dinput);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_PAD_ENTRY_POINTS)
