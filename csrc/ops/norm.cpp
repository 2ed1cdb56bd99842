#include "norm.h"

#include <cmath>
#include <string>

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/batch_norm.h"
#include "../contracts/layer_norm.h"

namespace kernels {

namespace {

void check_input(const char* op, const Tensor& input, int min_rank, const char* layout) {
  check_defined(op, input, "input");
  check_floating(op, input);
  KCHECK(input.dim() >= min_rank, op, ": input must have shape ", layout, ", got ", shape_str(input.shape));
  check_max_dims(op, input);
}

// An optional per-channel (or per-element) tensor: same device and dtype as the input, shape `want`.
Tensor optional_param(const char* op, const std::optional<Tensor>& t, const char* name, const Tensor& input,
                      const std::vector<int64_t>& want, const char* what) {
  if (!t || !t->defined()) return Tensor();
  check_same_device(op, input, *t);
  KCHECK_TYPE(t->dtype == input.dtype, op, ": ", name, " must have the input's dtype ",
              dtype_name(input.dtype), ", got ", t->desc());
  KCHECK(t->shape == want, op, ": ", name, " must have shape ", shape_str(want), " (", what, ") for input ",
         shape_str(input.shape), ", got ", shape_str(t->shape));
  return *t;
}

// A tensor the backward needs (grad or saved statistics): input's device and dtype, shape `want`.
void check_saved(const char* op, const Tensor& t, const char* name, const Tensor& input,
                 const std::vector<int64_t>& want) {
  check_defined(op, t, name);
  check_same_device(op, input, t);
  KCHECK_TYPE(t.dtype == input.dtype, op, ": ", name, " must have the input's dtype ", dtype_name(input.dtype),
              ", got ", t.desc());
  KCHECK(t.shape == want, op, ": ", name, " must have shape ", shape_str(want), " for input ",
         shape_str(input.shape), ", got ", shape_str(t.shape));
}

void check_mask(const char* op, const std::vector<bool>& mask) {
  KCHECK(mask.size() == 3, op, ": output_mask must have 3 entries (input, weight, bias), got ", mask.size());
}

BatchNormDims bn_dims(const Tensor& input) {
  BatchNormDims d;
  d.N = input.shape[0];
  d.C = input.shape[1];
  for (int i = 2; i < input.dim(); ++i) d.K *= input.shape[i];
  return d;
}

Tensor empty_like(const Tensor& t, const std::vector<int64_t>& shape) {
  return Tensor::empty(shape, t.dtype, t.device());
}

NormGrads wrap(const std::vector<bool>& mask, const Tensor& dx, const Tensor& dw, const Tensor& db) {
  std::optional<Tensor> a, b, c;
  if (mask[0]) a = dx;
  if (mask[1]) b = dw;
  if (mask[2]) c = db;
  return {a, b, c};
}

std::string chan_str(int64_t C) { return str_cat("C = ", C); }

}  // namespace

// ------------------------------------------------------------------------------- batch_norm

std::tuple<Tensor, Tensor, Tensor> batch_norm_forward(const Tensor& input,
                                                      const std::optional<Tensor>& weight,
                                                      const std::optional<Tensor>& bias,
                                                      const std::optional<Tensor>& running_mean,
                                                      const std::optional<Tensor>& running_var,
                                                      bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  check_input(op, input, 2, "(N, C, ...) with at least 2 dims");
  const BatchNormDims d = bn_dims(input);
  const std::vector<int64_t> cshape{d.C};
  const std::string what = chan_str(d.C);
  const Tensor w = optional_param(op, weight, "weight", input, cshape, what.c_str());
  const Tensor b = optional_param(op, bias, "bias", input, cshape, what.c_str());
  const Tensor rm = optional_param(op, running_mean, "running_mean", input, cshape, what.c_str());
  const Tensor rv = optional_param(op, running_var, "running_var", input, cshape, what.c_str());
  KCHECK(rm.defined() == rv.defined(), op, ": running_mean and running_var must both be given or both be None, got ",
         rm.defined() ? "running_mean only" : "running_var only");
  if (training && rm.defined()) {
    check_writable(op, rm);  // the running estimates are updated in place
    mark_written(rm);
    check_writable(op, rv);
    mark_written(rv);
  }
  KCHECK(training || rm.defined(), op,
         ": running_mean and running_var must be given in evaluation mode (training=False)");
  if (training) {
    KCHECK(d.N * d.K != 1, op, ": expected more than 1 value per channel when training, got input ",
           shape_str(input.shape));
    KCHECK(eps > 0, op, ": eps must be positive when training, got ", eps);
  } else {
    KCHECK(eps >= 0, op, ": eps must be non-negative, got ", eps);
  }
  KCHECK(std::isfinite(momentum), op, ": momentum must be a finite number, got ", momentum);
  Tensor out = empty_like(input, input.shape);
  Tensor save_mean = empty_like(input, cshape), save_invstd = empty_like(input, cshape);
  if (d.C == 0) return {out, save_mean, save_invstd};
  KERNELS_ROUTE(input, op, batch_norm_forward, input, w, b, rm, rv, training, momentum, eps, d, out, save_mean, save_invstd);
  return {out, save_mean, save_invstd};
}

NormGrads batch_norm_backward(const Tensor& grad, const Tensor& input,
                              const std::optional<Tensor>& weight, const Tensor& save_mean,
                              const Tensor& save_invstd, bool training,
                              const std::vector<bool>& output_mask) {
  const char* op = "batch_norm_backward";
  check_input(op, input, 2, "(N, C, ...) with at least 2 dims");
  check_mask(op, output_mask);
  const BatchNormDims d = bn_dims(input);
  const std::vector<int64_t> cshape{d.C};
  const std::string what = chan_str(d.C);
  const Tensor w = optional_param(op, weight, "weight", input, cshape, what.c_str());
  check_saved(op, grad, "grad", input, input.shape);
  check_saved(op, save_mean, "save_mean", input, cshape);
  check_saved(op, save_invstd, "save_invstd", input, cshape);
  Tensor dx, dw, db;
  if (output_mask[0]) dx = empty_like(input, input.shape);
  if (output_mask[1]) dw = empty_like(input, cshape);
  if (output_mask[2]) db = empty_like(input, cshape);
  if (d.C > 0 && (output_mask[0] || output_mask[1] || output_mask[2]))
    KERNELS_ROUTE(input, op, batch_norm_backward, grad, input, w, save_mean, save_invstd, training, d, dx, dw, db);
  return wrap(output_mask, dx, dw, db);
}

// ------------------------------------------------------------------------------- layer_norm

namespace {

RowNormDims ln_dims(const char* op, const Tensor& input, const std::vector<int64_t>& normalized_shape) {
  KCHECK(!normalized_shape.empty(), op, ": normalized_shape must have at least one dim, got ()");
  const int nd = static_cast<int>(normalized_shape.size());
  bool ok = input.dim() >= nd;
  for (int i = 0; ok && i < nd; ++i) ok = input.shape[input.dim() - nd + i] == normalized_shape[i];
  std::string trailing;
  for (int64_t v : normalized_shape) trailing += str_cat(", ", v);
  KCHECK(ok, op, ": normalized_shape ", shape_str(normalized_shape),
         " does not match the trailing dims of input ", shape_str(input.shape),
         "; expected input of shape (*", trailing, ")");
  RowNormDims d;
  d.S = numel_of(normalized_shape);
  d.R = d.S > 0 ? input.numel() / d.S : 1;
  for (int i = 0; d.S == 0 && i < input.dim() - nd; ++i) d.R *= input.shape[i];
  return d;
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> layer_norm_forward(const Tensor& input,
                                                      const std::vector<int64_t>& normalized_shape,
                                                      const std::optional<Tensor>& weight,
                                                      const std::optional<Tensor>& bias, double eps) {
  const char* op = "layer_norm";
  check_input(op, input, 1, "(*, normalized_shape)");
  const RowNormDims d = ln_dims(op, input, normalized_shape);
  const Tensor w = optional_param(op, weight, "weight", input, normalized_shape, "normalized_shape");
  const Tensor b = optional_param(op, bias, "bias", input, normalized_shape, "normalized_shape");
  KCHECK(eps >= 0, op, ": eps must be non-negative, got ", eps);
  Tensor out = empty_like(input, input.shape);
  Tensor mean = empty_like(input, {d.R}), rstd = empty_like(input, {d.R});
  if (d.R > 0)
    KERNELS_ROUTE(input, op, row_norm_forward, input, w, b, eps, d, out, mean, rstd);
  return {out, mean, rstd};
}

NormGrads layer_norm_backward(const Tensor& grad, const Tensor& input,
                              const std::vector<int64_t>& normalized_shape,
                              const std::optional<Tensor>& weight, const Tensor& mean,
                              const Tensor& rstd, const std::vector<bool>& output_mask) {
  const char* op = "layer_norm_backward";
  check_input(op, input, 1, "(*, normalized_shape)");
  check_mask(op, output_mask);
  const RowNormDims d = ln_dims(op, input, normalized_shape);
  const Tensor w = optional_param(op, weight, "weight", input, normalized_shape, "normalized_shape");
  check_saved(op, grad, "grad", input, input.shape);
  check_saved(op, mean, "mean", input, {d.R});
  check_saved(op, rstd, "rstd", input, {d.R});
  Tensor dx, dw, db;
  if (output_mask[0]) dx = empty_like(input, input.shape);
  if (output_mask[1]) dw = empty_like(input, normalized_shape);
  if (output_mask[2]) db = empty_like(input, normalized_shape);
  if (output_mask[0] || output_mask[1] || output_mask[2])
    KERNELS_ROUTE(input, op, row_norm_backward, grad, input, w, mean, rstd, d, dx, dw, db);
  return wrap(output_mask, dx, dw, db);
}

// ------------------------------------------------------------------------------- group_norm

namespace {

RowNormDims gn_dims(const char* op, const Tensor& input, int64_t G) {
  const int64_t N = input.shape[0], C = input.shape[1];
  KCHECK(G > 0, op, ": num_groups must be positive, got ", G);
  KCHECK(C % G == 0, op, ": num_groups ", G, " must divide the number of channels ", C, " of input ",
         shape_str(input.shape));
  RowNormDims d;
  d.G = G;
  d.R = N * G;
  d.S = C / G;
  for (int i = 2; i < input.dim(); ++i) d.L *= input.shape[i];
  return d;
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> group_norm_forward(const Tensor& input, int64_t num_groups,
                                                      const std::optional<Tensor>& weight,
                                                      const std::optional<Tensor>& bias, double eps) {
  const char* op = "group_norm";
  check_input(op, input, 2, "(N, C, ...) with at least 2 dims");
  const RowNormDims d = gn_dims(op, input, num_groups);
  const std::vector<int64_t> cshape{input.shape[1]};
  const std::string what = chan_str(input.shape[1]);
  const Tensor w = optional_param(op, weight, "weight", input, cshape, what.c_str());
  const Tensor b = optional_param(op, bias, "bias", input, cshape, what.c_str());
  KCHECK(eps >= 0, op, ": eps must be non-negative, got ", eps);
  Tensor out = empty_like(input, input.shape);
  Tensor mean = empty_like(input, {input.shape[0], num_groups});
  Tensor rstd = empty_like(input, {input.shape[0], num_groups});
  if (d.R > 0)
    KERNELS_ROUTE(input, op, row_norm_forward, input, w, b, eps, d, out, mean, rstd);
  return {out, mean, rstd};
}

NormGrads group_norm_backward(const Tensor& grad, const Tensor& input, int64_t num_groups,
                              const std::optional<Tensor>& weight, const Tensor& mean,
                              const Tensor& rstd, const std::vector<bool>& output_mask) {
  const char* op = "group_norm_backward";
  check_input(op, input, 2, "(N, C, ...) with at least 2 dims");
  check_mask(op, output_mask);
  const RowNormDims d = gn_dims(op, input, num_groups);
  const std::vector<int64_t> cshape{input.shape[1]};
  const std::string what = chan_str(input.shape[1]);
  const Tensor w = optional_param(op, weight, "weight", input, cshape, what.c_str());
  check_saved(op, grad, "grad", input, input.shape);
  check_saved(op, mean, "mean", input, {input.shape[0], num_groups});
  check_saved(op, rstd, "rstd", input, {input.shape[0], num_groups});
  Tensor dx, dw, db;
  if (output_mask[0]) dx = empty_like(input, input.shape);
  if (output_mask[1]) dw = empty_like(input, cshape);
  if (output_mask[2]) db = empty_like(input, cshape);
  // Also for an empty batch: the kernels then write zero weight and bias gradients.
  if (output_mask[0] || output_mask[1] || output_mask[2])
    KERNELS_ROUTE(input, op, row_norm_backward, grad, input, w, mean, rstd, d, dx, dw, db);
  return wrap(output_mask, dx, dw, db);
}

}  // namespace kernels
