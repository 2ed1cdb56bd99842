#include "copy.h"

#include <cmath>
#include <cstring>

#include "../common/arg_checks.h"
#include "../common/cuda_backend.h"
#include "../common/dispatch.h"
#include "../contracts/copy.h"
#include "elementwise.h"

namespace kernels {

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = Tensor::empty(t.shape, t.dtype, t.device());
  if (out.numel() == 0) return out;
  const StridedLayout L = make_layout(t.shape, t.strides(), t.offset, "contiguous");
  const Tensor flat = t.storage_flat();
  KERNELS_ROUTE(t, "contiguous", strided_copy_forward, flat, L, out);
  return out;
}

Tensor reshape(const Tensor& t, const std::vector<int64_t>& shape) {
  return t.viewable_as(shape) ? t.view(shape) : contiguous(t).view(shape);
}

Tensor to_device(const Tensor& view, Device device) {
  const Tensor t = contiguous(view);
  Tensor out = Tensor::empty(t.shape, t.dtype, device);
  const Device from = t.device();
  if (from.is_cpu() && device.is_cpu()) {
    if (t.nbytes()) std::memcpy(out.raw_data(), t.raw_data(), t.nbytes());
  } else if (from.is_cpu()) {
    cuda::copy_host_to_device(out.raw_data(), t.raw_data(), t.nbytes(), device.index);
  } else if (device.is_cpu()) {
    cuda::copy_device_to_host(out.raw_data(), t.raw_data(), t.nbytes(), from.index);
  } else {
    cuda::copy_device_to_device(out.raw_data(), t.raw_data(), t.nbytes(), device.index, from.index);
  }
  return out;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  Tensor out = Tensor::empty(t.shape, dtype, t.device());
  KERNELS_ROUTE(t, "to", cast, t, out);
  return out;
}

Tensor clone(const Tensor& t) { return to_device(t, t.device()); }

Tensor full(const std::vector<int64_t>& shape, double value, DType dtype, Device device) {
  for (auto s : shape) KCHECK(s >= 0, "full: negative dimension in shape ", shape_str(shape));
  check_fill_value("full", value, dtype);
  Tensor out = Tensor::empty(shape, dtype, device);
  KERNELS_ROUTE(out, "full", fill, out, value);
  return out;
}

Tensor full(const std::vector<int64_t>& shape, int64_t value, DType dtype, Device device) {
  if (is_small_int(dtype)) {  // an integer's range: negatives wrap into uint8 (-1 -> 255)
    for (auto s : shape) KCHECK(s >= 0, "full: negative dimension in shape ", shape_str(shape));
    check_fill_value("full", static_cast<double>(value), dtype, /*from_int=*/true);
    Tensor out = Tensor::empty(shape, dtype, device);
    KERNELS_ROUTE(out, "full", fill, out, static_cast<double>(value));
    return out;
  }
  if (dtype != DType::Int64) return full(shape, static_cast<double>(value), dtype, device);
  Tensor out = Tensor::empty(shape, dtype, device);
  fill_(out, value);
  return out;
}

Tensor arange(double start, double end, double step, DType dtype, Device device) {
  KCHECK(step != 0, "arange: step must be nonzero");
  KCHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step),
         "arange: start, end and step must be finite, got ", start, ", ", end, ", ", step);
  if (dtype == DType::Int64)
    for (double v : {start, end, step}) check_fill_value("arange", v, dtype);
  if (is_small_int(dtype))  // the first value must fit; the last is checked once the count is known
    check_fill_value("arange", start, dtype, /*from_int=*/true);
  KCHECK((step > 0 && end >= start) || (step < 0 && end <= start) || start == end,
         "arange: upper bound and step sign are inconsistent (start=", start, ", end=", end,
         ", step=", step, ")");
  // The count in double first: a cast of 1e30 to int64 is undefined, not an error.
  const double count = std::ceil((end - start) / step);
  KCHECK_RUNTIME(std::isfinite(count) && count < 9.2e18, "arange: start=", start, ", end=", end,
                 ", step=", step, " would give ", count, " elements, more than a tensor can hold");
  const int64_t n = static_cast<int64_t>(count);
  if (is_small_int(dtype) && n > 0)
    check_fill_value("arange", start + static_cast<double>(n - 1) * step, dtype, /*from_int=*/true);
  Tensor out = Tensor::empty({std::max<int64_t>(n, 0)}, dtype, device);
  KERNELS_ROUTE(out, "arange", arange, out, start, step);
  return out;
}

static void check_view_in_bounds(const char* op, int64_t src_numel, const std::vector<int64_t>& sizes,
                                 const std::vector<int64_t>& strides, int64_t offset) {
  KCHECK(sizes.size() == strides.size(), op, ": sizes ", shape_str(sizes), " and strides ",
         shape_str(strides), " differ in length");
  int64_t lo = offset, hi = offset;
  for (size_t d = 0; d < sizes.size(); ++d) {
    KCHECK(sizes[d] >= 0, op, ": negative size in ", shape_str(sizes));
    if (sizes[d] == 0) return;  // an empty view touches nothing
    const int64_t span = (sizes[d] - 1) * strides[d];
    (span < 0 ? lo : hi) += span;
  }
  KCHECK_INDEX(lo >= 0 && hi < src_numel, op, ": view (sizes ", shape_str(sizes), ", strides ",
               shape_str(strides), ", offset ", offset, ") reaches outside a tensor of ", src_numel,
               " elements");
}

Tensor strided_copy_forward(const Tensor& src, const std::vector<int64_t>& sizes,
                            const std::vector<int64_t>& strides, int64_t offset) {
  check_view_in_bounds("strided_copy", src.numel(), sizes, strides, offset);
  const StridedLayout L = make_layout(sizes, strides, offset, "strided_copy");
  Tensor out = Tensor::empty(sizes, src.dtype, src.device());
  if (out.numel() == 0) return out;
  KERNELS_ROUTE(src, "strided_copy", strided_copy_forward, src, L, out);
  return out;
}

Tensor strided_copy_backward(const Tensor& grad, const std::vector<int64_t>& src_shape,
                             const std::vector<int64_t>& strides, int64_t offset) {
  check_view_in_bounds("strided_copy_backward", numel_of(src_shape), grad.shape, strides, offset);
  const StridedLayout L = make_layout(grad.shape, strides, offset, "strided_copy_backward");
  Tensor dsrc = Tensor::empty(src_shape, grad.dtype, grad.device());
  KERNELS_ROUTE(grad, "strided_copy_backward", strided_copy_backward, grad, L, dsrc);
  return dsrc;
}

}  // namespace kernels
