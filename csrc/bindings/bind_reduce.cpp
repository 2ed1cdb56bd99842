#include "../ops/reduce.h"
#include "bindings.h"

namespace kernels {
void bind_reduce(py::module_& m) {
  m.def("sum_forward", &sum_forward, py::arg("x"), py::arg("dims"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("sum_backward", &sum_backward, py::arg("grad"), py::arg("input_shape"), py::arg("dims"),
        py::arg("keepdim"), KERNELS_NOGIL);
  m.def("mean_forward", &mean_forward, py::arg("x"), py::arg("dims"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("mean_backward", &mean_backward, py::arg("grad"), py::arg("input_shape"), py::arg("dims"),
        py::arg("keepdim"), KERNELS_NOGIL);
  m.def("var_forward", &var_forward, py::arg("x"), py::arg("dims"), py::arg("correction"),
        py::arg("keepdim"), KERNELS_NOGIL);
  m.def("var_backward", &var_backward, py::arg("grad"), py::arg("x"), py::arg("dims"),
        py::arg("correction"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("std_forward", &std_forward, py::arg("x"), py::arg("dims"), py::arg("correction"),
        py::arg("keepdim"), KERNELS_NOGIL);
  m.def("std_backward", &std_backward, py::arg("grad"), py::arg("x"), py::arg("out"), py::arg("dims"),
        py::arg("correction"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("max_forward", &max_forward, py::arg("x"), py::arg("dim"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("max_backward", &max_backward, py::arg("grad"), py::arg("indices"), py::arg("input_shape"),
        py::arg("dim"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("min_forward", &min_forward, py::arg("x"), py::arg("dim"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("min_backward", &min_backward, py::arg("grad"), py::arg("indices"), py::arg("input_shape"),
        py::arg("dim"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("amax_forward", &amax_forward, py::arg("x"), py::arg("dims"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("amax_backward", &amax_backward, py::arg("grad"), py::arg("x"), py::arg("out"),
        py::arg("dims"), py::arg("keepdim"), py::arg("nan_ties") = false, KERNELS_NOGIL);
  m.def("amin_forward", &amin_forward, py::arg("x"), py::arg("dims"), py::arg("keepdim"), KERNELS_NOGIL);
  m.def("amin_backward", &amin_backward, py::arg("grad"), py::arg("x"), py::arg("out"),
        py::arg("dims"), py::arg("keepdim"), py::arg("nan_ties") = false, KERNELS_NOGIL);
  m.def("argmax_forward", &argmax_forward, py::arg("x"), py::arg("dim"), py::arg("keepdim"),
        KERNELS_NOGIL);
  m.def("argmin_forward", &argmin_forward, py::arg("x"), py::arg("dim"), py::arg("keepdim"),
        KERNELS_NOGIL);
}
}  // namespace kernels
