// Convolutions: argument checks, geometry, output allocation and device routing. The shapes are
// in csrc/contracts/conv2d.h; the maths in csrc/cpu/conv2d.cpp. 1-D convolutions are 2-D ones of height 1: their
// tensors are viewed as (N, C, 1, L) and their parameters get a leading (height) entry of
// stride 1, dilation 1, padding 0. Messages always show the caller's own shapes.
#include "conv2d.h"

#include <string>

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../cpu/conv2d_plan.h"
#include "../contracts/conv2d.h"

namespace kernels {

namespace {

// Parameters of `nd` spatial dims, stored in slots 2 - nd .. 1 of two (height, width).
struct Params {
  int nd = 2;
  int64_t stride[2] = {1, 1}, dilation[2] = {1, 1};
  int64_t pad_lo[2] = {0, 0}, pad_hi[2] = {0, 0}, out_pad[2] = {0, 0};
  int64_t groups = 1;
  std::vector<int64_t> stride_v, padding_v, dilation_v, out_pad_v;  // as given, for messages
};

bool all_of(const std::vector<int64_t>& v, bool (*pred)(int64_t)) {
  for (int64_t x : v)
    if (!pred(x)) return false;
  return true;
}

Params parse_params(const char* op, int nd, const std::vector<int64_t>& stride,
                    const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                    int64_t groups, const std::vector<int64_t>* output_padding) {
  const size_t n = static_cast<size_t>(nd);
  KCHECK(stride.size() == n, op, ": stride must have ", nd, " entries, got ", shape_str(stride));
  KCHECK(dilation.size() == n, op, ": dilation must have ", nd, " entries, got ",
         shape_str(dilation));
  KCHECK(padding.size() == n || padding.size() == 2 * n, op, ": padding must have ", nd, " entries (or ",
         2 * nd, ": begin and end per dim), got ", shape_str(padding));
  KCHECK(all_of(stride, [](int64_t v) { return v > 0; }), op, ": stride must be positive, got ",
         shape_str(stride));
  KCHECK(all_of(dilation, [](int64_t v) { return v > 0; }), op, ": dilation must be positive, got ",
         shape_str(dilation));
  KCHECK(all_of(padding, [](int64_t v) { return v >= 0; }), op, ": padding must be non-negative, got ",
         shape_str(padding));
  KCHECK(groups > 0, op, ": groups must be positive, got ", groups);
  Params p;
  p.nd = nd;
  p.groups = groups;
  p.stride_v = stride;
  p.padding_v = padding;
  p.dilation_v = dilation;
  for (int k = 0; k < nd; ++k) {
    const int s = 2 - nd + k;
    p.stride[s] = stride[k];
    p.dilation[s] = dilation[k];
    p.pad_lo[s] = padding.size() == n ? padding[k] : padding[2 * k];
    p.pad_hi[s] = padding.size() == n ? padding[k] : padding[2 * k + 1];
  }
  if (output_padding) {
    const auto& op_v = *output_padding;
    p.out_pad_v = op_v;
    KCHECK(op_v.size() == n, op, ": output_padding must have ", nd, " entries, got ", shape_str(op_v));
    KCHECK(all_of(op_v, [](int64_t v) { return v >= 0; }), op,
           ": output_padding must be non-negative, got ", shape_str(op_v));
    for (int k = 0; k < nd; ++k) {
      KCHECK(op_v[k] < stride[k] || op_v[k] < dilation[k], op, ": output_padding ", shape_str(op_v),
             " must be smaller than either stride ", shape_str(stride), " or dilation ",
             shape_str(dilation), " in every dim");
      p.out_pad[2 - nd + k] = op_v[k];
    }
  }
  return p;
}

const char* input_layout(int nd) { return nd == 2 ? "(N, C, H, W)" : "(N, C, L)"; }

// Tensors, ranks, dtypes and devices shared by every conv entry point.
void check_tensors(const char* op, int nd, const Tensor& input, const Tensor& weight,
                   const Tensor* bias, const char* weight_layout) {
  check_defined(op, input, "input");
  check_defined(op, weight, "weight");
  check_floating(op, input);
  check_same_dtype(op, input, weight);
  check_same_device(op, input, weight);
  if (bias) {
    check_same_dtype(op, input, *bias);
    check_same_device(op, input, *bias);
  }
  KCHECK(input.dim() == nd + 2, op, ": expected a ", nd + 2, "-D input ", input_layout(nd),
         ", got shape ", shape_str(input.shape));
  KCHECK(weight.dim() == nd + 2, op, ": expected a ", nd + 2, "-D weight ", weight_layout,
         ", got shape ", shape_str(weight.shape));
  for (int d = 1; d < input.dim(); ++d)
    KCHECK(input.shape[d] > 0, op, ": input ", shape_str(input.shape),
           " must have non-zero channel and spatial sizes");
  for (int d = 2; d < weight.dim(); ++d)
    KCHECK(weight.shape[d] > 0, op, ": weight ", shape_str(weight.shape),
           " must have a non-zero kernel size");
}

// Spatial sizes of a tensor of `nd` spatial dims, as (height, width) with height 1 for 1-D.
void spatial(const Tensor& t, int nd, int64_t& h, int64_t& w) {
  h = nd == 2 ? t.shape[2] : 1;
  w = t.shape.back();
}

std::vector<int64_t> spatial_vec(const Tensor& t) {
  return std::vector<int64_t>(t.shape.begin() + 2, t.shape.end());
}

// (N, C, H, W) view of a tensor with `nd` spatial dims.
Tensor as4d(const Tensor& t, int nd) {
  if (nd == 2) return t;
  return t.view({t.shape[0], t.shape[1], 1, t.shape[2]});
}

std::vector<int64_t> out_shape(int nd, int64_t N, int64_t C, int64_t H, int64_t W) {
  if (nd == 2) return {N, C, H, W};
  return {N, C, W};
}

// conv: x = input, w = weight (O, C/G, k...), y = output.
ConvGeom conv_geom(const char* op, const Params& p, const Tensor& input, const Tensor& weight,
                   const Tensor* bias) {
  const int nd = p.nd;
  check_tensors(op, nd, input, weight, bias,
                nd == 2 ? "(out_channels, in_channels/groups, kH, kW)" : "(out_channels, in_channels/groups, kW)");
  ConvGeom g;
  g.G = p.groups;
  g.N = input.shape[0];
  g.C = input.shape[1];
  g.O = weight.shape[0];
  const int64_t Cg = weight.shape[1];
  KCHECK(g.O % g.G == 0, op, ": groups=", g.G, " must divide out_channels=", g.O, " (weight ",
         shape_str(weight.shape), ")");
  KCHECK(g.C % g.G == 0, op, ": groups=", g.G, " must divide in_channels=", g.C, " (input ",
         shape_str(input.shape), ")");
  KCHECK(g.C == Cg * g.G, op, ": input ", shape_str(input.shape), " has ", g.C, " channels but weight ",
         shape_str(weight.shape), " expects ", Cg * g.G, " (groups=", g.G, ")");
  if (bias)
    KCHECK(bias->dim() == 1 && bias->shape[0] == g.O, op, ": bias ", shape_str(bias->shape),
           " must be 1-D with out_channels=", g.O, " entries (weight ", shape_str(weight.shape), ")");
  spatial(input, nd, g.H, g.W);
  spatial(weight, nd, g.kH, g.kW);
  const int64_t in[2] = {g.H, g.W}, k[2] = {g.kH, g.kW};
  int64_t out[2];
  for (int s = 0; s < 2; ++s) {
    const int64_t span = p.dilation[s] * (k[s] - 1) + 1;
    const int64_t padded = in[s] + p.pad_lo[s] + p.pad_hi[s];
    KCHECK(padded >= span, op, ": the kernel ", shape_str(spatial_vec(weight)), " with dilation ",
           shape_str(p.dilation_v), " is larger than the padded input (input ", shape_str(input.shape),
           ", padding ", shape_str(p.padding_v), "), so the output would be empty");
    out[s] = (padded - span) / p.stride[s] + 1;
  }
  g.OH = out[0];
  g.OW = out[1];
  g.sh = p.stride[0];
  g.sw = p.stride[1];
  g.ph = p.pad_lo[0];
  g.pw = p.pad_lo[1];
  g.dh = p.dilation[0];
  g.dw = p.dilation[1];
  return g;
}

// conv_transpose: input (N, C_in, ...) is the matching conv's output y, weight
// (C_in, C_out/G, k...) its weight, and the result (N, C_out, ...) its input x.
ConvGeom transpose_geom(const char* op, const Params& p, const Tensor& input, const Tensor& weight,
                        const Tensor* bias) {
  const int nd = p.nd;
  check_tensors(op, nd, input, weight, bias,
                nd == 2 ? "(in_channels, out_channels/groups, kH, kW)" : "(in_channels, out_channels/groups, kW)");
  ConvGeom g;
  g.G = p.groups;
  g.N = input.shape[0];
  g.O = input.shape[1];
  KCHECK(g.O == weight.shape[0], op, ": input ", shape_str(input.shape), " has ", g.O,
         " channels but weight ", shape_str(weight.shape), " expects ", weight.shape[0],
         " (weight is (in_channels, out_channels/groups, ...))");
  KCHECK(g.O % g.G == 0, op, ": groups=", g.G, " must divide in_channels=", g.O, " (input ",
         shape_str(input.shape), ")");
  g.C = weight.shape[1] * g.G;
  if (bias)
    KCHECK(bias->dim() == 1 && bias->shape[0] == g.C, op, ": bias ", shape_str(bias->shape),
           " must be 1-D with out_channels=", g.C, " entries (weight ", shape_str(weight.shape),
           ", groups=", g.G, ")");
  spatial(input, nd, g.OH, g.OW);
  spatial(weight, nd, g.kH, g.kW);
  const int64_t in[2] = {g.OH, g.OW}, k[2] = {g.kH, g.kW};
  int64_t out[2];
  for (int s = 0; s < 2; ++s)
    out[s] = (in[s] - 1) * p.stride[s] - p.pad_lo[s] - p.pad_hi[s] + p.dilation[s] * (k[s] - 1) +
             p.out_pad[s] + 1;
  for (int s = 2 - nd; s < 2; ++s)
    KCHECK(out[s] > 0, op, ": the output size would be ",
           shape_str(std::vector<int64_t>(out + 2 - nd, out + 2)), ", which is not positive (input ",
           shape_str(input.shape), ", weight ", shape_str(weight.shape), ", stride ",
           shape_str(p.stride_v), ", padding ", shape_str(p.padding_v), ", output_padding ",
           shape_str(p.out_pad_v), ", dilation ", shape_str(p.dilation_v), ")");
  g.H = out[0];
  g.W = out[1];
  g.sh = p.stride[0];
  g.sw = p.stride[1];
  g.ph = p.pad_lo[0];
  g.pw = p.pad_lo[1];
  g.dh = p.dilation[0];
  g.dw = p.dilation[1];
  return g;
}

void check_grad(const char* op, const Tensor& grad, const Tensor& input,
                const std::vector<int64_t>& want) {
  check_defined(op, grad, "grad");
  check_same_dtype(op, grad, input);
  check_same_device(op, grad, input);
  KCHECK(grad.shape == want, op, ": grad ", shape_str(grad.shape),
         " does not match the output shape ", shape_str(want));
}

struct GradOuts {
  Tensor dinput, dweight, dbias;
  ConvGrads result() const {
    std::optional<Tensor> a, b, c;
    if (dinput.defined()) a = dinput;
    if (dweight.defined()) b = dweight;
    if (dbias.defined()) c = dbias;
    return {a, b, c};
  }
};

GradOuts alloc_grads(const char* op, const Tensor& input, const Tensor& weight, int64_t bias_size,
                     bool has_bias, const std::vector<bool>& mask) {
  KCHECK(mask.size() == 3, op, ": output_mask must have 3 entries, got ", mask.size());
  GradOuts r;
  if (mask[0]) r.dinput = Tensor::empty(input.shape, input.dtype, input.device());
  if (mask[1]) r.dweight = Tensor::empty(weight.shape, input.dtype, input.device());
  if (has_bias && mask[2]) r.dbias = Tensor::empty({bias_size}, input.dtype, input.device());
  return r;
}

Tensor run_or_skip(const Tensor& t, int nd) {
  return t.defined() && t.numel() > 0 ? as4d(t, nd) : Tensor();
}

Tensor conv_forward(const char* op, int nd, const Tensor& input, const Tensor& weight,
                    const std::optional<Tensor>& bias, const std::vector<int64_t>& stride,
                    const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                    int64_t groups) {
  const Params p = parse_params(op, nd, stride, padding, dilation, groups, nullptr);
  const Tensor b = bias ? *bias : Tensor();
  const ConvGeom g = conv_geom(op, p, input, weight, b.defined() ? &b : nullptr);
  Tensor y = Tensor::empty(out_shape(nd, g.N, g.O, g.OH, g.OW), input.dtype, input.device());
  if (y.numel() == 0) return y;
  const Tensor x4 = as4d(input, nd), w4 = as4d(weight, nd);
  Tensor y4 = as4d(y, nd);
  KERNELS_ROUTE(input, op, conv2d_forward, g, x4, w4, b, y4);
  return y;
}

ConvGrads conv_backward(const char* op, int nd, const Tensor& grad, const Tensor& input,
                        const Tensor& weight, const std::vector<int64_t>& stride,
                        const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                        int64_t groups, bool has_bias, const std::vector<bool>& output_mask) {
  const Params p = parse_params(op, nd, stride, padding, dilation, groups, nullptr);
  const ConvGeom g = conv_geom(op, p, input, weight, nullptr);
  check_grad(op, grad, input, out_shape(nd, g.N, g.O, g.OH, g.OW));
  GradOuts r = alloc_grads(op, input, weight, g.O, has_bias, output_mask);
  Tensor dx = run_or_skip(r.dinput, nd), dw = run_or_skip(r.dweight, nd), db = r.dbias;
  if (dx.defined() || dw.defined() || db.defined()) {
    const Tensor dy4 = as4d(grad, nd), x4 = as4d(input, nd), w4 = as4d(weight, nd);
    KERNELS_ROUTE(input, op, conv2d_backward, g, dy4, x4, w4, dx, dw, db);
  }
  return r.result();
}

Tensor transpose_forward(const char* op, int nd, const Tensor& input, const Tensor& weight,
                         const std::optional<Tensor>& bias, const std::vector<int64_t>& stride,
                         const std::vector<int64_t>& padding,
                         const std::vector<int64_t>& output_padding, int64_t groups,
                         const std::vector<int64_t>& dilation) {
  const Params p = parse_params(op, nd, stride, padding, dilation, groups, &output_padding);
  const Tensor b = bias ? *bias : Tensor();
  const ConvGeom g = transpose_geom(op, p, input, weight, b.defined() ? &b : nullptr);
  Tensor out = Tensor::empty(out_shape(nd, g.N, g.C, g.H, g.W), input.dtype, input.device());
  if (out.numel() == 0) return out;
  const Tensor x4 = as4d(input, nd), w4 = as4d(weight, nd);
  Tensor o4 = as4d(out, nd);
  KERNELS_ROUTE(input, op, conv_transpose2d_forward, g, x4, w4, b, o4);
  return out;
}

ConvGrads transpose_backward(const char* op, int nd, const Tensor& grad, const Tensor& input,
                             const Tensor& weight, const std::vector<int64_t>& stride,
                             const std::vector<int64_t>& padding,
                             const std::vector<int64_t>& output_padding, int64_t groups,
                             const std::vector<int64_t>& dilation, bool has_bias,
                             const std::vector<bool>& output_mask) {
  const Params p = parse_params(op, nd, stride, padding, dilation, groups, &output_padding);
  const ConvGeom g = transpose_geom(op, p, input, weight, nullptr);
  check_grad(op, grad, input, out_shape(nd, g.N, g.C, g.H, g.W));
  GradOuts r = alloc_grads(op, input, weight, g.C, has_bias, output_mask);
  Tensor dx = run_or_skip(r.dinput, nd), dw = run_or_skip(r.dweight, nd), db = r.dbias;
  if (dx.defined() || dw.defined() || db.defined()) {
    const Tensor dout4 = as4d(grad, nd), x4 = as4d(input, nd), w4 = as4d(weight, nd);
    KERNELS_ROUTE(input, op, conv_transpose2d_backward, g, dout4, x4, w4, dx, dw, db);
  }
  return r.result();
}

}  // namespace

std::map<std::string, std::string> conv2d_plan(const Tensor& input, const Tensor& weight,
                                               const std::vector<int64_t>& stride,
                                               const std::vector<int64_t>& padding,
                                               const std::vector<int64_t>& dilation, int64_t groups) {
  const char* op = "conv2d_plan";
  const int nd = input.defined() && input.dim() == 3 ? 1 : 2;
  const Params p = parse_params(op, nd, stride, padding, dilation, groups, nullptr);
  const ConvGeom g = conv_geom(op, p, input, weight, nullptr);
  KCHECK(!input.is_cuda(), op, ": the plan names the CPU kernels; a CUDA tensor runs csrc/cuda/conv2d.cu");
  const cpu::ConvPlan plan = cpu::plan_conv2d(g, input.dtype == DType::Float32);
  return {{"forward", cpu::conv_path_name(plan.forward)},
          {"input_grad", cpu::conv_path_name(plan.input_grad)},
          {"weight_grad", cpu::conv_path_name(plan.weight_grad)},
          {"images_per_gemm", std::to_string(plan.walk.nb)},
          {"chunks", std::to_string(plan.walk.chunks)},
          {"threads", std::to_string(plan.walk.nt)}};
}

std::string set_conv2d_path_override(const std::string& name) {
  std::optional<cpu::ConvPath> path;
  if (!name.empty()) path = cpu::parse_conv_path(name);
  const auto prev = cpu::set_conv_path_override(path);
  return prev ? cpu::conv_path_name(*prev) : "";
}

Tensor conv2d_forward(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                      const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                      const std::vector<int64_t>& dilation, int64_t groups) {
  return conv_forward("conv2d", 2, input, weight, bias, stride, padding, dilation, groups);
}

ConvGrads conv2d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, int64_t groups, bool has_bias,
                          const std::vector<bool>& output_mask) {
  return conv_backward("conv2d_backward", 2, grad, input, weight, stride, padding, dilation, groups,
                       has_bias, output_mask);
}

Tensor conv1d_forward(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                      const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                      const std::vector<int64_t>& dilation, int64_t groups) {
  return conv_forward("conv1d", 1, input, weight, bias, stride, padding, dilation, groups);
}

ConvGrads conv1d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, int64_t groups, bool has_bias,
                          const std::vector<bool>& output_mask) {
  return conv_backward("conv1d_backward", 1, grad, input, weight, stride, padding, dilation, groups,
                       has_bias, output_mask);
}

Tensor conv_transpose2d_forward(const Tensor& input, const Tensor& weight,
                                const std::optional<Tensor>& bias, const std::vector<int64_t>& stride,
                                const std::vector<int64_t>& padding,
                                const std::vector<int64_t>& output_padding, int64_t groups,
                                const std::vector<int64_t>& dilation) {
  return transpose_forward("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation);
}

ConvGrads conv_transpose2d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                    const std::vector<int64_t>& stride,
                                    const std::vector<int64_t>& padding,
                                    const std::vector<int64_t>& output_padding, int64_t groups,
                                    const std::vector<int64_t>& dilation, bool has_bias,
                                    const std::vector<bool>& output_mask) {
  return transpose_backward("conv_transpose2d_backward", 2, grad, input, weight, stride, padding,
                            output_padding, groups, dilation, has_bias, output_mask);
}

Tensor conv_transpose1d_forward(const Tensor& input, const Tensor& weight,
                                const std::optional<Tensor>& bias, const std::vector<int64_t>& stride,
                                const std::vector<int64_t>& padding,
                                const std::vector<int64_t>& output_padding, int64_t groups,
                                const std::vector<int64_t>& dilation) {
  return transpose_forward("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation);
}

ConvGrads conv_transpose1d_backward(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                    const std::vector<int64_t>& stride,
                                    const std::vector<int64_t>& padding,
                                    const std::vector<int64_t>& output_padding, int64_t groups,
                                    const std::vector<int64_t>& dilation, bool has_bias,
                                    const std::vector<bool>& output_mask) {
  return transpose_backward("conv_transpose1d_backward", 1, grad, input, weight, stride, padding,
                            output_padding, groups, dilation, has_bias, output_mask);
}

}  // namespace kernels
