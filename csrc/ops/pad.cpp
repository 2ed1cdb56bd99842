#include "pad.h"

#include <algorithm>

#include "../common/arg_checks.h"
#include "../common/determinism.h"
#include "../common/dispatch.h"
#include "../contracts/pad.h"
#include "copy.h"

namespace kernels {

namespace {

using Ints = std::vector<int64_t>;

PadMode parse_mode(const char* op, const std::string& mode) {
  if (mode == "constant") return PadMode::Constant;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "replicate") return PadMode::Replicate;
  if (mode == "circular") return PadMode::Circular;
  KCHECK(false, op, ": mode must be 'constant', 'reflect', 'replicate' or 'circular', got '", mode, "'");
  return PadMode::Constant;
}

// Checks pad against an input of shape `in` (torch's rules) and builds the geometry.
PadGeom pad_geometry(const char* op, const Ints& in, const Ints& pad, const std::string& mode_name) {
  const PadMode mode = parse_mode(op, mode_name);
  const int D = static_cast<int>(in.size());
  const int n = static_cast<int>(pad.size());
  KCHECK(n % 2 == 0, op, ": padding length must be even ((before, after) pairs from the last dim), got ",
         n, " values ", shape_str(pad));
  const int k = n / 2;  // padded dims
  KCHECK(D <= kPadMaxDims, op, ": tensors of more than ", kPadMaxDims, " dims are not supported, got ",
         shape_str(in));
  if (mode == PadMode::Constant) {
    KCHECK(k <= D, op, ": padding length ", n, " is too long for input ", shape_str(in), " (at most ",
           2 * D, " values for ", D, " dims)");
  } else {
    KCHECK(k >= 1 && k <= 3 && (D == k + 1 || D == k + 2), op, ": mode '", mode_name,
           "' pads the last 1, 2 or 3 dims of an input with 1 or 2 more dims (padding length 2: 2-D or "
           "3-D input, 4: 3-D or 4-D, 6: 4-D or 5-D), got padding length ", n, " for input ",
           shape_str(in));
    for (int d = D == k + 2 ? 1 : 0; d < D; ++d)
      KCHECK(in[d] > 0, op, ": mode '", mode_name, "' needs non-zero sizes in every dim but the batch, got input ",
             shape_str(in));
  }
  PadGeom g;
  g.D = D;
  g.padded = k;
  g.mode = mode;
  for (int d = 0; d < D; ++d) {
    g.in[d] = in[d];
    g.out[d] = in[d];
  }
  for (int j = 0; j < k; ++j) {
    const int d = D - 1 - j;
    const int64_t l = pad[2 * j], r = pad[2 * j + 1], size = in[d];
    g.before[d] = l;
    g.after[d] = r;
    g.out[d] = size + l + r;
    if (mode == PadMode::Reflect)
      KCHECK(l < size && r < size, op, ": reflect padding (", l, ", ", r, ") of dim ", d,
             " must be smaller than that dim's size ", size, " (input ", shape_str(in), ")");
    if (mode == PadMode::Circular) {
      KCHECK(l <= size && r <= size, op, ": circular padding (", l, ", ", r, ") of dim ", d,
             " wraps around more than once (size ", size, ", input ", shape_str(in), ")");
      const int64_t kept = size - (l < 0 ? -l : 0) - (r < 0 ? -r : 0);
      KCHECK(kept > 0, op, ": circular padding (", l, ", ", r, ") of dim ", d, " crops away all of its ",
             size, " elements (input ", shape_str(in), ")");
    }
    if (mode == PadMode::Constant) {
      // Negative pads crop before positive ones pad (torch's order): (-5, 1) cannot crop 5 of 4.
      const int64_t cropped = size + std::min<int64_t>(l, 0) + std::min<int64_t>(r, 0);
      KCHECK(cropped >= 0, op, ": padding (", l, ", ", r, ") of dim ", d, " crops ",
             -std::min<int64_t>(l, 0) - std::min<int64_t>(r, 0), " elements from a dim of size ", size,
             " (input ", shape_str(in), ")");
      KCHECK(g.out[d] >= 0, op, ": padding (", l, ", ", r, ") of dim ", d, " gives a negative size ",
             g.out[d], " (input ", shape_str(in), ")");
    }
    else
      KCHECK(g.out[d] >= 1, op, ": padding (", l, ", ", r, ") of dim ", d, " leaves no elements (size ",
             g.out[d], ", input ", shape_str(in), ")");
  }
  return g;
}

Ints out_shape(const PadGeom& g) { return Ints(g.out, g.out + g.D); }

Tensor run_forward(const char* op, const Tensor& input, const PadGeom& g) {
  Tensor out = Tensor::empty(out_shape(g), input.dtype, input.device());
  if (out.numel())
    KERNELS_ROUTE(input, op, pad_forward, input, g, out);
  return out;
}

}  // namespace

Tensor pad_forward(const Tensor& input, const Ints& pad, const std::string& mode,
                   const std::optional<double>& value) {
  const char* op = "pad";
  check_defined(op, input, "input");
  check_floating(op, input);
  PadGeom g = pad_geometry(op, input.shape, pad, mode);
  KCHECK(!value || g.mode == PadMode::Constant, op, ": mode '", mode, "' does not take a value (got ",
         *value, "); only 'constant' does");
  if (g.D == 0) return clone(input);  // a 0-d tensor with empty padding
  g.value = value ? *value : 0.0;
  return run_forward(op, input, g);
}

Tensor pad_backward(const Tensor& grad, const Ints& input_shape, const Ints& pad, const std::string& mode) {
  const char* op = "pad_backward";
  check_defined(op, grad, "grad");
  check_floating(op, grad);
  const PadGeom g = pad_geometry(op, input_shape, pad, mode);
  KCHECK(grad.shape == out_shape(g), op, ": grad must have the output's shape ", shape_str(out_shape(g)),
         ", got ", shape_str(grad.shape));
  if (g.D == 0) return clone(grad);
  if (g.mode == PadMode::Constant) {
    // The gradient of a constant pad is the opposite crop (zeros where the forward cropped).
    PadGeom c = g;
    for (int d = 0; d < g.D; ++d) {
      c.in[d] = g.out[d];
      c.out[d] = g.in[d];
      c.before[d] = -g.before[d];
      c.after[d] = -g.after[d];
    }
    c.value = 0;
    return run_forward(op, grad, c);
  }
  Tensor dx = Tensor::empty(input_shape, grad.dtype, grad.device());
  if (grad.is_cuda()) check_deterministic_allowed(op, "of reflect/replicate/circular padding");
  if (dx.numel())
    KERNELS_ROUTE(grad, op, pad_backward, grad, g, dx);
  return dx;
}

}  // namespace kernels
