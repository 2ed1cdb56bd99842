#include "bindings.h"

namespace kernels {
void bind_optim(py::module_&) {}
}  // namespace kernels
