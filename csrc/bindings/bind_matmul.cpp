#include "../ops/matmul.h"
#include "bindings.h"

namespace kernels {
void bind_matmul(py::module_& m) {
  m.def("matmul_forward", &matmul_forward, py::arg("a"), py::arg("b"), KERNELS_NOGIL);
  m.def("matmul_backward", &matmul_backward, py::arg("grad"), py::arg("a"), py::arg("b"),
        py::arg("output_mask") = std::vector<bool>{true, true}, KERNELS_NOGIL);
  m.def("linear_forward", &linear_forward, py::arg("x"), py::arg("weight"), py::arg("bias"),
        KERNELS_NOGIL);
  m.def("linear_backward", &linear_backward, py::arg("grad"), py::arg("x"), py::arg("weight"),
        py::arg("has_bias"), py::arg("output_mask") = std::vector<bool>{true, true, true},
        KERNELS_NOGIL);
}
}  // namespace kernels
