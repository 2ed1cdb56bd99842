#include "../ops/activation.h"
#include "bindings.h"

namespace kernels {
void bind_activation(py::module_& m) {
  m.def("sigmoid_forward", &sigmoid_forward, py::arg("x"), KERNELS_NOGIL);
  m.def("sigmoid_backward", &sigmoid_backward, py::arg("grad"), py::arg("y"), KERNELS_NOGIL);
  m.def("tanh_forward", &tanh_forward, py::arg("x"), KERNELS_NOGIL);
  m.def("tanh_backward", &tanh_backward, py::arg("grad"), py::arg("y"), KERNELS_NOGIL);
  m.def("relu_forward", &relu_forward, py::arg("x"), KERNELS_NOGIL);
  m.def("relu_backward", &relu_backward, py::arg("grad"), py::arg("x"), KERNELS_NOGIL);
  m.def("relu_", &relu_, py::arg("x"), KERNELS_NOGIL);
  m.def("leaky_relu_forward", &leaky_relu_forward, py::arg("x"), py::arg("negative_slope"),
        KERNELS_NOGIL);
  m.def("leaky_relu_backward", &leaky_relu_backward, py::arg("grad"), py::arg("x"),
        py::arg("negative_slope"), KERNELS_NOGIL);
  m.def("elu_forward", &elu_forward, py::arg("x"), py::arg("alpha"), KERNELS_NOGIL);
  m.def("elu_backward", &elu_backward, py::arg("grad"), py::arg("x"), py::arg("alpha"), KERNELS_NOGIL);
  m.def("softplus_forward", &softplus_forward, py::arg("x"), py::arg("beta"), py::arg("threshold"),
        KERNELS_NOGIL);
  m.def("softplus_backward", &softplus_backward, py::arg("grad"), py::arg("x"), py::arg("beta"),
        py::arg("threshold"), KERNELS_NOGIL);
  m.def("gelu_forward", &gelu_forward, py::arg("x"), py::arg("approximate"), KERNELS_NOGIL);
  m.def("gelu_backward", &gelu_backward, py::arg("grad"), py::arg("x"), py::arg("approximate"),
        KERNELS_NOGIL);
  m.def("silu_forward", &silu_forward, py::arg("x"), KERNELS_NOGIL);
  m.def("silu_backward", &silu_backward, py::arg("grad"), py::arg("x"), KERNELS_NOGIL);
  m.def("softmax_forward", &softmax_forward, py::arg("x"), py::arg("dim"), KERNELS_NOGIL);
  m.def("softmax_backward", &softmax_backward, py::arg("grad"), py::arg("y"), py::arg("dim"),
        KERNELS_NOGIL);
  m.def("log_softmax_forward", &log_softmax_forward, py::arg("x"), py::arg("dim"), KERNELS_NOGIL);
  m.def("log_softmax_backward", &log_softmax_backward, py::arg("grad"), py::arg("y"), py::arg("dim"),
        KERNELS_NOGIL);
}
}  // namespace kernels
