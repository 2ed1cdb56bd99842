// The Tensor: reference-counted storage, a shape, a dtype and a device, and where it lies in the
// storage: `offset` (in elements) and, for a strided view (transpose, permute, a stepped slice,
// expand), its element strides. Views share memory, as torch's do: a write through one reaches
// the tensor it came from. Kernels read and write contiguous row-major memory only: raw_data()
// refuses a strided view, and KERNELS_ROUTE (dispatch.h) materialises strided inputs before a
// kernel runs (contiguous(), csrc/ops/copy.cpp); in-place writes through a strided view go
// through strided_assign.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "check.h"

namespace kernels {

// The values are stable (never renumber): new dtypes take the next free number.
enum class DType : int8_t {
  Float32 = 0, Float64 = 1, Int64 = 2, Bool = 3, UInt8 = 4, Int8 = 5, Int16 = 6, Int32 = 7
};
enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };

inline size_t itemsize(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
    case DType::UInt8: return 1;
    case DType::Int8: return 1;
    case DType::Int16: return 2;
    case DType::Int32: return 4;
  }
  return 0;
}
const char* dtype_name(DType t);  // "float32", ...
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
// uint8, int8, int16, int32: stored, converted, compared, indexed and moved by every shape op;
// the arithmetic kernels take float32 / float64 / int64 only and refuse them by name.
inline bool is_small_int(DType t) {
  return t == DType::UInt8 || t == DType::Int8 || t == DType::Int16 || t == DType::Int32;
}
inline bool is_integral(DType t) { return t == DType::Int64 || is_small_int(t); }

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;  // CUDA ordinal; always 0 on the CPU
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;  // "cpu", "cuda:0"
  static Device parse(const std::string& s);  // throws ValueError on nonsense
};

struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  std::function<void(void*)> deleter;  // empty for external memory that needs no release
  bool writable = true;                 // false for a read-only NumPy array's memory
  // Bumped by every in-place op on this memory (mark_written, in the csrc/ops entry points), so
  // autograd can tell that a tensor it saved for backward was modified since (torch's version counter).
  uint64_t version = 0;
  // Bumped when an in-place op recorded by autograd gives a tensor on this memory a new place in
  // the graph: views taken before then still point at the old place and must not be used.
  uint64_t grad_epoch = 0;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (deleter && data) deleter(data);
  }
};

class Tensor {
 public:
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // elements
  std::vector<int64_t> shape;
  DType dtype = DType::Float32;
  // Element strides of a strided view; empty for contiguous row-major memory (most tensors).
  std::vector<int64_t> stride_;

  Tensor() = default;

  // New, uninitialised memory (64-byte aligned on the host, cached allocator on CUDA).
  static Tensor empty(const std::vector<int64_t>& shape, DType dtype, Device device);
  // Wrap memory owned elsewhere; `deleter` releases it when the last tensor goes away.
  static Tensor from_blob(void* data, const std::vector<int64_t>& shape, DType dtype, Device device,
                          std::function<void(void*)> deleter);

  int64_t numel() const;
  int dim() const { return static_cast<int>(shape.size()); }
  int64_t size(int d) const { return shape.at(d); }
  Device device() const { return storage ? storage->device : Device{}; }
  bool is_cuda() const { return device().is_cuda(); }
  bool defined() const { return static_cast<bool>(storage); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * itemsize(dtype); }
  bool is_contiguous() const { return stride_.empty(); }
  // The memory of a contiguous tensor. A strided view has no such pointer: a kernel handed one
  // would read the wrong elements, so this refuses (ops materialise views first).
  void* raw_data() const {
    if (!stride_.empty()) refuse_strided();
    return storage ? static_cast<char*>(storage->data) + offset * itemsize(dtype) : nullptr;
  }
  // The first element's address whatever the layout, for code that walks the strides itself.
  void* first_element() const {
    return storage ? static_cast<char*>(storage->data) + offset * itemsize(dtype) : nullptr;
  }
  template <class T>
  T* data() const {
    return reinterpret_cast<T*>(raw_data());
  }
  // data<T>() of a defined tensor, nullptr for an undefined one (an absent optional argument).
  template <class T>
  T* data_or_null() const {
    return storage ? data<T>() : nullptr;
  }
  std::vector<int64_t> strides() const;  // element strides (the contiguous ones unless a view)
  int64_t storage_numel() const { return storage ? static_cast<int64_t>(storage->nbytes / itemsize(dtype)) : 0; }
  // The whole storage as one contiguous 1-d tensor: what a strided view's layout indexes into.
  Tensor storage_flat() const;

  // A tensor sharing this one's memory with another shape of the same numel (no copy); for a
  // strided view only where torch's view() can (the new dims split or merge dims whose strides
  // allow it), otherwise a RuntimeError that points at reshape().
  Tensor view(const std::vector<int64_t>& new_shape) const;
  bool viewable_as(const std::vector<int64_t>& new_shape) const;  // would view() succeed?
  // Elements [start, start+len) of the first dim, sharing memory.
  Tensor narrow0(int64_t start, int64_t len) const;
  std::string desc() const;  // "float32 (2,3) on cpu" for error messages

 private:
  [[noreturn]] void refuse_strided() const;
};

// An in-place op is about to write t's memory: count it (Storage::version).
inline void mark_written(const Tensor& t) {
  if (t.storage) ++t.storage->version;
}

// Contiguous row-major strides of `shape`, in elements.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape);
// A view of t's storage with the given sizes, element strides and storage offset (elements from
// the storage's start), sharing memory; IndexError if it reaches outside the storage.
Tensor as_strided(const Tensor& t, const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                  int64_t storage_offset);

int64_t numel_of(const std::vector<int64_t>& shape);  // for shapes of existing tensors
// For shapes about to be allocated: negative dims raise ValueError, an element count beyond int64
// RuntimeError, a byte count beyond int64 MemoryError; `op` names the caller in the message.
int64_t checked_numel(const std::vector<int64_t>& shape, const char* op);
size_t checked_nbytes(const std::vector<int64_t>& shape, DType dtype, const char* op);
// Normalise a possibly negative dim against rank `ndim`; IndexError naming `op` when out of range.
int wrap_dim(int64_t dim, int ndim, const char* op);

// Host allocation helpers (64-byte aligned), csrc/common/host_alloc.cpp: large freed blocks are
// kept for reuse; host_empty_cache() gives them back, host_cached_bytes() says how much is held.
// Raises MemoryError naming `what` (a description of the tensor) and the bytes when it fails.
void* host_alloc(size_t nbytes, const std::function<std::string()>& what = {});
void host_free(void* p);
size_t host_cached_bytes();
void host_empty_cache();

}  // namespace kernels
