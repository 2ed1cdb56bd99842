// The per-op bookkeeping of python/kernels/autograd.py that runs on every op, in C:
//   grad mode      a per-thread flag (torch's is_grad_enabled), read by every op
//   graph edges    which inputs of an op need a gradient and where each one's gradient goes
// The graph itself (Node, Context, the backward walk) stays in Python; these only take the
// interpreter's per-bytecode cost out of the loop that every recorded op runs over its inputs.
#include "../common/tensor.h"
#include "bindings.h"

namespace kernels {

namespace {

thread_local bool g_grad_enabled = true;  // each Python thread is its own OS thread

bool is_tensor(py::handle h) {
  static PyTypeObject* tensor_type = nullptr;
  if (!tensor_type) tensor_type = reinterpret_cast<PyTypeObject*>(py::type::of<Tensor>().ptr());
  return PyObject_TypeCheck(h.ptr(), tensor_type);
}

// getattr(t, name) with the name interned once (pybind11's .attr("...") builds a str per call).
py::object attr(py::handle t, PyObject*& name, const char* spelled) {
  if (!name) name = PyUnicode_InternFromString(spelled);
  PyObject* v = PyObject_GetAttr(t.ptr(), name);
  if (!v) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(v);
}

PyObject* k_requires_grad = nullptr;
PyObject* k_grad_fn = nullptr;
PyObject* k_output_nr = nullptr;
PyObject* k_shape = nullptr;
PyObject* k_view_epoch = nullptr;
PyObject* k_grad_epoch = nullptr;

// t._requires_grad (an instance attribute, or the class's default False).
bool requires_grad(py::handle t) {
  const int truth = PyObject_IsTrue(attr(t, k_requires_grad, "_requires_grad").ptr());
  if (truth < 0) throw py::error_already_set();
  return truth == 1;
}

}  // namespace

bool grad_enabled() { return g_grad_enabled; }

bool tensor_requires_grad(py::handle t) { return is_tensor(t) && requires_grad(t); }

void bind_autograd(py::module_& m) {
  m.def("_is_grad_enabled", [] { return g_grad_enabled; });
  m.def("_set_grad_enabled", [](bool on) { g_grad_enabled = on; }, py::arg("mode"));

  // For Function.apply: None when no input requires a gradient (nothing to record), else
  // (needs, edges, stale): needs[i] whether input i requires one, edges[i] None or
  // (grad_fn, output_nr, shape), a leaf's grad_fn being leaf_node(tensor) (AccumulateGrad), and
  // stale the index of the first input that is a view taken before an in-place op moved its base
  // in the graph (_view_epoch set and not its storage's _grad_epoch), or -1.
  m.def("_graph_edges", [](py::tuple args, py::handle leaf_node) -> py::object {
    const auto n = static_cast<py::ssize_t>(args.size());
    py::ssize_t first = -1;
    for (py::ssize_t i = 0; i < n && first < 0; ++i)
      if (tensor_requires_grad(args[i])) first = i;
    if (first < 0) return py::none();
    py::tuple needs(n), edges(n);
    py::ssize_t stale = -1;
    for (py::ssize_t i = 0; i < n; ++i) {
      py::handle a = args[i];
      if (stale < 0 && is_tensor(a)) {
        py::object epoch = attr(a, k_view_epoch, "_view_epoch");
        if (!epoch.is_none() && !epoch.equal(attr(a, k_grad_epoch, "_grad_epoch"))) stale = i;
      }
      const bool need = i == first || (i > first && tensor_requires_grad(a));
      needs[i] = py::bool_(need);
      if (!need) {
        edges[i] = py::none();
        continue;
      }
      py::object fn = attr(a, k_grad_fn, "grad_fn");
      py::object shape = attr(a, k_shape, "shape");
      if (fn.is_none())
        edges[i] = py::make_tuple(leaf_node(a), 0, shape);
      else
        edges[i] = py::make_tuple(fn, attr(a, k_output_nr, "_output_nr"), shape);
    }
    return py::make_tuple(needs, edges, stale);
  }, py::arg("args"), py::arg("leaf_node"));
}

}  // namespace kernels
