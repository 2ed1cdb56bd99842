#include "../ops/norm.h"
#include "bindings.h"

namespace kernels {
void bind_norm(py::module_& m) {
  const std::vector<bool> all{true, true, true};
  m.def("batch_norm_forward", &batch_norm_forward, py::arg("input"), py::arg("weight"), py::arg("bias"),
        py::arg("running_mean"), py::arg("running_var"), py::arg("training"), py::arg("momentum"),
        py::arg("eps"), KERNELS_NOGIL);
  m.def("batch_norm_backward", &batch_norm_backward, py::arg("grad"), py::arg("input"), py::arg("weight"),
        py::arg("save_mean"), py::arg("save_invstd"), py::arg("training"), py::arg("output_mask") = all,
        KERNELS_NOGIL);
  m.def("layer_norm_forward", &layer_norm_forward, py::arg("input"), py::arg("normalized_shape"),
        py::arg("weight"), py::arg("bias"), py::arg("eps"), KERNELS_NOGIL);
  m.def("layer_norm_backward", &layer_norm_backward, py::arg("grad"), py::arg("input"),
        py::arg("normalized_shape"), py::arg("weight"), py::arg("mean"), py::arg("rstd"),
        py::arg("output_mask") = all, KERNELS_NOGIL);
  m.def("group_norm_forward", &group_norm_forward, py::arg("input"), py::arg("num_groups"), py::arg("weight"),
        py::arg("bias"), py::arg("eps"), KERNELS_NOGIL);
  m.def("group_norm_backward", &group_norm_backward, py::arg("grad"), py::arg("input"), py::arg("num_groups"),
        py::arg("weight"), py::arg("mean"), py::arg("rstd"), py::arg("output_mask") = all, KERNELS_NOGIL);
}
}  // namespace kernels
