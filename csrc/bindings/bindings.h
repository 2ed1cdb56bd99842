// One bind function per op family; module.cpp calls them all.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace kernels {
void bind_tensor(py::module_& m);       // Tensor, dtype, device, NumPy and DLPack interop
void bind_copy(py::module_& m);         // casts, fills, strided copies
void bind_random(py::module_& m);       // Philox generator and random fills
void bind_runtime(py::module_& m);      // build info, CUDA queries
void bind_matmul(py::module_& m);       // matmul, linear
void bind_elementwise(py::module_& m);  // unary/binary/compare/where/clamp
void bind_reduce(py::module_& m);       // sum, mean, var, max, min, argmax, sum_to
void bind_shape(py::module_& m);        // cat, stack, split, index_select, gather, ...
void bind_activation(py::module_& m);   // sigmoid, tanh, relu, ..., softmax, log_softmax
void bind_dropout(py::module_& m);      // dropout, feature_dropout
void bind_loss(py::module_& m);         // cross_entropy, nll, mse, l1, smooth_l1, bce, kl_div
void bind_optim(py::module_& m);        // fused optimizer steps
void bind_conv(py::module_& m);         // conv1d, conv2d, conv_transpose1d, conv_transpose2d
void bind_norm(py::module_& m);         // batch_norm, layer_norm, group_norm
void bind_pool(py::module_& m);         // max/avg/adaptive pooling; bind_upsample: interpolate; bind_pad: pad
void bind_upsample(py::module_& m);
void bind_pad(py::module_& m);
void bind_rnn(py::module_& m);          // rnn/lstm/gru layers and cells
void bind_embedding(py::module_& m);    // embedding, one_hot
void bind_autograd(py::module_& m);     // grad mode flag, graph edges of an op's inputs

// Autograd state as bind_autograd keeps it, for the operators' fast paths (bind_elementwise).
bool grad_enabled();
bool tensor_requires_grad(py::handle t);  // a Tensor whose _requires_grad is set
}  // namespace kernels

// Every kernel entry point releases the GIL while it runs.
#define KERNELS_NOGIL py::call_guard<py::gil_scoped_release>()
