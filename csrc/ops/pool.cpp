#include "pool.h"

#include <cstdint>

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../common/pool_math.h"
#include "../contracts/pool.h"
#include "copy.h"

namespace kernels {

namespace {

using Ints = std::vector<int64_t>;

// (N, C, spatial...) or (C, spatial...) with sd spatial dims; every dim but N non-zero.
void check_pool_shape(const char* op, const Ints& shape, int sd) {
  const int r = static_cast<int>(shape.size());
  const char* want = sd == 2 ? "3-D (C, H, W) or 4-D (N, C, H, W)" : "2-D (C, L) or 3-D (N, C, L)";
  KCHECK(r == sd + 1 || r == sd + 2, op, ": input must be ", want, ", got shape ", shape_str(shape));
  for (int d = r == sd + 2 ? 1 : 0; d < r; ++d)
    KCHECK(shape[d] > 0, op, ": input ", shape_str(shape),
           " has a zero-sized dimension (only the batch dim may be 0)");
}

void check_pool_input(const char* op, const Tensor& input, int sd) {
  check_defined(op, input, "input");
  check_floating(op, input);
  check_pool_shape(op, input.shape, sd);
}

// One value per spatial dim from 1 or sd values.
Ints per_dim(const char* op, const char* name, const Ints& v, int sd) {
  KCHECK(v.size() == 1 || static_cast<int>(v.size()) == sd, op, ": ", name, " must be a single int",
         sd == 2 ? " or a tuple of two ints" : "", ", got ", shape_str(v));
  return v.size() == 1 ? Ints(sd, v[0]) : v;
}

// Planes and spatial size of a (batched or not) input; the 1-d ops see H = 1.
void planes_of(const Ints& shape, int sd, Pool2dGeom& g) {
  const int r = static_cast<int>(shape.size());
  g.P = 1;
  for (int d = 0; d < r - sd; ++d) g.P *= shape[d];
  g.H = sd == 2 ? shape[r - 2] : 1;
  g.W = shape[r - 1];
}

Ints output_shape(const Ints& in, int sd, const Pool2dGeom& g) {
  Ints out(in.begin(), in.end() - sd);
  if (sd == 2) out.push_back(g.OH);
  out.push_back(g.OW);
  return out;
}

struct PoolCall {
  Pool2dGeom g;
  Ints out_shape;
};

// Checks the window arguments against the input shape (torch's rules) and derives the geometry.
PoolCall pool_call(const char* op, const Ints& in, int sd, const Ints& kernel_size, const Ints& stride,
                   const Ints& padding, const Ints& dilation, bool ceil_mode) {
  check_pool_shape(op, in, sd);
  const Ints k = per_dim(op, "kernel_size", kernel_size, sd);
  const Ints s = stride.empty() ? k : per_dim(op, "stride", stride, sd);
  const Ints p = per_dim(op, "padding", padding, sd);
  const Ints d = per_dim(op, "dilation", dilation, sd);
  for (int i = 0; i < sd; ++i) {
    KCHECK(k[i] > 0, op, ": kernel_size must be positive, got ", shape_str(k));
    KCHECK(s[i] > 0, op, ": stride must be positive, got ", shape_str(s));
    KCHECK(d[i] > 0, op, ": dilation must be positive, got ", shape_str(d));
    KCHECK(p[i] >= 0, op, ": padding must be non-negative, got ", shape_str(p));
    KCHECK(p[i] <= k[i] / 2, op, ": padding ", shape_str(p), " must be at most half of kernel_size ",
           shape_str(k));
    // torch holds these in 32-bit ints; the bound also keeps the window arithmetic in range.
    constexpr int64_t kMax = INT32_MAX;
    KCHECK_RUNTIME(k[i] <= kMax && s[i] <= kMax && d[i] <= kMax, op, ": kernel_size ", shape_str(k),
                   ", stride ", shape_str(s), " and dilation ", shape_str(d),
                   " must each fit in 32 bits (at most ", kMax, ")");
  }
  PoolCall c;
  planes_of(in, sd, c.g);
  const int h = sd == 2 ? 0 : -1;  // index of the H parameters (none for 1-d)
  Pool2dGeom& g = c.g;
  if (h == 0) {
    g.kH = k[0], g.sH = s[0], g.pH = p[0], g.dH = d[0];
  }
  g.kW = k[sd - 1], g.sW = s[sd - 1], g.pW = p[sd - 1], g.dW = d[sd - 1];
  g.OH = pool_output_size(g.H, g.kH, g.sH, g.pH, g.dH, ceil_mode);
  g.OW = pool_output_size(g.W, g.kW, g.sW, g.pW, g.dW, ceil_mode);
  const Ints eff = sd == 2 ? Ints{g.dH * (g.kH - 1) + 1, g.dW * (g.kW - 1) + 1}
                           : Ints{g.dW * (g.kW - 1) + 1};
  const Ints padded = sd == 2 ? Ints{g.H + 2 * g.pH, g.W + 2 * g.pW} : Ints{g.W + 2 * g.pW};
  KCHECK(g.OH > 0 && g.OW > 0, op, ": input ", shape_str(in), " is too small: padded spatial size ",
         shape_str(padded), " is smaller than the dilated kernel ", shape_str(eff),
         " (kernel_size ", shape_str(k), ", dilation ", shape_str(d), ", padding ", shape_str(p),
         "), output size would be ", sd == 2 ? shape_str(Ints{g.OH, g.OW}) : shape_str(Ints{g.OW}));
  // With one output along an axis its stride is never used; 1 keeps the vector loops' phase
  // scratch (H * sW * Q values) the size of the plane.
  if (g.OH == 1) g.sH = 1;
  if (g.OW == 1) g.sW = 1;
  c.out_shape = output_shape(in, sd, g);
  return c;
}

// Does some window along one axis hold no input position (only padding)? That takes a dilation
// larger than the input; torch then outputs -inf with an index outside the window (which can
// alias another element), so max pooling rejects it.
bool has_empty_window(int64_t n, int64_t on, int64_t k, int64_t s, int64_t p, int64_t d) {
  for (int64_t o = 0; o < on; ++o) {
    const int64_t b = o * s - p;
    const int64_t j = b < 0 ? (-b + d - 1) / d : 0;  // first tap at or right of 0
    if (j >= k || b + j * d >= n) return true;
  }
  return false;
}

void check_max_windows(const char* op, const Ints& in, const Pool2dGeom& g) {
  const bool empty = has_empty_window(g.H, g.OH, g.kH, g.sH, g.pH, g.dH) ||
                     has_empty_window(g.W, g.OW, g.kW, g.sW, g.pW, g.dW);
  KCHECK(!empty, op, ": some pooling window of input ", shape_str(in),
         " covers only padding (dilation (", g.dH, ",", g.dW, ") is larger than the input with padding (",
         g.pH, ",", g.pW, ")); such a window has no maximum");
}

// Adaptive pooling: output_size per spatial dim, each >= 0.
PoolCall adaptive_call(const char* op, const Ints& in, int sd, const Ints& output_size) {
  check_pool_shape(op, in, sd);
  const Ints o = per_dim(op, "output_size", output_size, sd);
  for (int i = 0; i < sd; ++i)
    KCHECK(o[i] >= 0, op, ": output_size must be non-negative, got ", shape_str(o));
  PoolCall c;
  planes_of(in, sd, c.g);
  c.g.OH = sd == 2 ? o[0] : 1;
  c.g.OW = o[sd - 1];
  c.out_shape = output_shape(in, sd, c.g);
  return c;
}

void check_grad(const char* op, const Tensor& grad, const Ints& want) {
  check_defined(op, grad, "grad");
  check_floating(op, grad);
  KCHECK(grad.shape == want, op, ": grad must have the output's shape ", shape_str(want), ", got ",
         shape_str(grad.shape));
}

void check_indices(const char* op, const Tensor& indices, const Tensor& grad, const Ints& want) {
  check_defined(op, indices, "indices");
  check_dtype(op, indices, DType::Int64, "indices");
  check_same_device(op, grad, indices);
  KCHECK(indices.shape == want, op, ": indices must have the output's shape ", shape_str(want),
         ", got ", shape_str(indices.shape));
}

Tensor zeros(const Ints& shape, const Tensor& like) { return full(shape, 0.0, like.dtype, like.device()); }

// ---------------------------------------------------------------- shared bodies of 1-d and 2-d

std::tuple<Tensor, Tensor> max_pool_fwd(const char* op, int sd, const Tensor& input, const Ints& k,
                                        const Ints& s, const Ints& p, const Ints& d, bool ceil_mode) {
  check_pool_input(op, input, sd);
  const PoolCall c = pool_call(op, input.shape, sd, k, s, p, d, ceil_mode);
  check_max_windows(op, input.shape, c.g);
  Tensor out = Tensor::empty(c.out_shape, input.dtype, input.device());
  Tensor ind = Tensor::empty(c.out_shape, DType::Int64, input.device());
  if (out.numel())
    KERNELS_ROUTE(input, op, max_pool2d_forward, input, c.g, out, ind);
  return {out, ind};
}

Tensor max_pool_bwd(const char* op, int sd, const Tensor& grad, const Tensor& indices, const Ints& in,
                    const Ints& k, const Ints& s, const Ints& p, const Ints& d, bool ceil_mode) {
  const PoolCall c = pool_call(op, in, sd, k, s, p, d, ceil_mode);
  check_grad(op, grad, c.out_shape);
  check_indices(op, indices, grad, c.out_shape);
  Tensor dx = Tensor::empty(in, grad.dtype, grad.device());
  if (dx.numel())
    KERNELS_ROUTE(grad, op, max_pool2d_backward, grad, indices, c.g, dx);
  return dx;
}

// torch's None is std::nullopt; the kernels take 0 for it.
int64_t divisor_of(const char* op, const std::optional<int64_t>& divisor_override) {
  if (!divisor_override) return 0;
  KCHECK(*divisor_override != 0, op, ": divisor_override must be non-zero, got 0");
  return *divisor_override;
}

Tensor avg_pool_fwd(const char* op, int sd, const Tensor& input, const Ints& k, const Ints& s,
                    const Ints& p, bool ceil_mode, bool count_include_pad,
                    const std::optional<int64_t>& divisor_override) {
  check_pool_input(op, input, sd);
  const int64_t divisor = divisor_of(op, divisor_override);
  const PoolCall c = pool_call(op, input.shape, sd, k, s, p, {1}, ceil_mode);
  Tensor out = Tensor::empty(c.out_shape, input.dtype, input.device());
  if (out.numel())
    KERNELS_ROUTE(input, op, avg_pool2d_forward, input, c.g, count_include_pad, divisor, out);
  return out;
}

Tensor avg_pool_bwd(const char* op, int sd, const Tensor& grad, const Ints& in, const Ints& k,
                    const Ints& s, const Ints& p, bool ceil_mode, bool count_include_pad,
                    const std::optional<int64_t>& divisor_override) {
  const int64_t divisor = divisor_of(op, divisor_override);
  const PoolCall c = pool_call(op, in, sd, k, s, p, {1}, ceil_mode);
  check_grad(op, grad, c.out_shape);
  Tensor dx = Tensor::empty(in, grad.dtype, grad.device());
  if (dx.numel())
    KERNELS_ROUTE(grad, op, avg_pool2d_backward, grad, c.g, count_include_pad, divisor, dx);
  return dx;
}

Tensor adaptive_avg_fwd(const char* op, int sd, const Tensor& input, const Ints& output_size) {
  check_pool_input(op, input, sd);
  const PoolCall c = adaptive_call(op, input.shape, sd, output_size);
  Tensor out = Tensor::empty(c.out_shape, input.dtype, input.device());
  if (out.numel())
    KERNELS_ROUTE(input, op, adaptive_avg_pool2d_forward, input, c.g, out);
  return out;
}

// The output size comes from grad's shape (the trailing sd dims).
PoolCall adaptive_call_from_grad(const char* op, int sd, const Tensor& grad, const Ints& in) {
  check_defined(op, grad, "grad");
  KCHECK(grad.dim() == static_cast<int>(in.size()), op, ": grad ", shape_str(grad.shape),
         " and input ", shape_str(in), " must have the same rank");
  const Ints o(grad.shape.end() - sd, grad.shape.end());
  const PoolCall c = adaptive_call(op, in, sd, o);
  check_grad(op, grad, c.out_shape);
  return c;
}

Tensor adaptive_avg_bwd(const char* op, int sd, const Tensor& grad, const Ints& in) {
  const PoolCall c = adaptive_call_from_grad(op, sd, grad, in);
  if (grad.numel() == 0) return zeros(in, grad);
  Tensor dx = Tensor::empty(in, grad.dtype, grad.device());
  KERNELS_ROUTE(grad, op, adaptive_avg_pool2d_backward, grad, c.g, dx);
  return dx;
}

std::tuple<Tensor, Tensor> adaptive_max_fwd(const char* op, int sd, const Tensor& input,
                                            const Ints& output_size) {
  check_pool_input(op, input, sd);
  const PoolCall c = adaptive_call(op, input.shape, sd, output_size);
  Tensor out = Tensor::empty(c.out_shape, input.dtype, input.device());
  Tensor ind = Tensor::empty(c.out_shape, DType::Int64, input.device());
  if (out.numel())
    KERNELS_ROUTE(input, op, adaptive_max_pool2d_forward, input, c.g, out, ind);
  return {out, ind};
}

Tensor adaptive_max_bwd(const char* op, int sd, const Tensor& grad, const Tensor& indices,
                        const Ints& in) {
  const PoolCall c = adaptive_call_from_grad(op, sd, grad, in);
  check_indices(op, indices, grad, c.out_shape);
  if (grad.numel() == 0) return zeros(in, grad);
  Tensor dx = Tensor::empty(in, grad.dtype, grad.device());
  KERNELS_ROUTE(grad, op, adaptive_max_pool2d_backward, grad, indices, c.g, dx);
  return dx;
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_forward(const Tensor& input, const Ints& kernel_size,
                                              const Ints& stride, const Ints& padding,
                                              const Ints& dilation, bool ceil_mode) {
  return max_pool_fwd("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode);
}
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Ints& input_shape,
                           const Ints& kernel_size, const Ints& stride, const Ints& padding,
                           const Ints& dilation, bool ceil_mode) {
  return max_pool_bwd("max_pool2d_backward", 2, grad, indices, input_shape, kernel_size, stride,
                      padding, dilation, ceil_mode);
}
std::tuple<Tensor, Tensor> max_pool1d_forward(const Tensor& input, const Ints& kernel_size,
                                              const Ints& stride, const Ints& padding,
                                              const Ints& dilation, bool ceil_mode) {
  return max_pool_fwd("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode);
}
Tensor max_pool1d_backward(const Tensor& grad, const Tensor& indices, const Ints& input_shape,
                           const Ints& kernel_size, const Ints& stride, const Ints& padding,
                           const Ints& dilation, bool ceil_mode) {
  return max_pool_bwd("max_pool1d_backward", 1, grad, indices, input_shape, kernel_size, stride,
                      padding, dilation, ceil_mode);
}

Tensor avg_pool2d_forward(const Tensor& input, const Ints& kernel_size, const Ints& stride,
                          const Ints& padding, bool ceil_mode, bool count_include_pad,
                          const std::optional<int64_t>& divisor_override) {
  return avg_pool_fwd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override);
}
Tensor avg_pool2d_backward(const Tensor& grad, const Ints& input_shape, const Ints& kernel_size,
                           const Ints& stride, const Ints& padding, bool ceil_mode,
                           bool count_include_pad, const std::optional<int64_t>& divisor_override) {
  return avg_pool_bwd("avg_pool2d_backward", 2, grad, input_shape, kernel_size, stride, padding,
                      ceil_mode, count_include_pad, divisor_override);
}
Tensor avg_pool1d_forward(const Tensor& input, const Ints& kernel_size, const Ints& stride,
                          const Ints& padding, bool ceil_mode, bool count_include_pad) {
  return avg_pool_fwd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, std::nullopt);
}
Tensor avg_pool1d_backward(const Tensor& grad, const Ints& input_shape, const Ints& kernel_size,
                           const Ints& stride, const Ints& padding, bool ceil_mode,
                           bool count_include_pad) {
  return avg_pool_bwd("avg_pool1d_backward", 1, grad, input_shape, kernel_size, stride, padding,
                      ceil_mode, count_include_pad, std::nullopt);
}

Tensor adaptive_avg_pool2d_forward(const Tensor& input, const Ints& output_size) {
  return adaptive_avg_fwd("adaptive_avg_pool2d", 2, input, output_size);
}
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, const Ints& input_shape) {
  return adaptive_avg_bwd("adaptive_avg_pool2d_backward", 2, grad, input_shape);
}
Tensor adaptive_avg_pool1d_forward(const Tensor& input, const Ints& output_size) {
  return adaptive_avg_fwd("adaptive_avg_pool1d", 1, input, output_size);
}
Tensor adaptive_avg_pool1d_backward(const Tensor& grad, const Ints& input_shape) {
  return adaptive_avg_bwd("adaptive_avg_pool1d_backward", 1, grad, input_shape);
}
std::tuple<Tensor, Tensor> adaptive_max_pool2d_forward(const Tensor& input, const Ints& output_size) {
  return adaptive_max_fwd("adaptive_max_pool2d", 2, input, output_size);
}
Tensor adaptive_max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Ints& input_shape) {
  return adaptive_max_bwd("adaptive_max_pool2d_backward", 2, grad, indices, input_shape);
}
std::tuple<Tensor, Tensor> adaptive_max_pool1d_forward(const Tensor& input, const Ints& output_size) {
  return adaptive_max_fwd("adaptive_max_pool1d", 1, input, output_size);
}
Tensor adaptive_max_pool1d_backward(const Tensor& grad, const Tensor& indices, const Ints& input_shape) {
  return adaptive_max_bwd("adaptive_max_pool1d_backward", 1, grad, indices, input_shape);
}

}  // namespace kernels
