#include "../common/check.h"
#include "bindings.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "kernels: hand-written CPU and CUDA kernels";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const kernels::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const kernels::OutOfMemory& e) {
      PyErr_SetString(PyExc_MemoryError, e.what());
    }
  });
  kernels::bind_tensor(m);
  kernels::bind_copy(m);
  kernels::bind_random(m);
  kernels::bind_runtime(m);
  kernels::bind_matmul(m);
  kernels::bind_elementwise(m);
  kernels::bind_reduce(m);
  kernels::bind_shape(m);
  kernels::bind_activation(m);
  kernels::bind_dropout(m);
  kernels::bind_loss(m);
  kernels::bind_optim(m);
  kernels::bind_conv(m);
  kernels::bind_norm(m);
  kernels::bind_pool(m);
  kernels::bind_upsample(m);
  kernels::bind_pad(m);
  kernels::bind_rnn(m);
  kernels::bind_embedding(m);
  kernels::bind_autograd(m);
}
