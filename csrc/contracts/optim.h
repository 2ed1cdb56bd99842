// Fused optimizer steps: the entry points both devices implement, with the hyper-parameter structs
// of csrc/common/optim_math.h. The maths is in csrc/cpu/optim.cpp's header comment.
#pragma once
#include "../common/optim_math.h"
#include "../common/tensor.h"
#include "entry_points.h"

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/optim.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_OPTIM_ENTRY_POINTS                                                                       \
  /* Fused optimizer steps: one pass over the parameter, in place on it and on its state tensors. */    \
  /* All tensors have the parameter's shape, dtype and device (checked in csrc/ops/optim.cpp); */       \
  /* optional state tensors are undefined Tensors when absent. */                                       \
  void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const optim::SgdHyper& h);  \
  void adagrad_step(Tensor& param, const Tensor& grad, Tensor& state_sum, const optim::AdagradHyper& h);\
  void rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& momentum_buffer,     \
                    Tensor& grad_avg, const optim::RmspropHyper& h);                                    \
  void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,                \
                 Tensor& max_exp_avg_sq, const optim::AdamHyper& h);                                    \
  void adadelta_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& acc_delta,          \
                     const optim::AdadeltaHyper& h);                                                    \
  void adamax_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_inf,                 \
                   const optim::AdamaxHyper& h);                                                        \
  void nadam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,               \
                  const optim::NadamHyper& h);                                                          \
  void radam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,               \
                  const optim::RadamHyper& h);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_OPTIM_ENTRY_POINTS)
