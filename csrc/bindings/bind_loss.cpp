#include "../ops/loss.h"
#include "bindings.h"

namespace kernels {
void bind_loss(py::module_& m) {
  const std::vector<bool> both{true, true};
  m.def("cross_entropy_forward", &cross_entropy_forward, py::arg("input"), py::arg("target"),
        py::arg("weight"), py::arg("ignore_index"), py::arg("reduction"), py::arg("label_smoothing"),
        KERNELS_NOGIL);
  m.def("cross_entropy_backward", &cross_entropy_backward, py::arg("grad"), py::arg("input"),
        py::arg("target"), py::arg("weight"), py::arg("lse"), py::arg("totals"),
        py::arg("ignore_index"), py::arg("reduction"), py::arg("label_smoothing"), KERNELS_NOGIL);
  m.def("nll_loss_forward", &nll_loss_forward, py::arg("input"), py::arg("target"), py::arg("weight"),
        py::arg("ignore_index"), py::arg("reduction"), KERNELS_NOGIL);
  m.def("nll_loss_backward", &nll_loss_backward, py::arg("grad"), py::arg("input"), py::arg("target"),
        py::arg("weight"), py::arg("totals"), py::arg("ignore_index"), py::arg("reduction"),
        KERNELS_NOGIL);
  m.def("mse_loss_forward", &mse_loss_forward, py::arg("input"), py::arg("target"),
        py::arg("reduction"), KERNELS_NOGIL);
  m.def("mse_loss_backward", &mse_loss_backward, py::arg("grad"), py::arg("input"), py::arg("target"),
        py::arg("reduction"), py::arg("output_mask") = both, KERNELS_NOGIL);
  m.def("l1_loss_forward", &l1_loss_forward, py::arg("input"), py::arg("target"), py::arg("reduction"),
        KERNELS_NOGIL);
  m.def("l1_loss_backward", &l1_loss_backward, py::arg("grad"), py::arg("input"), py::arg("target"),
        py::arg("reduction"), py::arg("output_mask") = both, KERNELS_NOGIL);
  m.def("smooth_l1_loss_forward", &smooth_l1_loss_forward, py::arg("input"), py::arg("target"),
        py::arg("reduction"), py::arg("beta"), KERNELS_NOGIL);
  m.def("smooth_l1_loss_backward", &smooth_l1_loss_backward, py::arg("grad"), py::arg("input"),
        py::arg("target"), py::arg("reduction"), py::arg("beta"), py::arg("output_mask") = both,
        KERNELS_NOGIL);
  m.def("huber_loss_forward", &huber_loss_forward, py::arg("input"), py::arg("target"),
        py::arg("reduction"), py::arg("delta"), KERNELS_NOGIL);
  m.def("huber_loss_backward", &huber_loss_backward, py::arg("grad"), py::arg("input"),
        py::arg("target"), py::arg("reduction"), py::arg("delta"), py::arg("output_mask") = both,
        KERNELS_NOGIL);
  m.def("binary_cross_entropy_forward", &binary_cross_entropy_forward, py::arg("input"),
        py::arg("target"), py::arg("weight"), py::arg("reduction"), KERNELS_NOGIL);
  m.def("binary_cross_entropy_backward", &binary_cross_entropy_backward, py::arg("grad"),
        py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("reduction"),
        py::arg("output_mask") = both, KERNELS_NOGIL);
  m.def("binary_cross_entropy_with_logits_forward", &binary_cross_entropy_with_logits_forward,
        py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("pos_weight"),
        py::arg("reduction"), KERNELS_NOGIL);
  m.def("binary_cross_entropy_with_logits_backward", &binary_cross_entropy_with_logits_backward,
        py::arg("grad"), py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("pos_weight"),
        py::arg("reduction"), py::arg("output_mask") = both, KERNELS_NOGIL);
  m.def("kl_div_forward", &kl_div_forward, py::arg("input"), py::arg("target"), py::arg("reduction"),
        py::arg("log_target"), KERNELS_NOGIL);
  m.def("kl_div_backward", &kl_div_backward, py::arg("grad"), py::arg("input"), py::arg("target"),
        py::arg("reduction"), py::arg("log_target"), py::arg("output_mask") = both, KERNELS_NOGIL);
}
}  // namespace kernels
