#include "../ops/pool.h"
#include "bindings.h"

namespace kernels {
void bind_pool(py::module_& m) {
  const auto window = [](py::module_& m, const char* fwd, const char* bwd, auto f, auto b) {
    m.def(fwd, f, py::arg("input"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
          py::arg("dilation"), py::arg("ceil_mode"), KERNELS_NOGIL);
    m.def(bwd, b, py::arg("grad"), py::arg("indices"), py::arg("input_shape"), py::arg("kernel_size"),
          py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"), KERNELS_NOGIL);
  };
  window(m, "max_pool2d_forward", "max_pool2d_backward", &max_pool2d_forward, &max_pool2d_backward);
  window(m, "max_pool1d_forward", "max_pool1d_backward", &max_pool1d_forward, &max_pool1d_backward);

  m.def("avg_pool2d_forward", &avg_pool2d_forward, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"), py::arg("count_include_pad"),
        py::arg("divisor_override"), KERNELS_NOGIL);
  m.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("grad"), py::arg("input_shape"),
        py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
        py::arg("count_include_pad"), py::arg("divisor_override"), KERNELS_NOGIL);
  m.def("avg_pool1d_forward", &avg_pool1d_forward, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"), py::arg("count_include_pad"),
        KERNELS_NOGIL);
  m.def("avg_pool1d_backward", &avg_pool1d_backward, py::arg("grad"), py::arg("input_shape"),
        py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
        py::arg("count_include_pad"), KERNELS_NOGIL);

  m.def("adaptive_avg_pool2d_forward", &adaptive_avg_pool2d_forward, py::arg("input"),
        py::arg("output_size"), KERNELS_NOGIL);
  m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, py::arg("grad"),
        py::arg("input_shape"), KERNELS_NOGIL);
  m.def("adaptive_avg_pool1d_forward", &adaptive_avg_pool1d_forward, py::arg("input"),
        py::arg("output_size"), KERNELS_NOGIL);
  m.def("adaptive_avg_pool1d_backward", &adaptive_avg_pool1d_backward, py::arg("grad"),
        py::arg("input_shape"), KERNELS_NOGIL);
  m.def("adaptive_max_pool2d_forward", &adaptive_max_pool2d_forward, py::arg("input"),
        py::arg("output_size"), KERNELS_NOGIL);
  m.def("adaptive_max_pool2d_backward", &adaptive_max_pool2d_backward, py::arg("grad"),
        py::arg("indices"), py::arg("input_shape"), KERNELS_NOGIL);
  m.def("adaptive_max_pool1d_forward", &adaptive_max_pool1d_forward, py::arg("input"),
        py::arg("output_size"), KERNELS_NOGIL);
  m.def("adaptive_max_pool1d_backward", &adaptive_max_pool1d_backward, py::arg("grad"),
        py::arg("indices"), py::arg("input_shape"), KERNELS_NOGIL);
}
}  // namespace kernels
