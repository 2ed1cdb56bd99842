#include "../ops/embedding.h"
#include "bindings.h"

namespace kernels {
void bind_embedding(py::module_& m) {
  m.def("embedding_forward", &embedding_forward, py::arg("input"), py::arg("weight"), KERNELS_NOGIL);
  m.def("embedding_backward", &embedding_backward, py::arg("grad"), py::arg("input"),
        py::arg("num_embeddings"), py::arg("padding_idx"), KERNELS_NOGIL);
  m.def("one_hot", &one_hot, py::arg("input"), py::arg("num_classes"), KERNELS_NOGIL);
}
}  // namespace kernels
