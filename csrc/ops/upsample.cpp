#include "upsample.h"

#include <cmath>

#include "../common/arg_checks.h"
#include "../common/determinism.h"
#include "../common/dispatch.h"
#include "../contracts/upsample.h"

namespace kernels {

namespace {

using Ints = std::vector<int64_t>;

std::string scales_str(const std::vector<double>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + str_cat(v[i]);
  return s + ")";
}

// Checks a call on an input of shape `in` (rank sd + 2) and derives the geometry.
UpsampleGeom upsample_call(const char* op, int sd, const Ints& in, const Ints& output_size,
                           const std::vector<double>& scales, bool align_corners, Ints& out_shape) {
  const char* want = sd == 2 ? "4-D (N, C, H, W)" : "3-D (N, C, L)";
  KCHECK(static_cast<int>(in.size()) == sd + 2, op, ": input must be ", want, ", got shape ",
         shape_str(in));
  for (int d = 1; d < sd + 2; ++d)
    KCHECK(in[d] > 0, op, ": input ", shape_str(in), " has a zero-sized dimension (only N may be 0)");
  KCHECK(static_cast<int>(output_size.size()) == sd, op, ": output_size must have ", sd,
         " entries for input ", shape_str(in), ", got ", shape_str(output_size));
  for (int64_t o : output_size)
    KCHECK(o > 0, op, ": output size must be positive, got ", shape_str(output_size), " for input ",
           shape_str(in));
  KCHECK(scales.empty() || static_cast<int>(scales.size()) == sd, op, ": scale_factor must have ", sd,
         " entries, got ", scales_str(scales));
  for (double s : scales)
    KCHECK(std::isfinite(s) && s > 0, op, ": scale factors must be positive and finite, got ",
           scales_str(scales));
  UpsampleGeom g;
  g.P = in[0] * in[1];
  g.W = in[sd + 1];
  g.OW = output_size[sd - 1];
  if (sd == 2) {
    g.H = in[2];
    g.OH = output_size[0];
  }
  if (!scales.empty()) {
    g.scale_w = scales[sd - 1];
    if (sd == 2) g.scale_h = scales[0];
  }
  g.align_corners = align_corners;
  out_shape = {in[0], in[1]};
  out_shape.insert(out_shape.end(), output_size.begin(), output_size.end());
  return g;
}

enum class Mode { Nearest, Linear };

Tensor forward(const char* op, Mode mode, int sd, const Tensor& input, const Ints& output_size,
               bool align_corners, const std::vector<double>& scales) {
  check_defined(op, input, "input");
  check_floating(op, input);
  Ints out_shape;
  const UpsampleGeom g = upsample_call(op, sd, input.shape, output_size, scales, align_corners, out_shape);
  Tensor out = Tensor::empty(out_shape, input.dtype, input.device());
  if (!out.numel()) return out;
  if (mode == Mode::Nearest)
    KERNELS_ROUTE(input, op, upsample_nearest2d_forward, input, g, out);
  else
    KERNELS_ROUTE(input, op, upsample_bilinear2d_forward, input, g, out);
  return out;
}

Tensor backward(const char* op, Mode mode, int sd, const Tensor& grad, const Ints& input_shape,
                const Ints& output_size, bool align_corners, const std::vector<double>& scales) {
  check_defined(op, grad, "grad");
  check_floating(op, grad);
  Ints out_shape;
  const UpsampleGeom g = upsample_call(op, sd, input_shape, output_size, scales, align_corners, out_shape);
  KCHECK(grad.shape == out_shape, op, ": grad must have the output's shape ", shape_str(out_shape),
         ", got ", shape_str(grad.shape));
  Tensor dx = Tensor::empty(input_shape, grad.dtype, grad.device());
  if (!dx.numel()) return dx;
  if (mode == Mode::Nearest) {
    KERNELS_ROUTE(grad, op, upsample_nearest2d_backward, grad, g, dx);
  } else {
    if (grad.is_cuda()) check_deterministic_allowed(op, "of linear interpolation");
    KERNELS_ROUTE(grad, op, upsample_bilinear2d_backward, grad, g, dx);
  }
  return dx;
}

}  // namespace

Tensor upsample_nearest2d_forward(const Tensor& input, const Ints& output_size,
                                  const std::vector<double>& scales) {
  return forward("upsample_nearest2d", Mode::Nearest, 2, input, output_size, false, scales);
}
Tensor upsample_nearest2d_backward(const Tensor& grad, const Ints& input_shape, const Ints& output_size,
                                   const std::vector<double>& scales) {
  return backward("upsample_nearest2d_backward", Mode::Nearest, 2, grad, input_shape, output_size,
                  false, scales);
}
Tensor upsample_nearest1d_forward(const Tensor& input, const Ints& output_size,
                                  const std::vector<double>& scales) {
  return forward("upsample_nearest1d", Mode::Nearest, 1, input, output_size, false, scales);
}
Tensor upsample_nearest1d_backward(const Tensor& grad, const Ints& input_shape, const Ints& output_size,
                                   const std::vector<double>& scales) {
  return backward("upsample_nearest1d_backward", Mode::Nearest, 1, grad, input_shape, output_size,
                  false, scales);
}
Tensor upsample_bilinear2d_forward(const Tensor& input, const Ints& output_size, bool align_corners,
                                   const std::vector<double>& scales) {
  return forward("upsample_bilinear2d", Mode::Linear, 2, input, output_size, align_corners, scales);
}
Tensor upsample_bilinear2d_backward(const Tensor& grad, const Ints& input_shape, const Ints& output_size,
                                    bool align_corners, const std::vector<double>& scales) {
  return backward("upsample_bilinear2d_backward", Mode::Linear, 2, grad, input_shape, output_size,
                  align_corners, scales);
}
Tensor upsample_linear1d_forward(const Tensor& input, const Ints& output_size, bool align_corners,
                                 const std::vector<double>& scales) {
  return forward("upsample_linear1d", Mode::Linear, 1, input, output_size, align_corners, scales);
}
Tensor upsample_linear1d_backward(const Tensor& grad, const Ints& input_shape, const Ints& output_size,
                                  bool align_corners, const std::vector<double>& scales) {
  return backward("upsample_linear1d_backward", Mode::Linear, 1, grad, input_shape, output_size,
                  align_corners, scales);
}

}  // namespace kernels
