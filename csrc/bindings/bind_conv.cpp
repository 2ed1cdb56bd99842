#include "../ops/conv2d.h"
#include "bindings.h"

namespace kernels {
void bind_conv(py::module_& m) {
  const std::vector<bool> all3{true, true, true};
  m.def("conv2d_plan", &conv2d_plan, py::arg("input"), py::arg("weight"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("groups"));
  m.def("_set_conv2d_path_override", &set_conv2d_path_override, py::arg("name"));
  m.def("conv2d_forward", &conv2d_forward, py::arg("input"), py::arg("weight"), py::arg("bias"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"), KERNELS_NOGIL);
  m.def("conv2d_backward", &conv2d_backward, py::arg("grad"), py::arg("input"), py::arg("weight"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("has_bias"), py::arg("output_mask") = all3, KERNELS_NOGIL);
  m.def("conv1d_forward", &conv1d_forward, py::arg("input"), py::arg("weight"), py::arg("bias"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"), KERNELS_NOGIL);
  m.def("conv1d_backward", &conv1d_backward, py::arg("grad"), py::arg("input"), py::arg("weight"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("has_bias"), py::arg("output_mask") = all3, KERNELS_NOGIL);
  m.def("conv_transpose2d_forward", &conv_transpose2d_forward, py::arg("input"), py::arg("weight"),
        py::arg("bias"), py::arg("stride"), py::arg("padding"), py::arg("output_padding"),
        py::arg("groups"), py::arg("dilation"), KERNELS_NOGIL);
  m.def("conv_transpose2d_backward", &conv_transpose2d_backward, py::arg("grad"), py::arg("input"),
        py::arg("weight"), py::arg("stride"), py::arg("padding"), py::arg("output_padding"),
        py::arg("groups"), py::arg("dilation"), py::arg("has_bias"), py::arg("output_mask") = all3,
        KERNELS_NOGIL);
  m.def("conv_transpose1d_forward", &conv_transpose1d_forward, py::arg("input"), py::arg("weight"),
        py::arg("bias"), py::arg("stride"), py::arg("padding"), py::arg("output_padding"),
        py::arg("groups"), py::arg("dilation"), KERNELS_NOGIL);
  m.def("conv_transpose1d_backward", &conv_transpose1d_backward, py::arg("grad"), py::arg("input"),
        py::arg("weight"), py::arg("stride"), py::arg("padding"), py::arg("output_padding"),
        py::arg("groups"), py::arg("dilation"), py::arg("has_bias"), py::arg("output_mask") = all3,
        KERNELS_NOGIL);
}
}  // namespace kernels
