#include "tensor.h"

#include <cstdlib>
#include <cstring>

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

std::vector<int64_t> Tensor::strides() const {
  std::vector<int64_t> st(shape.size());
  int64_t s = 1;
  for (int i = dim() - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

Tensor Tensor::view(const std::vector<int64_t>& new_shape) const {
  KCHECK(numel_of(new_shape) == numel(), "view: shape ", shape_str(new_shape),
         " is invalid for a tensor of shape ", shape_str(shape), " (", numel(), " elements)");
  Tensor t = *this;
  t.shape = new_shape;
  return t;
}

Tensor Tensor::narrow0(int64_t start, int64_t len) const {
  KCHECK(dim() >= 1 && start >= 0 && len >= 0 && start + len <= shape[0], "narrow: rows [", start,
         ", ", start + len, ") out of range for shape ", shape_str(shape));
  Tensor t = *this;
  t.shape[0] = len;
  int64_t row = 1;
  for (int i = 1; i < dim(); ++i) row *= shape[i];
  t.offset = offset + start * row;
  return t;
}

std::string Tensor::desc() const {
  return std::string(dtype_name(dtype)) + " " + shape_str(shape) + " on " + device().str();
}

}  // namespace kernels
