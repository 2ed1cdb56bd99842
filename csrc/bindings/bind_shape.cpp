#include "../ops/shape.h"
#include "bindings.h"

namespace kernels {
void bind_shape(py::module_& m) {
  m.def("cat_forward", &cat_forward, py::arg("tensors"), py::arg("dim"), KERNELS_NOGIL);
  m.def("cat_backward", &cat_backward, py::arg("grad"), py::arg("sizes"), py::arg("dim"), KERNELS_NOGIL);
  m.def("split_forward", &split_forward, py::arg("input"), py::arg("sizes"), py::arg("dim"), KERNELS_NOGIL);
  m.def("split_backward", &split_backward, py::arg("grads"), py::arg("dim"), KERNELS_NOGIL);
  m.def("index_select_forward", &index_select_forward, py::arg("input"), py::arg("dim"), py::arg("index"),
        KERNELS_NOGIL);
  m.def("index_select_backward", &index_select_backward, py::arg("grad"), py::arg("input_shape"),
        py::arg("dim"), py::arg("index"), KERNELS_NOGIL);
  m.def("index_add_forward", &index_add_forward, py::arg("input"), py::arg("dim"), py::arg("index"),
        py::arg("source"), py::arg("alpha") = 1.0, KERNELS_NOGIL);
  m.def("gather_forward", &gather_forward, py::arg("input"), py::arg("dim"), py::arg("index"), KERNELS_NOGIL);
  m.def("gather_backward", &gather_backward, py::arg("grad"), py::arg("input_shape"), py::arg("dim"),
        py::arg("index"), KERNELS_NOGIL);
  m.def("scatter_add_forward", &scatter_add_forward, py::arg("input"), py::arg("dim"), py::arg("index"),
        py::arg("src"), KERNELS_NOGIL);
  m.def("index_linearize", &index_linearize, py::arg("indices"), py::arg("dim_sizes"), py::arg("dims"),
        KERNELS_NOGIL);
  m.def("strided_assign", &strided_assign, py::arg("dst"), py::arg("sizes"), py::arg("strides"),
        py::arg("offset"), py::arg("src"), KERNELS_NOGIL);
  m.def("index_put", &index_put, py::arg("dst"), py::arg("index"), py::arg("values"), KERNELS_NOGIL);
}
}  // namespace kernels
