// Reductions: argument checks, the (outer, R, inner) plan, and routing to the CPU/CUDA kernels.
//
// Plan: size-1 dims are ignored; when the remaining reduced dims are adjacent, x is already a
// contiguous (outer, R, inner) block. Otherwise x is materialised with its kept dims first and its
// reduced dims last (strided_copy_forward), giving (outer, R, 1); gradients computed in that order
// are scattered back with strided_copy_backward. Outputs are (outer, inner) in both cases, i.e. the
// kept dims in their original order.
#include "reduce.h"

#include <algorithm>

#include "../common/arg_checks.h"
#include "../common/cuda_backend.h"
#include "../common/dispatch.h"
#include "../contracts/reduce.h"
#include "copy.h"

namespace kernels {

namespace {

struct ReducePlan {
  ReduceGeom g;
  std::vector<int64_t> input_shape;
  std::vector<int64_t> out_shape;
  std::vector<bool> reduced;  // per input dim
  bool permute = false;
  std::vector<int64_t> perm_sizes, perm_strides;  // kept dims then reduced dims
};


ReducePlan make_plan(const char* op, const std::vector<int64_t>& shape,
                     const std::vector<int64_t>& dims, bool keepdim) {
  ReducePlan p;
  p.input_shape = shape;
  const int nd = static_cast<int>(shape.size());
  for (auto s : shape) KCHECK(s >= 0, op, ": negative size in input shape ", shape_str(shape));
  p.reduced.assign(nd, dims.empty());
  std::vector<bool> seen(std::max(nd, 1), false);
  for (int64_t d : dims) {
    const int w = wrap_dim(d, nd, op);
    KCHECK(!seen[w], op, ": dim ", w, " appears multiple times in the list of dims ", shape_str(dims));
    seen[w] = true;
    if (nd) p.reduced[w] = true;
  }
  if (nd == 0) return p;  // a 0-d tensor reduces to itself: (1, 1, 1), output shape ()

  for (int d = 0; d < nd; ++d) {
    if (!p.reduced[d]) p.out_shape.push_back(shape[d]);
    else if (keepdim) p.out_shape.push_back(1);
  }
  // Dims of size 1 do not affect the layout; check whether the others that are reduced are adjacent.
  std::vector<int> nz;
  for (int d = 0; d < nd; ++d)
    if (shape[d] != 1) nz.push_back(d);
  int first = -1, last = -1, count = 0;
  for (int k = 0; k < static_cast<int>(nz.size()); ++k) {
    if (!p.reduced[nz[k]]) continue;
    if (first < 0) first = k;
    last = k;
    ++count;
  }
  if (count == 0) {
    p.g.outer = numel_of(shape);
    p.g.R = 1;
    p.g.inner = 1;
  } else if (last - first + 1 == count) {
    p.g.outer = p.g.R = p.g.inner = 1;
    for (int k = 0; k < static_cast<int>(nz.size()); ++k) {
      const int64_t s = shape[nz[k]];
      (k < first ? p.g.outer : k <= last ? p.g.R : p.g.inner) *= s;
    }
  } else {
    p.permute = true;
    std::vector<int64_t> strides(nd);
    int64_t st = 1;
    for (int d = nd - 1; d >= 0; --d) {
      strides[d] = st;
      st *= shape[d];
    }
    p.g.outer = p.g.R = p.g.inner = 1;
    for (int pass = 0; pass < 2; ++pass) {
      for (int d = 0; d < nd; ++d) {
        if (p.reduced[d] != (pass == 1)) continue;
        p.perm_sizes.push_back(shape[d]);
        p.perm_strides.push_back(strides[d]);
        (pass ? p.g.R : p.g.outer) *= shape[d];
      }
    }
  }
  return p;
}

// x laid out as the plan's (outer, R, inner) block.
Tensor gather_input(const Tensor& x, const ReducePlan& p) {
  return p.permute ? strided_copy_forward(x, p.perm_sizes, p.perm_strides, 0) : x;
}

// A gradient buffer in the plan's block order, and its conversion back to the input's shape.
Tensor empty_block_grad(const ReducePlan& p, DType dtype, Device device) {
  return Tensor::empty(p.permute ? p.perm_sizes : p.input_shape, dtype, device);
}
Tensor scatter_grad(const Tensor& dblock, const ReducePlan& p) {
  return p.permute ? strided_copy_backward(dblock, p.input_shape, p.perm_strides, 0) : dblock;
}

void check_input(const char* op, const Tensor& x) { check_defined(op, x, "input"); }

// uint8/int8/int16/int32 have no reduction kernels: sum, max, min and the arg reductions run on an
// int64 copy (exact for every value; a sum is int64 as torch's).
Tensor widen(const Tensor& x) { return is_small_int(x.dtype) ? to_dtype(x, DType::Int64) : x; }
// max/min/amax/amin values back in the input's dtype (exact: they are elements of it).
Tensor narrow_back(const Tensor& values, DType dtype) {
  return values.dtype == dtype ? values : to_dtype(values, dtype);
}

void check_grad(const char* op, const Tensor& grad, const ReducePlan& p, DType dtype, Device device) {
  check_defined(op, grad, "grad");
  KCHECK_TYPE(is_floating(grad.dtype), op, ": grad must be float32 or float64, got ", grad.desc());
  KCHECK_TYPE(grad.dtype == dtype, op, ": grad is ", grad.desc(), " but the input is ",
              dtype_name(dtype));
  KCHECK_RUNTIME(grad.device() == device, op, ": expected all tensors on the same device, got grad ",
                 grad.desc(), " and input on ", device.str());
  KCHECK(grad.shape == p.out_shape, op, ": grad has shape ", shape_str(grad.shape),
         " but reducing input ", shape_str(p.input_shape), " gives ", shape_str(p.out_shape));
}

void check_nonempty_reduced(const char* op, const ReducePlan& p) {
  for (size_t d = 0; d < p.input_shape.size(); ++d)
    KCHECK_INDEX(!p.reduced[d] || p.input_shape[d] != 0, op, ": Expected reduction dim ", d,
                 " to have non-zero size, got input shape ", shape_str(p.input_shape));
}

Tensor sum_or_mean_backward(const char* op, const Tensor& grad, const std::vector<int64_t>& input_shape,
                            const std::vector<int64_t>& dims, bool keepdim, bool mean) {
  const ReducePlan p = make_plan(op, input_shape, dims, keepdim);
  check_grad(op, grad, p, grad.defined() ? grad.dtype : DType::Float32, grad.device());
  Tensor d = empty_block_grad(p, grad.dtype, grad.device());
  const double scale = mean ? 1.0 / static_cast<double>(p.g.R) : 1.0;
  if (d.numel())
    KERNELS_ROUTE(grad, op, sum_backward, grad, p.g, scale, d);
  return scatter_grad(d, p);
}

Tensor var_std_forward(const char* op, const Tensor& x, const std::vector<int64_t>& dims,
                       double correction, bool keepdim, bool take_sqrt) {
  check_input(op, x);
  KCHECK_TYPE(is_floating(x.dtype), op, ": only float32 and float64 inputs are supported, got ",
              x.desc());
  const ReducePlan p = make_plan(op, x.shape, dims, keepdim);
  Tensor out = Tensor::empty(p.out_shape, x.dtype, x.device());
  if (!out.numel()) return out;
  const Tensor xb = gather_input(x, p);
  KERNELS_ROUTE(x, op, var_forward, xb, p.g, correction, take_sqrt, out);
  return out;
}

Tensor var_std_backward(const char* op, const Tensor& grad, const Tensor& x, const Tensor& std_out,
                        const std::vector<int64_t>& dims, double correction, bool keepdim) {
  check_input(op, x);
  check_floating(op, x);
  const ReducePlan p = make_plan(op, x.shape, dims, keepdim);
  check_grad(op, grad, p, x.dtype, x.device());
  if (std_out.defined()) {
    check_same_device(op, std_out, x);
    check_same_dtype(op, std_out, x);
    KCHECK(std_out.shape == p.out_shape, op, ": out has shape ", shape_str(std_out.shape),
           " but expected ", shape_str(p.out_shape));
  }
  Tensor d = empty_block_grad(p, x.dtype, x.device());
  if (d.numel()) {
    const Tensor xb = gather_input(x, p);
    KERNELS_ROUTE(x, op, var_backward, grad, xb, std_out, p.g, correction, d);
  }
  return scatter_grad(d, p);
}

void run_extremum(const Tensor& xb, const ReduceGeom& g, bool is_max, Tensor& values, Tensor& indices) {
  if (is_max)
    KERNELS_ROUTE(xb, "max", max_forward, xb, g, values, indices);
  else
    KERNELS_ROUTE(xb, "min", min_forward, xb, g, values, indices);
}

std::tuple<Tensor, Tensor> max_min_forward(const char* op, const Tensor& x_in, int64_t dim,
                                           bool keepdim, bool is_max) {
  check_input(op, x_in);
  const Tensor x = widen(x_in);
  const ReducePlan p = make_plan(op, x.shape, {dim}, keepdim);
  check_nonempty_reduced(op, p);
  Tensor values = Tensor::empty(p.out_shape, x.dtype, x.device());
  Tensor indices = Tensor::empty(p.out_shape, DType::Int64, x.device());
  if (values.numel()) run_extremum(x, p.g, is_max, values, indices);
  return {narrow_back(values, x_in.dtype), indices};
}

Tensor max_min_backward(const char* op, const Tensor& grad, const Tensor& indices,
                        const std::vector<int64_t>& input_shape, int64_t dim, bool keepdim) {
  const ReducePlan p = make_plan(op, input_shape, {dim}, keepdim);
  check_grad(op, grad, p, grad.defined() ? grad.dtype : DType::Float32, grad.device());
  check_defined(op, indices, "indices");
  check_dtype(op, indices, DType::Int64, "indices");
  check_same_device(op, grad, indices);
  KCHECK(indices.shape == p.out_shape, op, ": indices have shape ", shape_str(indices.shape),
         " but grad has shape ", shape_str(grad.shape));
  {
    // CUDA indices are checked from a host copy (one small synchronising copy: an index out of
    // range must raise on every device, not be skipped).
    const Tensor host = indices.is_cuda() ? to_device(indices, Device{}) : indices;
    const int64_t* ip = host.data<int64_t>();
    for (int64_t k = 0; k < host.numel(); ++k)
      KCHECK_INDEX(ip[k] >= 0 && ip[k] < p.g.R, op, ": index ", ip[k], " is out of range for dim ",
                   dim, " of size ", p.g.R, " (input shape ", shape_str(input_shape), ")");
  }
  Tensor d = Tensor::empty(input_shape, grad.dtype, grad.device());
  if (d.numel())
    KERNELS_ROUTE(grad, op, index_backward, grad, indices, p.g, d);
  return d;
}

Tensor amax_amin_forward(const char* op, const Tensor& x_in, const std::vector<int64_t>& dims,
                         bool keepdim, bool is_max) {
  check_input(op, x_in);
  const Tensor x = widen(x_in);
  const ReducePlan p = make_plan(op, x.shape, dims, keepdim);
  check_nonempty_reduced(op, p);
  Tensor values = Tensor::empty(p.out_shape, x.dtype, x.device());
  if (!values.numel()) return narrow_back(values, x_in.dtype);
  Tensor none;
  run_extremum(gather_input(x, p), p.g, is_max, values, none);
  return narrow_back(values, x_in.dtype);
}

Tensor amax_amin_backward(const char* op, const Tensor& grad, const Tensor& x, const Tensor& out,
                          const std::vector<int64_t>& dims, bool keepdim, bool nan_ties) {
  check_input(op, x);
  check_floating(op, x);
  const ReducePlan p = make_plan(op, x.shape, dims, keepdim);
  check_grad(op, grad, p, x.dtype, x.device());
  check_defined(op, out, "out");
  check_same_device(op, out, x);
  check_same_dtype(op, out, x);
  KCHECK(out.shape == p.out_shape, op, ": out has shape ", shape_str(out.shape), " but expected ",
         shape_str(p.out_shape));
  Tensor d = empty_block_grad(p, x.dtype, x.device());
  if (d.numel()) {
    const Tensor xb = gather_input(x, p);
    KERNELS_ROUTE(x, op, extremum_backward, grad, xb, out, p.g, nan_ties, d);
  }
  return scatter_grad(d, p);
}

Tensor arg_forward(const char* op, const Tensor& x_in, std::optional<int64_t> dim, bool keepdim,
                   bool is_max) {
  check_input(op, x_in);
  const Tensor x = widen(x_in);
  KCHECK_TYPE(x.dtype != DType::Bool, op, ": bool input is not supported, got ", x.desc());
  ReducePlan p;
  if (dim) {
    p = make_plan(op, x.shape, {*dim}, keepdim);
    check_nonempty_reduced(op, p);
  } else {
    KCHECK_INDEX(x.numel() != 0, op, ": Expected reduction dim to be specified for input.numel() == 0 ",
                 "(input shape ", shape_str(x.shape), ")");
    p.g.outer = 1;
    p.g.R = x.numel();
    p.g.inner = 1;
    if (keepdim) p.out_shape.assign(x.shape.size(), 1);
  }
  Tensor indices = Tensor::empty(p.out_shape, DType::Int64, x.device());
  if (indices.numel()) {
    Tensor none;
    run_extremum(x, p.g, is_max, none, indices);
  }
  return indices;
}

}  // namespace

Tensor sum_forward(const Tensor& x_in, const std::vector<int64_t>& dims, bool keepdim) {
  check_input("sum", x_in);
  const Tensor x = widen(x_in);
  const ReducePlan p = make_plan("sum", x.shape, dims, keepdim);
  const DType odt = is_floating(x.dtype) ? x.dtype : DType::Int64;
  Tensor out = Tensor::empty(p.out_shape, odt, x.device());
  if (!out.numel()) return out;
  const Tensor xb = gather_input(x, p);
  KERNELS_ROUTE(x, "sum", sum_forward, xb, p.g, out);
  return out;
}

Tensor sum_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                    const std::vector<int64_t>& dims, bool keepdim) {
  return sum_or_mean_backward("sum_backward", grad, input_shape, dims, keepdim, false);
}

Tensor mean_forward(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_input("mean", x);
  KCHECK_TYPE(is_floating(x.dtype), "mean: could not infer output dtype; the input must be float32 ",
              "or float64, got ", x.desc());
  const ReducePlan p = make_plan("mean", x.shape, dims, keepdim);
  Tensor out = Tensor::empty(p.out_shape, x.dtype, x.device());
  if (!out.numel()) return out;
  const Tensor xb = gather_input(x, p);
  KERNELS_ROUTE(x, "mean", mean_forward, xb, p.g, out);
  return out;
}

Tensor mean_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                     const std::vector<int64_t>& dims, bool keepdim) {
  return sum_or_mean_backward("mean_backward", grad, input_shape, dims, keepdim, true);
}

Tensor var_forward(const Tensor& x, const std::vector<int64_t>& dims, double correction, bool keepdim) {
  return var_std_forward("var", x, dims, correction, keepdim, false);
}

Tensor var_backward(const Tensor& grad, const Tensor& x, const std::vector<int64_t>& dims,
                    double correction, bool keepdim) {
  return var_std_backward("var_backward", grad, x, Tensor(), dims, correction, keepdim);
}

Tensor std_forward(const Tensor& x, const std::vector<int64_t>& dims, double correction, bool keepdim) {
  return var_std_forward("std", x, dims, correction, keepdim, true);
}

Tensor std_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                    const std::vector<int64_t>& dims, double correction, bool keepdim) {
  check_defined("std_backward", out, "out");
  return var_std_backward("std_backward", grad, x, out, dims, correction, keepdim);
}

std::tuple<Tensor, Tensor> max_forward(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_forward("max", x, dim, keepdim, true);
}
Tensor max_backward(const Tensor& grad, const Tensor& indices, const std::vector<int64_t>& input_shape,
                    int64_t dim, bool keepdim) {
  return max_min_backward("max_backward", grad, indices, input_shape, dim, keepdim);
}
std::tuple<Tensor, Tensor> min_forward(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_forward("min", x, dim, keepdim, false);
}
Tensor min_backward(const Tensor& grad, const Tensor& indices, const std::vector<int64_t>& input_shape,
                    int64_t dim, bool keepdim) {
  return max_min_backward("min_backward", grad, indices, input_shape, dim, keepdim);
}

Tensor amax_forward(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return amax_amin_forward("amax", x, dims, keepdim, true);
}
Tensor amax_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                     const std::vector<int64_t>& dims, bool keepdim, bool nan_ties) {
  return amax_amin_backward("amax_backward", grad, x, out, dims, keepdim, nan_ties);
}
Tensor amin_forward(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return amax_amin_forward("amin", x, dims, keepdim, false);
}
Tensor amin_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                     const std::vector<int64_t>& dims, bool keepdim, bool nan_ties) {
  return amax_amin_backward("amin_backward", grad, x, out, dims, keepdim, nan_ties);
}

Tensor argmax_forward(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_forward("argmax", x, dim, keepdim, true);
}
Tensor argmin_forward(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_forward("argmin", x, dim, keepdim, false);
}

}  // namespace kernels
