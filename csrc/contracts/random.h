// Random fills from the counter-based Philox stream of csrc/common/philox.h: the entry points both
// devices implement, so a seed gives the same numbers on the CPU and on CUDA.
#pragma once
#include "../common/tensor.h"
#include "entry_points.h"

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/random.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_RANDOM_ENTRY_POINTS                                                               \
  /* Every random kernel fills `out` from the Philox stream (seed, call); see common/philox.h. */ \
  void uniform(Tensor& out, uint64_t seed, uint64_t call, double low, double high);               \
  void normal(Tensor& out, uint64_t seed, uint64_t call, double mean, double std);                \
  void randint(Tensor& out, uint64_t seed, uint64_t call, int64_t low, int64_t high);             \
  void bernoulli(Tensor& out, uint64_t seed, uint64_t call, double p);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_RANDOM_ENTRY_POINTS)

// CPU only: a permutation is drawn on the CPU and copied to the tensor's device.
namespace kernels::cpu {
void randperm(Tensor& out, uint64_t seed, uint64_t call);
}  // namespace kernels::cpu
