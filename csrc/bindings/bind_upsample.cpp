#include "../ops/upsample.h"
#include "bindings.h"

namespace kernels {
void bind_upsample(py::module_& m) {
  m.def("upsample_nearest2d_forward", &upsample_nearest2d_forward, py::arg("input"),
        py::arg("output_size"), py::arg("scales"), KERNELS_NOGIL);
  m.def("upsample_nearest2d_backward", &upsample_nearest2d_backward, py::arg("grad"),
        py::arg("input_shape"), py::arg("output_size"), py::arg("scales"), KERNELS_NOGIL);
  m.def("upsample_nearest1d_forward", &upsample_nearest1d_forward, py::arg("input"),
        py::arg("output_size"), py::arg("scales"), KERNELS_NOGIL);
  m.def("upsample_nearest1d_backward", &upsample_nearest1d_backward, py::arg("grad"),
        py::arg("input_shape"), py::arg("output_size"), py::arg("scales"), KERNELS_NOGIL);
  m.def("upsample_bilinear2d_forward", &upsample_bilinear2d_forward, py::arg("input"),
        py::arg("output_size"), py::arg("align_corners"), py::arg("scales"), KERNELS_NOGIL);
  m.def("upsample_bilinear2d_backward", &upsample_bilinear2d_backward, py::arg("grad"),
        py::arg("input_shape"), py::arg("output_size"), py::arg("align_corners"), py::arg("scales"),
        KERNELS_NOGIL);
  m.def("upsample_linear1d_forward", &upsample_linear1d_forward, py::arg("input"),
        py::arg("output_size"), py::arg("align_corners"), py::arg("scales"), KERNELS_NOGIL);
  m.def("upsample_linear1d_backward", &upsample_linear1d_backward, py::arg("grad"),
        py::arg("input_shape"), py::arg("output_size"), py::arg("align_corners"), py::arg("scales"),
        KERNELS_NOGIL);
}
}  // namespace kernels
