#include "../ops/pad.h"
#include "bindings.h"

namespace kernels {
void bind_pad(py::module_& m) {
  m.def("pad_forward", &pad_forward, py::arg("input"), py::arg("pad"), py::arg("mode"),
        py::arg("value"), KERNELS_NOGIL);
  m.def("pad_backward", &pad_backward, py::arg("grad"), py::arg("input_shape"), py::arg("pad"),
        py::arg("mode"), KERNELS_NOGIL);
}
}  // namespace kernels
