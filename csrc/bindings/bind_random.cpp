#include "../ops/random.h"
#include "bindings.h"

namespace kernels {
void bind_random(py::module_& m) {
  m.def("manual_seed", &manual_seed, py::arg("seed"));
  m.def("initial_seed", &initial_seed);
  m.def("get_rng_state", &get_rng_state);
  m.def("set_rng_state", &set_rng_state, py::arg("seed"), py::arg("call"));
  m.def("rand", &rand, py::arg("shape"), py::arg("low"), py::arg("high"), py::arg("dtype"),
        py::arg("device"), KERNELS_NOGIL);
  m.def("randn", &randn, py::arg("shape"), py::arg("mean"), py::arg("std"), py::arg("dtype"),
        py::arg("device"), KERNELS_NOGIL);
  m.def("randint", &randint, py::arg("low"), py::arg("high"), py::arg("shape"), py::arg("device"),
        KERNELS_NOGIL);
  m.def("bernoulli", &bernoulli, py::arg("shape"), py::arg("p"), py::arg("dtype"), py::arg("device"),
        KERNELS_NOGIL);
  m.def("randperm", &randperm, py::arg("n"), py::arg("device"), KERNELS_NOGIL);
}
}  // namespace kernels
