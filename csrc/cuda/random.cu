// Random fills on CUDA: the same (seed, call, i) -> value maps as csrc/cpu/random.cpp.
#include "../common/dispatch.h"
#include "../common/philox.h"
#include "cuda_utils.cuh"
#include "../contracts/random.h"

namespace kernels::cuda {

template <class T>
__global__ void uniform_kernel(T* o, int64_t n, uint64_t seed, uint64_t call, double low, double high) {
  CUDA_KERNEL_LOOP(i, n) {
    if constexpr (sizeof(T) == 4) {
      o[i] = scale_shift_rn(static_cast<float>(low), static_cast<float>(high - low),
                            philox_uniform<float>(seed, call, i));
    } else {
      o[i] = static_cast<T>(scale_shift_rn(low, high - low, philox_uniform<double>(seed, call, i)));
    }
  }
}

template <class T>
__global__ void normal_kernel(T* o, int64_t n, uint64_t seed, uint64_t call, double mean, double std) {
  CUDA_KERNEL_LOOP(i, n) o[i] = static_cast<T>(scale_shift_rn(mean, std, philox_normal<double>(seed, call, i)));
}

__global__ void randint_kernel(int64_t* o, int64_t n, uint64_t seed, uint64_t call, int64_t low,
                               uint64_t range) {
  CUDA_KERNEL_LOOP(i, n) o[i] = low + static_cast<int64_t>(philox_below(seed, call, i, range));
}

template <class T>
__global__ void bernoulli_kernel(T* o, int64_t n, uint64_t seed, uint64_t call, double p) {
  CUDA_KERNEL_LOOP(i, n) o[i] = static_cast<T>(philox_uniform<double>(seed, call, i) < p ? 1 : 0);
}

void uniform(Tensor& out, uint64_t seed, uint64_t call, double low, double high) {
  const int64_t n = out.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(out.dtype, "rand", [&] {
    uniform_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(out.data<scalar_t>(), n, seed, call, low, high);
  });
  cuda::check_launch("rand");
}

void normal(Tensor& out, uint64_t seed, uint64_t call, double mean, double std) {
  const int64_t n = out.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(out.dtype, "randn", [&] {
    normal_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(out.data<scalar_t>(), n, seed, call, mean, std);
  });
  cuda::check_launch("randn");
}

void randint(Tensor& out, uint64_t seed, uint64_t call, int64_t low, int64_t high) {
  const int64_t n = out.numel();
  if (!n) return;
  randint_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(out.data<int64_t>(), n, seed, call, low,
                                                      static_cast<uint64_t>(high - low));
  cuda::check_launch("randint");
}

void bernoulli(Tensor& out, uint64_t seed, uint64_t call, double p) {
  const int64_t n = out.numel();
  if (!n) return;
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(out.dtype, "bernoulli", [&] {
    bernoulli_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(out.data<scalar_t>(), n, seed, call, p);
  });
  cuda::check_launch("bernoulli");
}

}  // namespace kernels::cuda
