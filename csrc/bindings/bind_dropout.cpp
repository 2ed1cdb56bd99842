#include "../ops/dropout.h"
#include "bindings.h"

namespace kernels {
void bind_dropout(py::module_& m) {
  m.def("dropout_forward", &dropout_forward, py::arg("x"), py::arg("p"), KERNELS_NOGIL);
  m.def("dropout_backward", &dropout_backward, py::arg("grad"), py::arg("mask"), py::arg("p"),
        KERNELS_NOGIL);
  m.def("feature_dropout_forward", &feature_dropout_forward, py::arg("input"), py::arg("p"), KERNELS_NOGIL);
  m.def("feature_dropout_backward", &feature_dropout_backward, py::arg("grad"), py::arg("mask"), py::arg("p"),
        KERNELS_NOGIL);
}
}  // namespace kernels
