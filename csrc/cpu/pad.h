#pragma once
#include <cstdint>

#include "../common/pad_math.h"
#include "../common/tensor.h"

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

// out = the padded input (constant positions = g.value).
void pad_forward_cpu(const Tensor& input, const PadGeom& g, Tensor& out);
// Non-constant modes: dinput[src] += grad[o] over the output positions (dinput zeroed here).
// Constant mode needs no kernel of its own: its gradient is pad_forward with negated pads.
void pad_backward_cpu(const Tensor& grad, const PadGeom& g, Tensor& dinput);

}  // namespace kernels
