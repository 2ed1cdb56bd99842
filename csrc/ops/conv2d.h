// Convolutions: check the arguments once, build the geometry (ConvGeom, csrc/contracts/conv2d.h),
// allocate the outputs and route by device. Layouts as torch: NCHW input, OIHW weight.
//
// conv2d:  input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O) -> (N, O, OH, OW)
//   stride, dilation: 2 entries (h, w); padding: 2 entries (h, w), symmetric, or 4 entries
//   (top, bottom, left, right) for torch's asymmetric padding='same' (the Python layer turns the
//   'same' / 'valid' strings into numbers). OH = (H + top + bottom - dh*(kH-1) - 1) / sh + 1.
// conv1d:  input (N, C, L), weight (O, C/groups, k), bias (O) -> (N, O, OL); stride and dilation
//   1 entry, padding 1 (symmetric) or 2 (left, right). Runs as conv2d on (N, C, 1, L) views.
// conv_transpose2d: input (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW), bias (C_out) ->
//   (N, C_out, OH, OW), OH = (H - 1)*sh - 2*ph + dh*(kH - 1) + output_padding_h + 1 (padding may
//   also be given per side as for conv2d). conv_transpose1d likewise on (N, C, 1, L) views.
// Backward functions return (dinput, dweight, dbias) for the entries of output_mask that are
// true (dbias only when has_bias).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../common/tensor.h"

namespace kernels {

using ConvGrads = std::tuple<std::optional<Tensor>, std::optional<Tensor>, std::optional<Tensor>>;

Tensor conv2d_forward(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                      const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                      const std::vector<int64_t>& dilation, int64_t groups);
ConvGrads conv2d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, int64_t groups, bool has_bias,
                          const std::vector<bool>& output_mask);

// The CPU path each direction of this conv2d (or conv1d, for 3-D input) would take now
// (csrc/cpu/conv2d_plan.h): {"forward", "input_grad", "weight_grad"} -> path name, plus the image
// walk ("images_per_gemm", "chunks", "threads"). Checks the arguments as conv2d_forward does.
std::map<std::string, std::string> conv2d_plan(const Tensor& input, const Tensor& weight,
                                               const std::vector<int64_t>& stride,
                                               const std::vector<int64_t>& padding,
                                               const std::vector<int64_t>& dilation, int64_t groups);
// Tests: prefer path `name` wherever it applies ("" for the normal choice); returns the previous.
std::string set_conv2d_path_override(const std::string& name);

Tensor conv1d_forward(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                      const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                      const std::vector<int64_t>& dilation, int64_t groups);
ConvGrads conv1d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, int64_t groups, bool has_bias,
                          const std::vector<bool>& output_mask);

Tensor conv_transpose2d_forward(const Tensor& input, const Tensor& weight,
                                const std::optional<Tensor>& bias, const std::vector<int64_t>& stride,
                                const std::vector<int64_t>& padding,
                                const std::vector<int64_t>& output_padding, int64_t groups,
                                const std::vector<int64_t>& dilation);
ConvGrads conv_transpose2d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                    const std::vector<int64_t>& stride,
                                    const std::vector<int64_t>& padding,
                                    const std::vector<int64_t>& output_padding, int64_t groups,
                                    const std::vector<int64_t>& dilation, bool has_bias,
                                    const std::vector<bool>& output_mask);

Tensor conv_transpose1d_forward(const Tensor& input, const Tensor& weight,
                                const std::optional<Tensor>& bias, const std::vector<int64_t>& stride,
                                const std::vector<int64_t>& padding,
                                const std::vector<int64_t>& output_padding, int64_t groups,
                                const std::vector<int64_t>& dilation);
ConvGrads conv_transpose1d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                    const std::vector<int64_t>& stride,
                                    const std::vector<int64_t>& padding,
                                    const std::vector<int64_t>& output_padding, int64_t groups,
                                    const std::vector<int64_t>& dilation, bool has_bias,
                                    const std::vector<bool>& output_mask);

}  // namespace kernels
