#include <pybind11/stl.h>

#include "../ops/elementwise.h"
#include "bindings.h"

namespace kernels {

namespace {

using BinaryKernel = Tensor (*)(const Tensor&, const Tensor&);

// Tensor.__add__ and friends, for what most operator calls are: two float tensors of one dtype.
// With nothing to record (grad mode off, or neither needs a gradient) they go straight to the
// kernel; with a graph to record, straight to the op's autograd Function (`record`, e.g.
// Add.apply), as the Python operator would send them. Anything else (numbers, promotion, a wrong
// type) goes to that Python operator, `general`.
void install_fast_operator(py::handle cls, const char* name, BinaryKernel kernel, py::object record) {
  py::object general = cls.attr(name);
  auto* tensor_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  auto op = [kernel, general, record, tensor_type](py::handle self, py::handle other) -> py::object {
    if (!PyObject_TypeCheck(other.ptr(), tensor_type)) return general(self, other);
    const Tensor& a = self.cast<const Tensor&>();
    const Tensor& b = other.cast<const Tensor&>();
    if (a.dtype != b.dtype || !is_floating(a.dtype)) return general(self, other);
    if (grad_enabled() && (tensor_requires_grad(self) || tensor_requires_grad(other)))
      return record(self, other);
    Tensor out;
    {
      py::gil_scoped_release nogil;
      out = kernel(a, b);
    }
    return py::cast(std::move(out));
  };
  py::setattr(cls, name, py::cpp_function(op, py::name(name), py::is_method(cls), py::arg("other")));
}

}  // namespace

void bind_elementwise(py::module_& m) {
  // Called once by python/kernels/tensor.py, after it has put the Python operators on Tensor;
  // records maps "__add__" ... to the Functions' apply (Add.apply ...).
  m.def("_install_fast_operators", [](py::handle cls, py::dict records) {
    for (auto [name, kernel] : {std::pair<const char*, BinaryKernel>{"__add__", &add_forward},
                                {"__sub__", &sub_forward}, {"__mul__", &mul_forward},
                                {"__truediv__", &div_forward}})
      install_fast_operator(cls, name, kernel, records[name]);
  }, py::arg("cls"), py::arg("records"));
  m.def("broadcast_shapes", py::overload_cast<const std::vector<int64_t>&, const std::vector<int64_t>&>(&broadcast_shapes),
        py::arg("a"), py::arg("b"));
  m.def("sum_to", &sum_to, py::arg("t"), py::arg("shape"), KERNELS_NOGIL);

  // binary, tensor-tensor
#define BIND_BINARY(name)                                                                  \
  m.def(#name "_forward", &name##_forward, py::arg("a"), py::arg("b"), KERNELS_NOGIL);
  BIND_BINARY(add)
  BIND_BINARY(sub)
  BIND_BINARY(mul)
  BIND_BINARY(div)
  BIND_BINARY(pow)
  BIND_BINARY(maximum)
  BIND_BINARY(minimum)
  BIND_BINARY(eq)
  BIND_BINARY(ne)
  BIND_BINARY(lt)
  BIND_BINARY(le)
  BIND_BINARY(gt)
  BIND_BINARY(ge)
  BIND_BINARY(logical_and)
  BIND_BINARY(logical_or)
#undef BIND_BINARY
  m.def("add_backward", &add_backward, py::arg("grad"), py::arg("a_shape"), py::arg("b_shape"),
        py::arg("need_a") = true, py::arg("need_b") = true, KERNELS_NOGIL);
  m.def("sub_backward", &sub_backward, py::arg("grad"), py::arg("a_shape"), py::arg("b_shape"),
        py::arg("need_a") = true, py::arg("need_b") = true, KERNELS_NOGIL);
#define BIND_BINARY_BACKWARD(name)                                                         \
  m.def(#name "_backward", &name##_backward, py::arg("grad"), py::arg("a"), py::arg("b"),    \
        py::arg("need_a") = true, py::arg("need_b") = true, KERNELS_NOGIL);
  BIND_BINARY_BACKWARD(mul)
  BIND_BINARY_BACKWARD(div)
  BIND_BINARY_BACKWARD(pow)
  BIND_BINARY_BACKWARD(maximum)
  BIND_BINARY_BACKWARD(minimum)
#undef BIND_BINARY_BACKWARD

  // tensor-scalar
#define BIND_SCALAR(name)                                                                  \
  m.def(#name "_scalar_forward", &name##_scalar_forward, py::arg("a"), py::arg("s"), KERNELS_NOGIL);
  BIND_SCALAR(add)
  BIND_SCALAR(mul)
  BIND_SCALAR(rsub)
  BIND_SCALAR(div)
  BIND_SCALAR(rdiv)
  BIND_SCALAR(pow)
  BIND_SCALAR(rpow)
  BIND_SCALAR(eq)
  BIND_SCALAR(ne)
  BIND_SCALAR(lt)
  BIND_SCALAR(le)
  BIND_SCALAR(gt)
  BIND_SCALAR(ge)
#undef BIND_SCALAR
  m.def("rdiv_scalar_backward", &rdiv_scalar_backward, py::arg("grad"), py::arg("a"), py::arg("s"), KERNELS_NOGIL);
  m.def("pow_scalar_backward", &pow_scalar_backward, py::arg("grad"), py::arg("a"), py::arg("s"), KERNELS_NOGIL);
  m.def("rpow_scalar_backward", &rpow_scalar_backward, py::arg("grad"), py::arg("a"), py::arg("s"), KERNELS_NOGIL);

  // unary
#define BIND_UNARY(name) m.def(#name "_forward", &name##_forward, py::arg("x"), KERNELS_NOGIL);
  BIND_UNARY(neg)
  BIND_UNARY(abs)
  BIND_UNARY(sign)
  BIND_UNARY(exp)
  BIND_UNARY(log)
  BIND_UNARY(sqrt)
  BIND_UNARY(log1p)
  BIND_UNARY(expm1)
  BIND_UNARY(sin)
  BIND_UNARY(cos)
  BIND_UNARY(logical_not)
#undef BIND_UNARY
  m.def("neg_backward", &neg_backward, py::arg("grad"), KERNELS_NOGIL);
  m.def("exp_backward", &exp_backward, py::arg("grad"), py::arg("out"), KERNELS_NOGIL);
  m.def("log_backward", &log_backward, py::arg("grad"), py::arg("x"), KERNELS_NOGIL);
  m.def("sqrt_backward", &sqrt_backward, py::arg("grad"), py::arg("out"), KERNELS_NOGIL);
  m.def("abs_backward", &abs_backward, py::arg("grad"), py::arg("x"), KERNELS_NOGIL);
  m.def("log1p_backward", &log1p_backward, py::arg("grad"), py::arg("x"), KERNELS_NOGIL);
  m.def("expm1_backward", &expm1_backward, py::arg("grad"), py::arg("out"), KERNELS_NOGIL);
  m.def("sin_backward", &sin_backward, py::arg("grad"), py::arg("x"), KERNELS_NOGIL);
  m.def("cos_backward", &cos_backward, py::arg("grad"), py::arg("x"), KERNELS_NOGIL);
  m.def("clamp_forward", &clamp_forward, py::arg("x"), py::arg("min") = py::none(),
        py::arg("max") = py::none(), KERNELS_NOGIL);
  m.def("clamp_backward", &clamp_backward, py::arg("grad"), py::arg("x"), py::arg("min") = py::none(),
        py::arg("max") = py::none(), KERNELS_NOGIL);

  // where
  m.def("where_forward", &where_forward, py::arg("cond"), py::arg("a"), py::arg("b"), KERNELS_NOGIL);
  m.def("where_backward", &where_backward, py::arg("grad"), py::arg("cond"), py::arg("a_shape"),
        py::arg("b_shape"), py::arg("need_a") = true, py::arg("need_b") = true, KERNELS_NOGIL);

  // in place
  m.def("add_", &add_, py::arg("self"), py::arg("other"), KERNELS_NOGIL);
  m.def("sub_", &sub_, py::arg("self"), py::arg("other"), KERNELS_NOGIL);
  m.def("mul_", &mul_, py::arg("self"), py::arg("other"), KERNELS_NOGIL);
  m.def("div_", &div_, py::arg("self"), py::arg("other"), KERNELS_NOGIL);
  m.def("add_scalar_", &add_scalar_, py::arg("self"), py::arg("s"), KERNELS_NOGIL);
  m.def("mul_scalar_", &mul_scalar_, py::arg("self"), py::arg("s"), KERNELS_NOGIL);
  m.def("div_scalar_", &div_scalar_, py::arg("self"), py::arg("s"), KERNELS_NOGIL);
  m.def("fill_", py::overload_cast<const Tensor&, int64_t>(&fill_), py::arg("self"), py::arg("value"),
        KERNELS_NOGIL);
  m.def("fill_", py::overload_cast<const Tensor&, double>(&fill_), py::arg("self"), py::arg("value"),
        KERNELS_NOGIL);
  m.def("copy_", &copy_, py::arg("self"), py::arg("src"), KERNELS_NOGIL);
}
}  // namespace kernels
