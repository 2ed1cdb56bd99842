// Argument checks and device routing for the shape and indexing family; the maths is in
// csrc/cpu/shape.cpp.
#include "shape.h"

#include <algorithm>
#include <cstring>

#include "../common/arg_checks.h"
#include "../common/cuda_backend.h"
#include "../common/dispatch.h"
#include "../common/strided.h"
#include "../contracts/shape.h"
#include "copy.h"

namespace kernels {

namespace {

int64_t prod(const std::vector<int64_t>& s, int b, int e) {
  int64_t p = 1;
  for (int i = b; i < e; ++i) p *= s[i];
  return p;
}

void check_index_tensor(const char* op, const Tensor& index, const Tensor& input) {
  check_defined(op, index, "index");
  KCHECK_TYPE(index.dtype == DType::Int64, op, ": index must be an int64 tensor, got ", index.desc());
  check_same_device(op, input, index);
}

void raise_fault(const IndexFault& f, const char* op, int64_t dim, int64_t size) {
  KCHECK_INDEX(!f.flag, op, ": index ", f.value, " is out of range for dim ", dim, " of size ", size);
}

bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.shape[0] == 0; }

// Positions (all coordinates of index_shape but `dim`) as layouts over index / a / b.
DimLoop make_dim_loop(const std::vector<int64_t>& index_shape, int dim, const std::vector<int64_t>& a_shape,
                      const std::vector<int64_t>& b_shape, const char* op) {
  DimLoop g;
  const auto si = contiguous_strides(index_shape), sa = contiguous_strides(a_shape),
             sb = contiguous_strides(b_shape);
  std::vector<int64_t> sizes, ti, ta, tb;
  for (int d = 0; d < static_cast<int>(index_shape.size()); ++d) {
    if (d == dim) continue;
    sizes.push_back(index_shape[d]);
    ti.push_back(si[d]);
    ta.push_back(sa[d]);
    tb.push_back(sb[d]);
  }
  g.outer = numel_of(sizes);
  g.k = index_shape[dim];
  g.index = make_layout(sizes, ti, 0, op);
  g.a = make_layout(sizes, ta, 0, op);
  g.b = make_layout(sizes, tb, 0, op);
  g.index_stride = si[dim];
  g.a_stride = sa[dim];
  g.b_stride = sb[dim];
  g.a_dim_size = a_shape[dim];
  return g;
}

// A 0-d tensor is handled as a 1-element 1-d one by gather / scatter_add, as in torch.
Tensor as_1d(const Tensor& t) { return t.dim() == 0 ? t.view({1}) : t; }

}  // namespace

// ---------------------------------------------------------------- cat / split

Tensor cat_forward(const std::vector<Tensor>& tensors, int64_t dim) {
  KCHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  // The reference tensor: the first that is not a legacy 1-D empty tensor.
  const Tensor* ref = nullptr;
  for (const auto& t : tensors) {
    check_defined("cat", t, "tensor");
    if (!ref && !is_legacy_empty(t)) ref = &t;
  }
  if (!ref) ref = &tensors[0];
  for (size_t i = 0; i < tensors.size(); ++i) {
    KCHECK(tensors[i].dim() > 0, "cat: zero-dimensional tensor (at position ", i,
           ") cannot be concatenated");
    check_same_device("cat", *ref, tensors[i]);
    KCHECK_TYPE(tensors[i].dtype == ref->dtype, "cat: expected tensors of the same dtype, got ",
                ref->desc(), " and ", tensors[i].desc(), " (at position ", i, ")");
  }
  check_max_dims("cat", *ref);
  const int d = wrap_dim(dim, ref->dim(), "cat");
  std::vector<Tensor> used;
  std::vector<int64_t> out_shape = ref->shape;
  out_shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (is_legacy_empty(t) && ref->dim() != 1) continue;
    bool ok = t.dim() == ref->dim();
    for (int j = 0; ok && j < t.dim(); ++j) ok = (j == d) || t.shape[j] == ref->shape[j];
    KCHECK(ok, "cat: sizes of tensors must match except in dim ", d, ", got ", shape_str(ref->shape),
           " and ", shape_str(t.shape), " (at position ", i, ")");
    out_shape[d] += t.shape[d];
    used.push_back(t);
  }
  Tensor out = Tensor::empty(out_shape, ref->dtype, ref->device());
  if (out.numel() == 0) return out;
  KERNELS_ROUTE(out, "cat", cat_forward, used, d, out);
  return out;
}

std::vector<Tensor> split_forward(const Tensor& input, const std::vector<int64_t>& sizes, int64_t dim) {
  check_defined("split", input, "input");
  if (!input.is_contiguous()) return split_forward(contiguous(input), sizes, dim);  // pieces by offset
  KCHECK(input.dim() > 0, "split: expected a tensor with at least one dim, got shape ",
         shape_str(input.shape));
  check_max_dims("split", input);
  const int d = wrap_dim(dim, input.dim(), "split");
  int64_t total = 0;
  for (auto s : sizes) {
    KCHECK(s >= 0, "split: split sizes must be non-negative, got ", shape_str(sizes));
    total += s;
  }
  KCHECK(total == input.shape[d], "split: split sizes ", shape_str(sizes), " sum to ", total,
         " but dim ", d, " of input ", shape_str(input.shape), " has size ", input.shape[d]);
  const int64_t outer = prod(input.shape, 0, d), inner = prod(input.shape, d + 1, input.dim());
  std::vector<Tensor> outs;
  outs.reserve(sizes.size());
  if (outer == 1) {
    // Each piece is a contiguous block of the input: share its memory.
    int64_t off = 0;
    for (auto s : sizes) {
      Tensor t = input;
      t.shape[d] = s;
      t.offset = input.offset + off * inner;
      off += s;
      outs.push_back(t);
    }
    return outs;
  }
  for (auto s : sizes) {
    std::vector<int64_t> shp = input.shape;
    shp[d] = s;
    outs.push_back(Tensor::empty(shp, input.dtype, input.device()));
  }
  if (input.numel() == 0) return outs;
  KERNELS_ROUTE(input, "split", split_forward, input, d, outs);
  return outs;
}

std::vector<Tensor> cat_backward(const Tensor& grad, const std::vector<int64_t>& sizes, int64_t dim) {
  return split_forward(grad, sizes, dim);
}

Tensor split_backward(const std::vector<Tensor>& grads, int64_t dim) { return cat_forward(grads, dim); }

// ---------------------------------------------------------------- index_select / index_add

static void check_index_select_args(const char* op, const Tensor& input, int64_t dim, const Tensor& index,
                                    int* d_out) {
  check_defined(op, input, "input");
  check_index_tensor(op, index, input);
  KCHECK(index.dim() <= 1, op, ": index must be 0-d or 1-d, got shape ", shape_str(index.shape));
  KCHECK(input.dim() > 0, op, ": input must have at least one dim, got shape ", shape_str(input.shape));
  *d_out = wrap_dim(dim, input.dim(), op);
}

Tensor index_select_forward(const Tensor& input, int64_t dim, const Tensor& index) {
  int d;
  check_index_select_args("index_select", input, dim, index, &d);
  std::vector<int64_t> shp = input.shape;
  shp[d] = index.numel();
  Tensor out = Tensor::empty(shp, input.dtype, input.device());
  if (out.numel() == 0) {
    // Nothing is read, but torch still rejects an index into an empty dim.
    KCHECK_INDEX(index.numel() == 0 || input.shape[d] > 0, "index_select: index out of range for dim ",
                 d, " of size 0 (input ", shape_str(input.shape), ")");
    return out;
  }
  const IndexFault f = KERNELS_ROUTE(input, "index_select", index_select_forward, input, d, index, out);
  raise_fault(f, "index_select", d, input.shape[d]);
  return out;
}

Tensor index_add_forward(const Tensor& input, int64_t dim, const Tensor& index, const Tensor& source,
                         double alpha) {
  int d;
  check_index_select_args("index_add", input, dim, index, &d);
  check_defined("index_add", source, "source");
  check_same_device("index_add", input, source);
  check_same_dtype("index_add", input, source);
  KCHECK_TYPE(input.dtype != DType::Bool, "index_add: bool tensors are not supported, got ", input.desc());
  std::vector<int64_t> want = input.shape;
  want[d] = index.numel();
  KCHECK(source.shape == want, "index_add: source ", shape_str(source.shape), " must have shape ",
         shape_str(want), " (input ", shape_str(input.shape), " with dim ", d, " of size index.numel()=",
         index.numel(), ")");
  Tensor out = clone(input);
  if (source.numel() == 0) return out;
  const IndexFault f = KERNELS_ROUTE(out, "index_add", index_add, out, d, index, source, alpha);
  raise_fault(f, "index_add", d, input.shape[d]);
  return out;
}

Tensor index_select_backward(const Tensor& grad, const std::vector<int64_t>& input_shape, int64_t dim,
                             const Tensor& index) {
  check_defined("index_select_backward", grad, "grad");
  Tensor zeros = full(input_shape, 0.0, grad.dtype, grad.device());
  return index_add_forward(zeros, dim, index, grad, 1.0);
}

// ---------------------------------------------------------------- gather / scatter_add

static int check_gather_like(const char* op, const Tensor& input, int64_t dim, const Tensor& index) {
  check_defined(op, input, "input");
  check_index_tensor(op, index, input);
  check_max_dims(op, input);
  KCHECK(std::max(index.dim(), 1) == std::max(input.dim(), 1), op, ": index ", shape_str(index.shape),
         " must have the same number of dims as input ", shape_str(input.shape));
  const int d = wrap_dim(dim, input.dim(), op);
  const Tensor in1 = as_1d(input), ix1 = as_1d(index);
  for (int j = 0; j < in1.dim(); ++j)
    KCHECK(j == d || ix1.shape[j] <= in1.shape[j], op, ": index ", shape_str(index.shape),
           " is larger than input ", shape_str(input.shape), " in dim ", j, " (only dim ", d,
           " may differ)");
  return d;
}

Tensor gather_forward(const Tensor& input, int64_t dim, const Tensor& index) {
  const int d = check_gather_like("gather", input, dim, index);
  Tensor out = Tensor::empty(index.shape, input.dtype, input.device());
  if (out.numel() == 0) return out;
  const Tensor in1 = as_1d(input), ix1 = as_1d(index);
  Tensor out1 = as_1d(out);
  const DimLoop g = make_dim_loop(ix1.shape, d, in1.shape, ix1.shape, "gather");
  const IndexFault f = KERNELS_ROUTE(input, "gather", gather_forward, in1, ix1, g, out1);
  raise_fault(f, "gather", d, in1.shape[d]);
  return out;
}

Tensor scatter_add_forward(const Tensor& input, int64_t dim, const Tensor& index, const Tensor& src) {
  const int d = check_gather_like("scatter_add", input, dim, index);
  check_defined("scatter_add", src, "src");
  check_same_device("scatter_add", input, src);
  check_same_dtype("scatter_add", input, src);
  KCHECK_TYPE(input.dtype != DType::Bool, "scatter_add: bool tensors are not supported, got ", input.desc());
  const Tensor in1 = as_1d(input), ix1 = as_1d(index), src1 = as_1d(src);
  KCHECK(src1.dim() == ix1.dim(), "scatter_add: src ", shape_str(src.shape),
         " must have the same number of dims as index ", shape_str(index.shape));
  for (int j = 0; j < ix1.dim(); ++j)
    KCHECK(ix1.shape[j] <= src1.shape[j], "scatter_add: index ", shape_str(index.shape),
           " is larger than src ", shape_str(src.shape), " in dim ", j);
  Tensor out = clone(input);
  if (index.numel() == 0) return out;
  Tensor out1 = as_1d(out);
  const DimLoop g = make_dim_loop(ix1.shape, d, in1.shape, src1.shape, "scatter_add");
  const IndexFault f = KERNELS_ROUTE(out, "scatter_add", scatter_add, out1, ix1, g, src1);
  raise_fault(f, "scatter_add", d, in1.shape[d]);
  return out;
}

Tensor gather_backward(const Tensor& grad, const std::vector<int64_t>& input_shape, int64_t dim,
                       const Tensor& index) {
  check_defined("gather_backward", grad, "grad");
  KCHECK(grad.shape == index.shape, "gather_backward: grad ", shape_str(grad.shape),
         " must have the shape of index ", shape_str(index.shape));
  Tensor zeros = full(input_shape, 0.0, grad.dtype, grad.device());
  return scatter_add_forward(zeros, dim, index, grad);
}

// ---------------------------------------------------------------- advanced indexing helpers

Tensor index_linearize(const std::vector<Tensor>& indices, const std::vector<int64_t>& dim_sizes,
                       const std::vector<int64_t>& dims) {
  KCHECK(!indices.empty() && indices.size() == dim_sizes.size() && dims.size() == dim_sizes.size(),
         "index: expected as many index tensors as dim sizes, got ", indices.size(), " and ",
         dim_sizes.size());
  KCHECK_INDEX(indices.size() <= static_cast<size_t>(kMaxDims), "index: too many index tensors (",
               indices.size(), "); at most ", kMaxDims, " are supported");
  // Broadcast the index shapes (right-aligned).
  size_t rank = 0;
  for (const auto& t : indices) {
    check_defined("index", t, "index");
    KCHECK_INDEX(t.dtype == DType::Int64,
                 "index: tensors used as indices must be int64 (or bool masks), got ", t.desc());
    check_same_device("index", indices[0], t);
    rank = std::max(rank, t.shape.size());
  }
  KCHECK(rank <= static_cast<size_t>(kMaxDims), "index: index tensors of more than ", kMaxDims,
         " dims are not supported");
  std::vector<int64_t> bshape(rank, 1);
  for (const auto& t : indices) {
    const size_t lead = rank - t.shape.size();
    for (size_t j = 0; j < t.shape.size(); ++j) {
      int64_t& b = bshape[lead + j];
      const int64_t s = t.shape[j];
      bool ok = s == b || s == 1 || b == 1;
      if (!ok) {
        std::string shapes;
        for (const auto& u : indices) shapes += (shapes.empty() ? "" : ", ") + shape_str(u.shape);
        KCHECK_INDEX(false, "index: shape mismatch: indexing tensors could not be broadcast together "
                            "with shapes ", shapes);
      }
      if (b == 1) b = s;
    }
  }
  std::vector<StridedLayout> layouts;
  for (const auto& t : indices) {
    const auto st = contiguous_strides(t.shape);
    std::vector<int64_t> bst(rank, 0);
    const size_t lead = rank - t.shape.size();
    for (size_t j = 0; j < t.shape.size(); ++j) bst[lead + j] = t.shape[j] == 1 ? 0 : st[j];
    layouts.push_back(make_layout(bshape, bst, 0, "index"));
  }
  Tensor out = Tensor::empty(bshape, DType::Int64, indices[0].device());
  if (out.numel() == 0) return out;
  for (size_t j = 0; j < dim_sizes.size(); ++j)
    KCHECK_INDEX(dim_sizes[j] > 0, "index: index is out of bounds for dim ", dims[j], " with size 0");
  const IndexFault f = KERNELS_ROUTE(out, "index", index_linearize, indices, layouts, dim_sizes, out);
  if (f.flag)
    KCHECK_INDEX(false, "index: index ", f.value, " is out of bounds for dim ", dims[f.dim], " with size ",
                 dim_sizes[f.dim]);
  return out;
}

void strided_assign(Tensor& dst, const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                    int64_t offset, const Tensor& src) {
  const char* op = "setitem";
  check_defined(op, dst, "destination");
  check_writable(op, dst);
  mark_written(dst);
  check_defined(op, src, "value");
  check_same_device(op, dst, src);
  KCHECK_TYPE(dst.dtype == src.dtype, op, ": value ", src.desc(), " must have the dtype of the destination ",
              dst.desc());
  KCHECK(sizes.size() == strides.size(), op, ": sizes ", shape_str(sizes), " and strides ",
         shape_str(strides), " differ in length");
  const int64_t n = numel_of(sizes);
  for (auto s : sizes) KCHECK(s >= 0, op, ": negative size in ", shape_str(sizes));
  if (n > 0) {
    int64_t lo = offset, hi = offset;
    for (size_t d = 0; d < sizes.size(); ++d) ((strides[d] < 0) ? lo : hi) += (sizes[d] - 1) * strides[d];
    KCHECK_INDEX(lo >= 0 && hi < dst.numel(), op, ": view (sizes ", shape_str(sizes), ", strides ",
                 shape_str(strides), ", offset ", offset, ") reaches outside a tensor of ", dst.numel(),
                 " elements");
  }
  // The value broadcasts to `sizes` (right-aligned).
  KCHECK(src.shape.size() <= sizes.size(), op, ": value of shape ", shape_str(src.shape),
         " cannot be broadcast to the indexed shape ", shape_str(sizes));
  const auto sst = contiguous_strides(src.shape);
  std::vector<int64_t> bst(sizes.size(), 0);
  const size_t lead = sizes.size() - src.shape.size();
  for (size_t j = 0; j < src.shape.size(); ++j) {
    KCHECK(src.shape[j] == sizes[lead + j] || src.shape[j] == 1, op, ": value of shape ",
           shape_str(src.shape), " cannot be broadcast to the indexed shape ", shape_str(sizes));
    bst[lead + j] = src.shape[j] == 1 ? 0 : sst[j];
  }
  if (n == 0) return;
  // Reading and writing the same memory: read from a copy.
  const Tensor value = (src.storage == dst.storage) ? clone(src) : src;
  const StridedLayout dl = make_layout(sizes, strides, offset, op);
  const StridedLayout sl = make_layout(sizes, bst, 0, op);
  KERNELS_ROUTE(dst, op, strided_assign, dst, dl, value, sl, n);
}

void index_put(Tensor& dst, const Tensor& index, const Tensor& values) {
  const char* op = "index_put";
  check_defined(op, dst, "destination");
  check_writable(op, dst);
  mark_written(dst);
  check_index_tensor(op, index, dst);
  check_defined(op, values, "values");
  check_same_device(op, dst, values);
  KCHECK_TYPE(dst.dtype == values.dtype, op, ": values ", values.desc(),
              " must have the dtype of the destination ", dst.desc());
  KCHECK(values.numel() == index.numel(), op, ": values ", shape_str(values.shape), " and index ",
         shape_str(index.shape), " must have the same number of elements");
  if (index.numel() == 0) return;
  const Tensor v = (values.storage == dst.storage) ? clone(values) : values;
  const IndexFault f = KERNELS_ROUTE(dst, op, index_put, dst, index, v);
  KCHECK_INDEX(!f.flag, op, ": position ", f.value, " is out of range for a tensor of ", dst.numel(),
               " elements");
}

}  // namespace kernels
