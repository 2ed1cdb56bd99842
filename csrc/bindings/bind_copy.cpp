#include "../ops/copy.h"
#include "bindings.h"

namespace kernels {
void bind_copy(py::module_& m) {
  m.def("to_device", &to_device, py::arg("t"), py::arg("device"), KERNELS_NOGIL);
  m.def("to_dtype", &to_dtype, py::arg("t"), py::arg("dtype"), KERNELS_NOGIL);
  m.def("clone", &clone, py::arg("t"), KERNELS_NOGIL);
  // The integer overload first: a Python int stays exact for int64 tensors.
  m.def("full", py::overload_cast<const std::vector<int64_t>&, int64_t, DType, Device>(&full),
        py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("device"), KERNELS_NOGIL);
  m.def("full", py::overload_cast<const std::vector<int64_t>&, double, DType, Device>(&full),
        py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("device"), KERNELS_NOGIL);
  m.def("arange", &arange, py::arg("start"), py::arg("end"), py::arg("step"), py::arg("dtype"),
        py::arg("device"), KERNELS_NOGIL);
  m.def("strided_copy_forward", &strided_copy_forward, py::arg("src"), py::arg("sizes"),
        py::arg("strides"), py::arg("offset"), KERNELS_NOGIL);
  m.def("strided_copy_backward", &strided_copy_backward, py::arg("grad"), py::arg("src_shape"),
        py::arg("strides"), py::arg("offset"), KERNELS_NOGIL);
}
}  // namespace kernels
