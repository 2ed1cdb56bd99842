#include "tensor.h"

#include <cstdlib>
#include <cstring>

#include "arg_checks.h"
#include "cuda_backend.h"

namespace kernels {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
  }
  return "?";
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device Device::parse(const std::string& s) {
  if (s == "cpu") return Device{DeviceType::CPU, 0};
  if (s == "cuda") return Device{DeviceType::CUDA, 0};
  if (s.rfind("cuda:", 0) == 0 && s.size() > 5) {
    const std::string num = s.substr(5);
    bool digits = num.find_first_not_of("0123456789") == std::string::npos && num.size() < 6;
    KCHECK(digits, "device: bad device string '", s, "' (expected 'cpu', 'cuda' or 'cuda:N')");
    return Device{DeviceType::CUDA, std::stoi(num)};
  }
  throw std::invalid_argument("device: bad device string '" + s +
                              "' (expected 'cpu', 'cuda' or 'cuda:N')");
}

int64_t numel_of(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

int64_t checked_numel(const std::vector<int64_t>& shape, const char* op) {
  int64_t n = 1;
  bool overflow = false;
  for (auto s : shape) {
    KCHECK(s >= 0, op, ": negative dimension in shape ", shape_str(shape));
    overflow = overflow || __builtin_mul_overflow(n, s, &n);
  }
  // A zero anywhere makes the tensor empty, but an impossible shape stays impossible.
  KCHECK_RUNTIME(!overflow, op, ": shape ", shape_str(shape),
                 " has more elements than a 64-bit count can hold");
  return n;
}

size_t checked_nbytes(const std::vector<int64_t>& shape, DType dtype, const char* op) {
  const int64_t n = checked_numel(shape, op);
  int64_t bytes = 0;
  if (__builtin_mul_overflow(n, static_cast<int64_t>(itemsize(dtype)), &bytes))
    throw OutOfMemory(str_cat(op, ": a tensor of shape ", shape_str(shape), " and dtype ",
                              dtype_name(dtype), " needs more than 2^63 bytes"));
  return static_cast<size_t>(bytes);
}

int wrap_dim(int64_t dim, int ndim, const char* op) {
  const int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  KCHECK_INDEX(dim >= lo && dim <= hi, op, ": dim ", dim, " is out of range for a tensor of rank ",
               ndim, " (expected a dim in [", lo, ", ", hi, "])");
  return static_cast<int>(dim < 0 ? dim + (ndim == 0 ? 1 : ndim) : dim);
}

namespace {

// t's shape and dtype, and a new (not yet allocated) storage of their checked byte count on
// `device`, which the caller fills in and hands to t.
std::shared_ptr<Storage> new_storage(Tensor& t, const std::vector<int64_t>& shape, DType dtype,
                                     Device device, const char* op) {
  t.shape = shape;
  t.dtype = dtype;
  auto st = std::make_shared<Storage>();
  st->device = device;
  st->nbytes = checked_nbytes(shape, dtype, op);
  return st;
}

}  // namespace

Tensor Tensor::empty(const std::vector<int64_t>& shape, DType dtype, Device device) {
  // Every tensor's memory comes through here: the one place element and byte counts are checked.
  Tensor t;
  auto st = new_storage(t, shape, dtype, device, "empty");
  const auto what = [&] {
    return str_cat("a tensor of shape ", shape_str(shape), " and dtype ", dtype_name(dtype));
  };
  if (device.is_cpu()) {
    st->data = host_alloc(st->nbytes, what);
    st->deleter = host_free;
  } else {
    st->data = cuda::allocate(st->nbytes, device.index);
    const int dev = device.index;
    st->deleter = [dev](void* p) { cuda::release(p, dev); };
  }
  t.storage = std::move(st);
  return t;
}

Tensor Tensor::from_blob(void* data, const std::vector<int64_t>& shape, DType dtype, Device device,
                         std::function<void(void*)> deleter) {
  Tensor t;
  auto st = new_storage(t, shape, dtype, device, "from_blob");
  st->data = data;
  st->deleter = std::move(deleter);
  t.storage = std::move(st);
  return t;
}

int64_t Tensor::numel() const { return numel_of(shape); }

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> st(shape.size());
  int64_t s = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

std::vector<int64_t> Tensor::strides() const { return stride_.empty() ? contiguous_strides(shape) : stride_; }

void Tensor::refuse_strided() const {
  throw std::logic_error(str_cat("internal error: a kernel was handed the strided view ", desc(), " (strides ",
                                 shape_str(stride_), "); the op should have materialised it"));
}

Tensor Tensor::storage_flat() const {
  Tensor t;
  t.storage = storage;
  t.dtype = dtype;
  t.shape = {storage_numel()};
  return t;
}

// Strides equal to the contiguous ones (ignoring dims of size 1, whose stride never matters)?
static bool strides_are_contiguous(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  int64_t expect = 1;
  for (int d = static_cast<int>(sizes.size()) - 1; d >= 0; --d) {
    if (sizes[d] == 0) return true;
    if (sizes[d] != 1 && strides[d] != expect) return false;
    expect *= sizes[d];
  }
  return true;
}

Tensor as_strided(const Tensor& t, const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                  int64_t storage_offset) {
  KCHECK(sizes.size() == strides.size(), "as_strided: sizes ", shape_str(sizes), " and strides ",
         shape_str(strides), " differ in length");
  KCHECK(sizes.size() <= static_cast<size_t>(kMaxDims), "as_strided: at most ", kMaxDims, " dims, got ",
         sizes.size());
  KCHECK_INDEX(storage_offset >= 0, "as_strided: negative storage offset ", storage_offset);
  int64_t last = storage_offset;
  bool empty = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    KCHECK(sizes[d] >= 0, "as_strided: negative size in ", shape_str(sizes));
    KCHECK(strides[d] >= 0, "as_strided: negative stride in ", shape_str(strides));
    if (sizes[d] == 0) empty = true;
    else last += (sizes[d] - 1) * strides[d];
  }
  KCHECK_INDEX(empty || last < t.storage_numel(), "as_strided: a view with sizes ", shape_str(sizes),
               ", strides ", shape_str(strides), " and offset ", storage_offset, " reaches element ", last,
               " of a storage of ", t.storage_numel());
  Tensor v = t;
  v.shape = sizes;
  v.offset = storage_offset;
  v.stride_ = strides_are_contiguous(sizes, strides) ? std::vector<int64_t>{} : strides;
  return v;
}

// torch's rule for view() of a strided tensor: each run of old dims that is contiguous within
// itself may be re-split into new dims; a new dim may not straddle two such runs.
static bool view_strides(const std::vector<int64_t>& old_sizes, const std::vector<int64_t>& old_strides,
                         const std::vector<int64_t>& new_sizes, std::vector<int64_t>& out) {
  out.assign(new_sizes.size(), 0);
  if (numel_of(old_sizes) == 0) {
    out = contiguous_strides(new_sizes);
    return true;
  }
  int view_d = static_cast<int>(new_sizes.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = static_cast<int>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

bool Tensor::viewable_as(const std::vector<int64_t>& new_shape) const {
  std::vector<int64_t> st;
  return numel_of(new_shape) == numel() && (stride_.empty() || view_strides(shape, stride_, new_shape, st));
}

Tensor Tensor::view(const std::vector<int64_t>& new_shape) const {
  KCHECK(numel_of(new_shape) == numel(), "view: shape ", shape_str(new_shape),
         " is invalid for a tensor of shape ", shape_str(shape), " (", numel(), " elements)");
  Tensor t = *this;
  t.shape = new_shape;
  if (stride_.empty()) return t;
  std::vector<int64_t> st;
  KCHECK_RUNTIME(view_strides(shape, stride_, new_shape, st), "view: size ", shape_str(new_shape),
                 " is not compatible with the input's size ", shape_str(shape), " and stride ",
                 shape_str(stride_), " (at least one dimension spans across two contiguous subspaces); "
                 "use .reshape(...) instead");
  t.stride_ = strides_are_contiguous(new_shape, st) ? std::vector<int64_t>{} : st;
  return t;
}

Tensor Tensor::narrow0(int64_t start, int64_t len) const {
  KCHECK(dim() >= 1 && start >= 0 && len >= 0 && start + len <= shape[0], "narrow: rows [", start,
         ", ", start + len, ") out of range for shape ", shape_str(shape));
  Tensor t = *this;
  t.shape[0] = len;
  t.offset = offset + start * strides()[0];
  if (!stride_.empty() && strides_are_contiguous(t.shape, stride_)) t.stride_.clear();
  return t;
}

std::string Tensor::desc() const {
  return std::string(dtype_name(dtype)) + " " + shape_str(shape) + " on " + device().str();
}

}  // namespace kernels
