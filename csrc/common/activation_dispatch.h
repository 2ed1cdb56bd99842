// The device-independent half of the pointwise activation entry points: pick the scalar type
// from the dtype and the functor (csrc/common/activation_math.h) from the op, then hand both to
// the device's loops. Written once here; csrc/cpu/activation.cpp and
// csrc/cuda/activation.cu instantiate it with their own drivers, so both devices run the same
// functor for the same op and raise the same dtype errors.
//
// An activation `Loops` policy provides two static drivers over n contiguous elements (`op` is
// the name reported after a CUDA launch, `x` the tensor whose device the work runs on):
//   Loops::fwd(op, x, xp, o, n, f)        o[i] = f.fwd(xp[i])
//   Loops::bwd(op, g, gp, sp, d, n, f)    d[i] = f.bwd(gp[i], sp[i])
#pragma once
#include "activation_math.h"
#include "dispatch.h"
#include "tensor.h"

namespace kernels::act {

template <class Loops, template <class> class F, class... P>
void map_forward(const char* op, const Tensor& x, Tensor& out, P... params) {
  KERNELS_DISPATCH_FLOAT(x.dtype, op, [&] {
    const F<scalar_t> f{static_cast<scalar_t>(params)...};
    Loops::fwd(op, x, x.data<scalar_t>(), out.data<scalar_t>(), x.numel(), f);
  });
}

template <class Loops, template <class> class F, class... P>
void map_backward(const char* op, const Tensor& grad, const Tensor& saved, Tensor& dx, P... params) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, op, [&] {
    const F<scalar_t> f{static_cast<scalar_t>(params)...};
    Loops::bwd(op, grad, grad.data<scalar_t>(), saved.data<scalar_t>(), dx.data<scalar_t>(),
               grad.numel(), f);
  });
}

}  // namespace kernels::act

// Defines the pointwise activation entry points <op>_forward / <op>_backward of
// csrc/contracts/activation.h in the enclosing device namespace, each running through LOOPS.
#define KERNELS_DEFINE_POINTWISE_ACTIVATIONS(LOOPS)                                          \
  void sigmoid_forward(const Tensor& x, Tensor& out) {                                      \
    act::map_forward<LOOPS, act::Sigmoid>("sigmoid", x, out);                                     \
  }                                                                                               \
  void sigmoid_backward(const Tensor& grad, const Tensor& y, Tensor& dx) {                  \
    act::map_backward<LOOPS, act::Sigmoid>("sigmoid_backward", grad, y, dx);                      \
  }                                                                                               \
  void tanh_forward(const Tensor& x, Tensor& out) {                                         \
    act::map_forward<LOOPS, act::Tanh>("tanh", x, out);                                           \
  }                                                                                               \
  void tanh_backward(const Tensor& grad, const Tensor& y, Tensor& dx) {                     \
    act::map_backward<LOOPS, act::Tanh>("tanh_backward", grad, y, dx);                            \
  }                                                                                               \
  void relu_forward(const Tensor& x, Tensor& out) {                                         \
    act::map_forward<LOOPS, act::Relu>("relu", x, out);                                           \
  }                                                                                               \
  void relu_backward(const Tensor& grad, const Tensor& x, Tensor& dx) {                     \
    act::map_backward<LOOPS, act::Relu>("relu_backward", grad, x, dx);                            \
  }                                                                                               \
  void leaky_relu_forward(const Tensor& x, double slope, Tensor& out) {                     \
    act::map_forward<LOOPS, act::LeakyRelu>("leaky_relu", x, out, slope);                         \
  }                                                                                               \
  void leaky_relu_backward(const Tensor& grad, const Tensor& x, double slope, Tensor& dx) {  \
    act::map_backward<LOOPS, act::LeakyRelu>("leaky_relu_backward", grad, x, dx, slope);          \
  }                                                                                               \
  void elu_forward(const Tensor& x, double alpha, Tensor& out) {                            \
    act::map_forward<LOOPS, act::Elu>("elu", x, out, alpha);                                      \
  }                                                                                               \
  void elu_backward(const Tensor& grad, const Tensor& x, double alpha, Tensor& dx) {        \
    act::map_backward<LOOPS, act::Elu>("elu_backward", grad, x, dx, alpha);                       \
  }                                                                                               \
  void softplus_forward(const Tensor& x, double beta, double threshold, Tensor& out) {      \
    act::map_forward<LOOPS, act::Softplus>("softplus", x, out, beta, threshold);                  \
  }                                                                                               \
  void softplus_backward(const Tensor& grad, const Tensor& x, double beta,                  \
                               double threshold, Tensor& dx) {                                    \
    act::map_backward<LOOPS, act::Softplus>("softplus_backward", grad, x, dx, beta, threshold);   \
  }                                                                                               \
  void gelu_forward(const Tensor& x, bool tanh_approx, Tensor& out) {                       \
    if (tanh_approx) act::map_forward<LOOPS, act::GeluTanh>("gelu", x, out);                      \
    else act::map_forward<LOOPS, act::Gelu>("gelu", x, out);                                      \
  }                                                                                               \
  void gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approx, Tensor& dx) {   \
    if (tanh_approx) act::map_backward<LOOPS, act::GeluTanh>("gelu_backward", grad, x, dx);       \
    else act::map_backward<LOOPS, act::Gelu>("gelu_backward", grad, x, dx);                       \
  }                                                                                               \
  void silu_forward(const Tensor& x, Tensor& out) {                                         \
    act::map_forward<LOOPS, act::Silu>("silu", x, out);                                           \
  }                                                                                               \
  void silu_backward(const Tensor& grad, const Tensor& x, Tensor& dx) {                     \
    act::map_backward<LOOPS, act::Silu>("silu_backward", grad, x, dx);                            \
  }
