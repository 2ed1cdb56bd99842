#include "../ops/rnn.h"
#include "bindings.h"

namespace kernels {
void bind_rnn(py::module_& m) {
  // Layers: one layer, every direction.
  m.def("lstm_forward", &lstm_forward, py::arg("input"), py::arg("batch_sizes"), py::arg("batch_first"),
        py::arg("h0"), py::arg("c0"), py::arg("weights"), KERNELS_NOGIL);
  m.def("lstm_backward", &lstm_backward, py::arg("grad_output"), py::arg("grad_hn"), py::arg("grad_cn"),
        py::arg("input"), py::arg("batch_sizes"), py::arg("batch_first"), py::arg("c0"), py::arg("weights"),
        py::arg("workspace"), py::arg("output_mask"), KERNELS_NOGIL);
#define KERNELS_BIND_SIMPLE_LAYER(NAME)                                                                    \
  m.def(#NAME "_forward", &NAME##_forward, py::arg("input"), py::arg("batch_sizes"), py::arg("batch_first"), \
        py::arg("h0"), py::arg("weights"), KERNELS_NOGIL);                                                 \
  m.def(#NAME "_backward", &NAME##_backward, py::arg("grad_output"), py::arg("grad_hn"), py::arg("input"), \
        py::arg("batch_sizes"), py::arg("batch_first"), py::arg("weights"), py::arg("workspace"),          \
        py::arg("output_mask"), KERNELS_NOGIL);
  KERNELS_BIND_SIMPLE_LAYER(gru)
  KERNELS_BIND_SIMPLE_LAYER(rnn_tanh)
  KERNELS_BIND_SIMPLE_LAYER(rnn_relu)
#undef KERNELS_BIND_SIMPLE_LAYER

  // Cells: one step.
  m.def("lstm_cell_forward", &lstm_cell_forward, py::arg("input"), py::arg("hx"), py::arg("cx"),
        py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih"), py::arg("b_hh"), KERNELS_NOGIL);
  m.def("lstm_cell_backward", &lstm_cell_backward, py::arg("grad_hy"), py::arg("grad_cy"), py::arg("input"),
        py::arg("cx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih"), py::arg("b_hh"), py::arg("workspace"),
        py::arg("output_mask"), KERNELS_NOGIL);
#define KERNELS_BIND_SIMPLE_CELL(NAME)                                                                      \
  m.def(#NAME "_cell_forward", &NAME##_cell_forward, py::arg("input"), py::arg("hx"), py::arg("w_ih"),     \
        py::arg("w_hh"), py::arg("b_ih"), py::arg("b_hh"), KERNELS_NOGIL);                                 \
  m.def(#NAME "_cell_backward", &NAME##_cell_backward, py::arg("grad_hy"), py::arg("input"), py::arg("w_ih"), \
        py::arg("w_hh"), py::arg("b_ih"), py::arg("b_hh"), py::arg("workspace"), py::arg("output_mask"),   \
        KERNELS_NOGIL);
  KERNELS_BIND_SIMPLE_CELL(gru)
  KERNELS_BIND_SIMPLE_CELL(rnn_tanh)
  KERNELS_BIND_SIMPLE_CELL(rnn_relu)
#undef KERNELS_BIND_SIMPLE_CELL
}
}  // namespace kernels
