// The Tensor class as Python sees it, dtype and device objects, and zero-copy interop with NumPy
// (arrays and the buffer protocol) and DLPack. Autograd attributes and most methods are added by
// python/kernels/tensor.py; the class allows dynamic attributes for that.
#include <pybind11/numpy.h>

#include <cstring>

#include "../common/cuda_backend.h"
#include "../common/dlpack.h"
#include "../common/tensor.h"
#include "../ops/copy.h"
#include "bindings.h"

namespace kernels {

namespace {

py::dtype numpy_dtype(DType t) {
  switch (t) {
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Bool: return py::dtype("bool");
    case DType::UInt8: return py::dtype::of<uint8_t>();
    case DType::Int8: return py::dtype::of<int8_t>();
    case DType::Int16: return py::dtype::of<int16_t>();
    case DType::Int32: return py::dtype::of<int32_t>();
  }
  throw TypeError("numpy: unknown dtype");
}

const char* buffer_format(DType t) {
  switch (t) {
    case DType::Float32: return "f";
    case DType::Float64: return "d";
    case DType::Int64: return "q";
    case DType::Bool: return "?";
    case DType::UInt8: return "B";
    case DType::Int8: return "b";
    case DType::Int16: return "h";
    case DType::Int32: return "i";
  }
  return "B";
}

std::vector<int64_t> byte_strides(const Tensor& t) {
  auto st = t.strides();
  for (auto& s : st) s *= static_cast<int64_t>(itemsize(t.dtype));
  return st;
}

void require_cpu(const Tensor& t, const char* op) {
  KCHECK_TYPE(!t.is_cuda(), op, ": can't convert a tensor on ", t.device().str(),
              " to host memory directly; call .cpu() first");
}

py::array to_numpy(const Tensor& t) {
  require_cpu(t, "numpy");
  // The array's base owns a reference to the storage, so the memory outlives the tensor.
  auto* keep = new Tensor(t);
  py::capsule base(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  py::array out(numpy_dtype(t.dtype), t.shape, byte_strides(t), t.first_element(), base);
  if (!t.storage->writable) out.attr("setflags")(py::arg("write") = false);  // stays read-only
  return out;
}

Tensor from_numpy(const py::array& arr) {
  const py::dtype dt = arr.dtype();
  DType dtype;
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f' && size == 4) dtype = DType::Float32;
  else if (kind == 'f' && size == 8) dtype = DType::Float64;
  else if (kind == 'i' && size == 8) dtype = DType::Int64;
  else if (kind == 'i' && size == 4) dtype = DType::Int32;
  else if (kind == 'i' && size == 2) dtype = DType::Int16;
  else if (kind == 'i' && size == 1) dtype = DType::Int8;
  else if (kind == 'u' && size == 1) dtype = DType::UInt8;
  else if (kind == 'b') dtype = DType::Bool;
  else
    throw TypeError(str_cat("from_numpy: NumPy dtype ", std::string(py::str(dt)),
                            " is not supported (float32, float64, int64, int32, int16, int8, uint8, "
                            "bool)"));
  KCHECK(dt.byteorder() != '>', "from_numpy: big-endian arrays are not supported");
  // Any array with non-negative strides that are whole elements is shared, strided or not, as
  // torch.from_numpy shares it; negative strides (a[::-1]) are refused as torch refuses them.
  std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
  std::vector<int64_t> strides(arr.ndim());
  int64_t span = 1;
  bool empty = false;
  for (py::ssize_t d = 0; d < arr.ndim(); ++d) {
    const auto bytes = arr.strides()[d];
    KCHECK(bytes >= 0, "from_numpy: at least one stride of the array is negative (strides ",
           shape_str(std::vector<int64_t>(arr.strides(), arr.strides() + arr.ndim())),
           " bytes); tensors with negative strides are not supported: pass array.copy()");
    KCHECK(bytes % size == 0, "from_numpy: the array's strides ",
           shape_str(std::vector<int64_t>(arr.strides(), arr.strides() + arr.ndim())),
           " bytes are not whole multiples of its itemsize ", size, "; pass numpy.ascontiguousarray(array)");
    strides[d] = bytes / size;
    if (shape[d] == 0) empty = true;
    span += (shape[d] - 1) * strides[d];
  }
  const bool contiguous = (arr.flags() & py::array::c_style) != 0;
  auto* keep = new py::object(arr);
  const std::vector<int64_t> storage_shape = contiguous || empty ? shape : std::vector<int64_t>{span};
  Tensor t = Tensor::from_blob(const_cast<void*>(arr.data()), storage_shape, dtype, Device{}, [keep](void*) {
    py::gil_scoped_acquire gil;
    delete keep;
  });
  t.storage->writable = arr.writeable();
  return contiguous || empty ? t : as_strided(t, shape, strides, 0);
}

// ---- DLPack ----

struct DLPackContext {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
};

void delete_managed(DLManagedTensor* self) {
  delete static_cast<DLPackContext*>(self->manager_ctx);
  delete self;
}

void capsule_destructor(PyObject* capsule) {
  if (PyCapsule_IsValid(capsule, "used_dltensor")) return;  // a consumer took ownership
  auto* mt = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
  if (mt && mt->deleter) mt->deleter(mt);
  PyErr_Clear();
}

DLDataType dl_dtype(DType t) {
  switch (t) {
    case DType::Float32: return {kDLFloat, 32, 1};
    case DType::Float64: return {kDLFloat, 64, 1};
    case DType::Int64: return {kDLInt, 64, 1};
    case DType::Bool: return {kDLBool, 8, 1};
    case DType::UInt8: return {kDLUInt, 8, 1};
    case DType::Int8: return {kDLInt, 8, 1};
    case DType::Int16: return {kDLInt, 16, 1};
    case DType::Int32: return {kDLInt, 32, 1};
  }
  return {kDLFloat, 32, 1};
}

py::capsule to_dlpack(const Tensor& t) {
  auto* ctx = new DLPackContext{t, t.shape, t.strides()};
  auto* mt = new DLManagedTensor{};
  // The allocation's base and the view's offset in bytes, as DLPack defines them (consumers that
  // need aligned data pointers rely on it).
  mt->dl_tensor.data = t.storage ? t.storage->data : nullptr;
  mt->dl_tensor.device = {t.is_cuda() ? kDLCUDA : kDLCPU, t.is_cuda() ? t.device().index : 0};
  mt->dl_tensor.ndim = t.dim();
  mt->dl_tensor.dtype = dl_dtype(t.dtype);
  mt->dl_tensor.shape = ctx->shape.data();
  mt->dl_tensor.strides = ctx->strides.data();
  mt->dl_tensor.byte_offset = static_cast<uint64_t>(t.offset) * itemsize(t.dtype);
  mt->manager_ctx = ctx;
  mt->deleter = delete_managed;
  PyObject* cap = PyCapsule_New(mt, "dltensor", capsule_destructor);
  if (!cap) {
    delete_managed(mt);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(cap);
}

Tensor from_dlpack_capsule(const py::capsule& capsule) {
  PyObject* cap = capsule.ptr();
  KCHECK(!PyCapsule_IsValid(cap, "used_dltensor"),
         "from_dlpack: this DLPack capsule was already consumed");
  KCHECK(PyCapsule_IsValid(cap, "dltensor"), "from_dlpack: expected a 'dltensor' capsule");
  auto* mt = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
  const DLTensor& dl = mt->dl_tensor;
  DType dtype;
  KCHECK_TYPE(dl.dtype.lanes == 1, "from_dlpack: vector dtypes (lanes > 1) are not supported");
  if (dl.dtype.code == kDLFloat && dl.dtype.bits == 32) dtype = DType::Float32;
  else if (dl.dtype.code == kDLFloat && dl.dtype.bits == 64) dtype = DType::Float64;
  else if (dl.dtype.code == kDLInt && dl.dtype.bits == 64) dtype = DType::Int64;
  else if (dl.dtype.code == kDLInt && dl.dtype.bits == 32) dtype = DType::Int32;
  else if (dl.dtype.code == kDLInt && dl.dtype.bits == 16) dtype = DType::Int16;
  else if (dl.dtype.code == kDLInt && dl.dtype.bits == 8) dtype = DType::Int8;
  else if (dl.dtype.code == kDLUInt && dl.dtype.bits == 8) dtype = DType::UInt8;
  else if (dl.dtype.code == kDLBool && dl.dtype.bits == 8) dtype = DType::Bool;
  else
    throw TypeError(str_cat("from_dlpack: dtype code ", int(dl.dtype.code), " with ",
                            int(dl.dtype.bits), " bits is not supported (float32, float64, int64, "
                            "int32, int16, int8, uint8, bool)"));
  Device device;
  if (dl.device.device_type == kDLCPU) {
    device = Device{};
  } else if (dl.device.device_type == kDLCUDA) {
    cuda::require_compiled("from_dlpack");
    device = Device{DeviceType::CUDA, dl.device.device_id};
  } else {
    throw std::invalid_argument(str_cat("from_dlpack: device type ", dl.device.device_type,
                                        " is not supported (CPU and CUDA only)"));
  }
  std::vector<int64_t> shape(dl.shape, dl.shape + dl.ndim);
  std::vector<int64_t> strides = contiguous_strides(shape);
  int64_t span = 1;
  if (dl.strides) {
    strides.assign(dl.strides, dl.strides + dl.ndim);
    for (int d = 0; d < dl.ndim; ++d) {
      KCHECK(strides[d] >= 0, "from_dlpack: negative strides are not supported, got strides ",
             shape_str(strides));
      span += (shape[d] - 1) * strides[d];
      if (shape[d] == 0) span = 0;
    }
  } else {
    span = numel_of(shape);
  }
  PyCapsule_SetName(cap, "used_dltensor");
  void* data = static_cast<char*>(dl.data) + dl.byte_offset;
  const bool dense = span == numel_of(shape) && contiguous_strides(shape) == strides;
  Tensor t = Tensor::from_blob(data, dense ? shape : std::vector<int64_t>{std::max<int64_t>(span, 0)}, dtype, device,
                               [mt](void*) {
                                 if (mt->deleter) {
                                   py::gil_scoped_acquire gil;  // producers may touch Python objects
                                   mt->deleter(mt);
                                 }
                               });
  return dense ? t : as_strided(t, shape, strides, 0);
}

py::object item(const Tensor& t) {
  KCHECK(t.numel() == 1, "item: a tensor with ", t.numel(), " elements (shape ",
         shape_str(t.shape), ") cannot be converted to a Python scalar");
  Tensor h = t.is_cuda() ? to_device(t, Device{}) : contiguous(t);
  switch (t.dtype) {
    case DType::Float32: return py::float_(*h.data<float>());
    case DType::Float64: return py::float_(*h.data<double>());
    case DType::Int64: return py::int_(*h.data<int64_t>());
    case DType::Bool: return py::bool_(*h.data<bool>());
    case DType::UInt8: return py::int_(*h.data<uint8_t>());
    case DType::Int8: return py::int_(*h.data<int8_t>());
    case DType::Int16: return py::int_(*h.data<int16_t>());
    case DType::Int32: return py::int_(*h.data<int32_t>());
  }
  return py::none();
}

// One Python object per dtype, handed out by Tensor.dtype: pybind11 would otherwise build a new
// enum object on every read, and reading a tensor's dtype is on every op's Python path. The same
// objects are the enum's class attributes (kernels.float32 ...), so `a.dtype is b.dtype` works.
// Held for the life of the process (never released at interpreter exit).
PyObject* g_dtype_objects[8] = {};

py::object dtype_object(DType d) {
  const auto i = static_cast<size_t>(d);
  if (i < 8 && g_dtype_objects[i]) return py::reinterpret_borrow<py::object>(g_dtype_objects[i]);
  return py::cast(d);
}

// shape as a tuple built directly (py::cast of the vector builds a list first).
py::tuple shape_tuple(const Tensor& t) {
  const auto n = static_cast<py::ssize_t>(t.shape.size());
  PyObject* tup = PyTuple_New(n);
  if (!tup) throw py::error_already_set();
  for (py::ssize_t i = 0; i < n; ++i) {
    PyObject* v = PyLong_FromLongLong(t.shape[static_cast<size_t>(i)]);
    if (!v) {
      Py_DECREF(tup);
      throw py::error_already_set();
    }
    PyTuple_SET_ITEM(tup, i, v);
  }
  return py::reinterpret_steal<py::tuple>(tup);
}

}  // namespace

void bind_tensor(py::module_& m) {
  auto dtype_enum = py::enum_<DType>(m, "dtype")
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .value("int64", DType::Int64)
      .value("bool", DType::Bool)
      .value("uint8", DType::UInt8)
      .value("int8", DType::Int8)
      .value("int16", DType::Int16)
      .value("int32", DType::Int32)
      .def("__repr__", [](DType d) { return std::string("kernels.") + dtype_name(d); })
      .def("__str__", [](DType d) { return std::string("kernels.") + dtype_name(d); })
      .def_property_readonly("itemsize", [](DType d) { return itemsize(d); })
      .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
      // torch: True for every dtype that holds negative numbers (the floats and signed ints)
      .def_property_readonly("is_signed", [](DType d) { return d != DType::Bool && d != DType::UInt8; });
  for (DType d : {DType::Float32, DType::Float64, DType::Int64, DType::Bool, DType::UInt8, DType::Int8,
                  DType::Int16, DType::Int32})
    g_dtype_objects[static_cast<size_t>(d)] = py::object(dtype_enum.attr(dtype_name(d))).release().ptr();

  py::class_<Device>(m, "device")
      .def(py::init([](const std::string& s) { return Device::parse(s); }), py::arg("spec"))
      .def(py::init([](const std::string& type, int index) {
             KCHECK(type == "cpu" || type == "cuda", "device: unknown device type '", type, "'");
             KCHECK(index >= 0, "device: negative device index ", index);
             return Device{type == "cpu" ? DeviceType::CPU : DeviceType::CUDA, type == "cpu" ? 0 : index};
           }),
           py::arg("type"), py::arg("index"))
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        return d.is_cpu() ? py::object(py::none()) : py::object(py::int_(d.index));
      })
      .def("__str__", &Device::str)
      .def("__repr__", [](const Device& d) {
        return d.is_cpu() ? std::string("device(type='cpu')")
                          : "device(type='cuda', index=" + std::to_string(d.index) + ")";
      })
      .def("__eq__", [](const Device& a, const Device& b) { return a == b; })
      .def("__eq__", [](const Device& a, const std::string& b) { return a == Device::parse(b); })
      .def("__hash__", [](const Device& d) { return static_cast<int>(d.type) * 1000 + d.index; })
      .def(py::pickle([](const Device& d) { return d.str(); },
                      [](const std::string& s) { return Device::parse(s); }));

  py::class_<Tensor>(m, "Tensor", py::dynamic_attr(), py::buffer_protocol())
      // Tensor(t): a new handle on t's memory; lets Python subclasses (nn.Parameter) wrap a tensor.
      .def(py::init([](const Tensor& t) { return t; }), py::arg("data"))
      .def_property_readonly("shape", &shape_tuple)
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_object(t.dtype); })
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t.dtype); })
      .def_property_readonly("device", &Tensor::device)
      .def_property_readonly("ndim", &Tensor::dim)
      .def_property_readonly("is_cuda", &Tensor::is_cuda)
      .def_property_readonly("itemsize", [](const Tensor& t) { return itemsize(t.dtype); })
      .def_property_readonly("nbytes", &Tensor::nbytes)
      .def("dim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.first_element()); })
      .def("is_contiguous", [](const Tensor& t, py::object /*memory_format*/) { return t.is_contiguous(); },
           py::arg("memory_format") = py::none())
      .def("stride", [](const Tensor& t) { return py::tuple(py::cast(t.strides())); })
      .def("stride", [](const Tensor& t, int64_t d) { return t.strides()[wrap_dim(d, t.dim(), "stride")]; },
           py::arg("dim"))
      .def("storage_offset", [](const Tensor& t) { return t.offset; })
      .def_property_readonly("_version", [](const Tensor& t) { return t.storage ? t.storage->version : 0; },
                             "How many kernel writes this tensor's memory has seen (torch's version counter).")
      .def_property_readonly("_grad_epoch", [](const Tensor& t) { return t.storage ? t.storage->grad_epoch : 0; })
      .def("_bump_grad_epoch", [](const Tensor& t) {
        if (t.storage) ++t.storage->grad_epoch;
        return t.storage ? t.storage->grad_epoch : 0;
      })
      .def("_storage_flat", &Tensor::storage_flat,
           "The whole storage as a contiguous 1-d tensor (what a view's strides index into).")
      .def("_same_storage", [](const Tensor& a, const Tensor& b) { return a.storage == b.storage; })
      .def("_same_meta", [](const Tensor& a, const Tensor& b) {
        return a.dtype == b.dtype && a.device() == b.device() && a.shape == b.shape;
      }, "Same dtype, device and shape (one call for what .grad assignment checks).")
      .def("_raw", [](const Tensor& t) { return t; },
           "A new handle on the same memory with no autograd attributes.")
      .def("_set_data", [](Tensor& self, const Tensor& other) { self = other; }, py::arg("other"),
           "Point this handle at other's memory, shape and dtype (torch's `t.data = other`).")
      .def("_view", &reshape, py::arg("shape"),
           "Another shape of the same values: a view where the strides allow, else a copy.")
      .def("_view_strict", &Tensor::view, py::arg("shape"), "Tensor.view: a view, or RuntimeError.")
      .def("_narrow0", &Tensor::narrow0, py::arg("start"), py::arg("length"))
      .def("item", &item)
      .def("numpy", &to_numpy)
      .def("__dlpack__",
           [](const Tensor& t, py::object stream, py::object max_version, py::object dl_device,
              py::object copy) {
             KCHECK(copy.is_none() || !copy.cast<bool>(),
                    "__dlpack__: copy=True is not supported; the tensor is shared as it is");
             // Kernels run on the legacy default stream: the consumer's stream waits for it
             // (None means the legacy default stream, as the protocol says).
             if (t.is_cuda())
               cuda::make_stream_wait(t.device().index, stream.is_none() ? 1 : stream.cast<int64_t>());
             return to_dlpack(t);
           },
           py::arg("stream") = py::none(), py::arg("max_version") = py::none(),
           py::arg("dl_device") = py::none(), py::arg("copy") = py::none())
      .def("__dlpack_device__", [](const Tensor& t) {
        return py::make_tuple(static_cast<int>(t.is_cuda() ? kDLCUDA : kDLCPU),
                              t.is_cuda() ? t.device().index : 0);
      })
      .def_buffer([](const Tensor& t) {
        require_cpu(t, "buffer protocol");
        const auto strides = byte_strides(t);
        return py::buffer_info(t.first_element(), static_cast<py::ssize_t>(itemsize(t.dtype)),
                               buffer_format(t.dtype), t.dim(),
                               std::vector<py::ssize_t>(t.shape.begin(), t.shape.end()),
                               std::vector<py::ssize_t>(strides.begin(), strides.end()),
                               /*readonly=*/!t.storage->writable);
      });

  m.def("from_numpy", &from_numpy, py::arg("array"));
  m.def("as_strided", &as_strided, py::arg("input"), py::arg("size"), py::arg("stride"),
        py::arg("storage_offset"), "A view of input's storage (element strides and offset), sharing memory.");
  m.def("contiguous", &contiguous, py::arg("input"), py::call_guard<py::gil_scoped_release>(),
        "input itself if contiguous, else a contiguous copy.");
  m.def("from_dlpack_capsule", &from_dlpack_capsule, py::arg("capsule"));
}

}  // namespace kernels
