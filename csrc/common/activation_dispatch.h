// The device-independent half of the pointwise activation entry points and of the pointwise
// losses: pick the scalar type from the dtype and the functor (csrc/common/activation_math.h) from
// the op, then hand both to the device's loops. Written once here; csrc/cpu/activation.cpp and
// csrc/cuda/activation.cu instantiate it with their own drivers, so both devices run the same
// functor for the same op and raise the same dtype errors.
//
// An activation `Loops` policy provides two static drivers over n contiguous elements (`op` is
// the name reported after a CUDA launch, `x` the tensor whose device the work runs on):
//   Loops::fwd(op, x, xp, o, n, f)        o[i] = f.fwd(xp[i])
//   Loops::bwd(op, g, gp, sp, d, n, f)    d[i] = f.bwd(gp[i], sp[i])
#pragma once
#include "../cpu/loss.h"  // PointLoss
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

// Calls body(functor) with the pointwise-loss functor of `kind` in scalar type T.
template <class T, class Body>
void with_point_loss(PointLoss kind, double param, const Body& body) {
  switch (kind) {
    case PointLoss::Mse: return body(MseLoss<T>{});
    case PointLoss::L1: return body(L1Loss<T>{});
    case PointLoss::SmoothL1: return body(SmoothL1Loss<T>{static_cast<T>(param)});
    case PointLoss::Huber: return body(HuberLoss<T>{static_cast<T>(param)});
    case PointLoss::Bce: return body(BceLoss<T>{});
    case PointLoss::BceWithLogits: return body(BceWithLogitsLoss<T>{});
    case PointLoss::KlDiv: return body(KlDivLoss<T>{});
    case PointLoss::KlDivLogTarget: return body(KlDivLogTargetLoss<T>{});
  }
}

}  // namespace kernels::act

// Defines the pointwise activation entry points <op>_forward_<DEV> / <op>_backward_<DEV> declared
// in csrc/cpu/activation.h and csrc/cuda/activation.h, each running through LOOPS.
#define KERNELS_DEFINE_POINTWISE_ACTIVATIONS(LOOPS, DEV)                                          \
  void sigmoid_forward_##DEV(const Tensor& x, Tensor& out) {                                      \
    act::map_forward<LOOPS, act::Sigmoid>("sigmoid", x, out);                                     \
  }                                                                                               \
  void sigmoid_backward_##DEV(const Tensor& grad, const Tensor& y, Tensor& dx) {                  \
    act::map_backward<LOOPS, act::Sigmoid>("sigmoid_backward", grad, y, dx);                      \
  }                                                                                               \
  void tanh_forward_##DEV(const Tensor& x, Tensor& out) {                                         \
    act::map_forward<LOOPS, act::Tanh>("tanh", x, out);                                           \
  }                                                                                               \
  void tanh_backward_##DEV(const Tensor& grad, const Tensor& y, Tensor& dx) {                     \
    act::map_backward<LOOPS, act::Tanh>("tanh_backward", grad, y, dx);                            \
  }                                                                                               \
  void relu_forward_##DEV(const Tensor& x, Tensor& out) {                                         \
    act::map_forward<LOOPS, act::Relu>("relu", x, out);                                           \
  }                                                                                               \
  void relu_backward_##DEV(const Tensor& grad, const Tensor& x, Tensor& dx) {                     \
    act::map_backward<LOOPS, act::Relu>("relu_backward", grad, x, dx);                            \
  }                                                                                               \
  void leaky_relu_forward_##DEV(const Tensor& x, double slope, Tensor& out) {                     \
    act::map_forward<LOOPS, act::LeakyRelu>("leaky_relu", x, out, slope);                         \
  }                                                                                               \
  void leaky_relu_backward_##DEV(const Tensor& grad, const Tensor& x, double slope, Tensor& dx) {  \
    act::map_backward<LOOPS, act::LeakyRelu>("leaky_relu_backward", grad, x, dx, slope);          \
  }                                                                                               \
  void elu_forward_##DEV(const Tensor& x, double alpha, Tensor& out) {                            \
    act::map_forward<LOOPS, act::Elu>("elu", x, out, alpha);                                      \
  }                                                                                               \
  void elu_backward_##DEV(const Tensor& grad, const Tensor& x, double alpha, Tensor& dx) {        \
    act::map_backward<LOOPS, act::Elu>("elu_backward", grad, x, dx, alpha);                       \
  }                                                                                               \
  void softplus_forward_##DEV(const Tensor& x, double beta, double threshold, Tensor& out) {      \
    act::map_forward<LOOPS, act::Softplus>("softplus", x, out, beta, threshold);                  \
  }                                                                                               \
  void softplus_backward_##DEV(const Tensor& grad, const Tensor& x, double beta,                  \
                               double threshold, Tensor& dx) {                                    \
    act::map_backward<LOOPS, act::Softplus>("softplus_backward", grad, x, dx, beta, threshold);   \
  }                                                                                               \
  void gelu_forward_##DEV(const Tensor& x, bool tanh_approx, Tensor& out) {                       \
    if (tanh_approx) act::map_forward<LOOPS, act::GeluTanh>("gelu", x, out);                      \
    else act::map_forward<LOOPS, act::Gelu>("gelu", x, out);                                      \
  }                                                                                               \
  void gelu_backward_##DEV(const Tensor& grad, const Tensor& x, bool tanh_approx, Tensor& dx) {   \
    if (tanh_approx) act::map_backward<LOOPS, act::GeluTanh>("gelu_backward", grad, x, dx);       \
    else act::map_backward<LOOPS, act::Gelu>("gelu_backward", grad, x, dx);                       \
  }                                                                                               \
  void silu_forward_##DEV(const Tensor& x, Tensor& out) {                                         \
    act::map_forward<LOOPS, act::Silu>("silu", x, out);                                           \
  }                                                                                               \
  void silu_backward_##DEV(const Tensor& grad, const Tensor& x, Tensor& dx) {                     \
    act::map_backward<LOOPS, act::Silu>("silu_backward", grad, x, dx);                            \
  }
