// Fused optimizer steps on CUDA: one grid-stride kernel launch per parameter per step, in place
// on the parameter and its state tensors. The maths is in csrc/cpu/optim.cpp's header comment;
// the per-element functions are csrc/common/optim_math.h, shared with the CPU loops.
#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "../contracts/optim.h"

namespace kernels::cuda {

using namespace optim;

template <bool WD, bool MOMENTUM, bool NESTEROV, bool FIRST, class T>
__global__ void sgd_step_kernel(T* p, const T* g, T* buf, int64_t n, SgdScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) sgd_update<WD, MOMENTUM, NESTEROV, FIRST>(p, g, buf, i, s);
}

template <bool WD, class T>
__global__ void adagrad_step_kernel(T* p, const T* g, T* sum, int64_t n, AdagradScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) adagrad_update<WD>(p, g, sum, i, s);
}

template <bool WD, bool MOMENTUM, bool CENTERED, class T>
__global__ void rmsprop_step_kernel(T* p, const T* g, T* sq, T* buf, T* ga, int64_t n,
                                    RmspropScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) rmsprop_update<WD, MOMENTUM, CENTERED>(p, g, sq, buf, ga, i, s);
}

template <bool WD, bool DECOUPLED, bool AMSGRAD, class T>
__global__ void adam_step_kernel(T* p, const T* g, T* m, T* v, T* vmax, int64_t n,
                                 AdamScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) adam_update<WD, DECOUPLED, AMSGRAD>(p, g, m, v, vmax, i, s);
}

template <bool WD, class T>
__global__ void adadelta_step_kernel(T* p, const T* g, T* sq, T* acc, int64_t n,
                                     AdadeltaScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) adadelta_update<WD>(p, g, sq, acc, i, s);
}

template <bool WD, class T>
__global__ void adamax_step_kernel(T* p, const T* g, T* m, T* u, int64_t n, AdamaxScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) adamax_update<WD>(p, g, m, u, i, s);
}

template <bool WD, bool DECOUPLED, class T>
__global__ void nadam_step_kernel(T* p, const T* g, T* m, T* v, int64_t n, NadamScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) nadam_update<WD, DECOUPLED>(p, g, m, v, i, s);
}

template <bool WD, bool DECOUPLED, bool RECTIFY, class T>
__global__ void radam_step_kernel(T* p, const T* g, T* m, T* v, int64_t n, RadamScalars<T> s) {
  CUDA_KERNEL_LOOP(i, n) radam_update<WD, DECOUPLED, RECTIFY>(p, g, m, v, i, s);
}

void sgd_step(Tensor& param, const Tensor& grad, Tensor& buf, const SgdHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  const bool mom = h.momentum != 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "sgd_step", [&] {
    const SgdScalars<scalar_t> s(h);
    scalar_t* b = mom ? buf.data<scalar_t>() : nullptr;
    with_flags(
        [&](auto wd, auto mo, auto ne, auto fi) {
          sgd_step_kernel<decltype(wd)::value, decltype(mo)::value, decltype(ne)::value,
                          decltype(fi)::value><<<cuda::grid_for(n), cuda::kBlock>>>(
              param.data<scalar_t>(), grad.data<scalar_t>(), b, n, s);
        },
        h.weight_decay != 0, mom, mom && h.nesterov, mom && h.first_step);
  });
  cuda::check_launch("sgd_step");
}

void adagrad_step(Tensor& param, const Tensor& grad, Tensor& state_sum, const AdagradHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(param.dtype, "adagrad_step", [&] {
    const AdagradScalars<scalar_t> s(h);
    with_flags(
        [&](auto wd) {
          adagrad_step_kernel<decltype(wd)::value><<<cuda::grid_for(n), cuda::kBlock>>>(
              param.data<scalar_t>(), grad.data<scalar_t>(), state_sum.data<scalar_t>(), n, s);
        },
        h.weight_decay != 0);
  });
  cuda::check_launch("adagrad_step");
}

void rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& buf,
                       Tensor& grad_avg, const RmspropHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  const bool mom = h.momentum > 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "rmsprop_step", [&] {
    const RmspropScalars<scalar_t> s(h);
    scalar_t* b = mom ? buf.data<scalar_t>() : nullptr;
    scalar_t* ga = h.centered ? grad_avg.data<scalar_t>() : nullptr;
    with_flags(
        [&](auto wd, auto mo, auto ce) {
          rmsprop_step_kernel<decltype(wd)::value, decltype(mo)::value, decltype(ce)::value>
              <<<cuda::grid_for(n), cuda::kBlock>>>(param.data<scalar_t>(), grad.data<scalar_t>(),
                                                    square_avg.data<scalar_t>(), b, ga, n, s);
        },
        h.weight_decay != 0, mom, h.centered);
  });
  cuda::check_launch("rmsprop_step");
}

void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                    Tensor& max_exp_avg_sq, const AdamHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  const bool decay = h.weight_decay != 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "adam_step", [&] {
    const AdamScalars<scalar_t> s(h);
    scalar_t* vmax = h.amsgrad ? max_exp_avg_sq.data<scalar_t>() : nullptr;
    with_flags(
        [&](auto wd, auto dec, auto ams) {
          adam_step_kernel<decltype(wd)::value, decltype(dec)::value, decltype(ams)::value>
              <<<cuda::grid_for(n), cuda::kBlock>>>(param.data<scalar_t>(), grad.data<scalar_t>(),
                                                    exp_avg.data<scalar_t>(),
                                                    exp_avg_sq.data<scalar_t>(), vmax, n, s);
        },
        decay && !h.decoupled_weight_decay, decay && h.decoupled_weight_decay, h.amsgrad);
  });
  cuda::check_launch("adam_step");
}

void adadelta_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& acc_delta,
                   const AdadeltaHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(param.dtype, "adadelta_step", [&] {
    const AdadeltaScalars<scalar_t> s(h);
    with_flags(
        [&](auto wd) {
          adadelta_step_kernel<decltype(wd)::value><<<cuda::grid_for(n), cuda::kBlock>>>(
              param.data<scalar_t>(), grad.data<scalar_t>(), square_avg.data<scalar_t>(),
              acc_delta.data<scalar_t>(), n, s);
        },
        h.weight_decay != 0);
  });
  cuda::check_launch("adadelta_step");
}

void adamax_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_inf,
                 const AdamaxHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(param.dtype, "adamax_step", [&] {
    const AdamaxScalars<scalar_t> s(h);
    with_flags(
        [&](auto wd) {
          adamax_step_kernel<decltype(wd)::value><<<cuda::grid_for(n), cuda::kBlock>>>(
              param.data<scalar_t>(), grad.data<scalar_t>(), exp_avg.data<scalar_t>(),
              exp_inf.data<scalar_t>(), n, s);
        },
        h.weight_decay != 0);
  });
  cuda::check_launch("adamax_step");
}

void nadam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                const NadamHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  const bool decay = h.weight_decay != 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "nadam_step", [&] {
    const NadamScalars<scalar_t> s(h);
    with_flags(
        [&](auto wd, auto dec) {
          nadam_step_kernel<decltype(wd)::value, decltype(dec)::value>
              <<<cuda::grid_for(n), cuda::kBlock>>>(param.data<scalar_t>(), grad.data<scalar_t>(),
                                                    exp_avg.data<scalar_t>(),
                                                    exp_avg_sq.data<scalar_t>(), n, s);
        },
        decay && !h.decoupled_weight_decay, decay && h.decoupled_weight_decay);
  });
  cuda::check_launch("nadam_step");
}

void radam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                const RadamHyper& h) {
  const int64_t n = param.numel();
  if (!n) return;
  const bool decay = h.weight_decay != 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "radam_step", [&] {
    const RadamScalars<scalar_t> s(h);
    with_flags(
        [&](auto wd, auto dec, auto rect) {
          radam_step_kernel<decltype(wd)::value, decltype(dec)::value, decltype(rect)::value>
              <<<cuda::grid_for(n), cuda::kBlock>>>(param.data<scalar_t>(), grad.data<scalar_t>(),
                                                    exp_avg.data<scalar_t>(),
                                                    exp_avg_sq.data<scalar_t>(), n, s);
        },
        decay && !h.decoupled_weight_decay, decay && h.decoupled_weight_decay, h.rectify);
  });
  cuda::check_launch("radam_step");
}

}  // namespace kernels::cuda
