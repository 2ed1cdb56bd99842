#pragma once
#include "../common/tensor.h"

namespace kernels {
// Every random kernel fills `out` from the Philox stream (seed, call); see common/philox.h.
void uniform_cpu(Tensor& out, uint64_t seed, uint64_t call, double low, double high);
void normal_cpu(Tensor& out, uint64_t seed, uint64_t call, double mean, double std);
void randint_cpu(Tensor& out, uint64_t seed, uint64_t call, int64_t low, int64_t high);
void bernoulli_cpu(Tensor& out, uint64_t seed, uint64_t call, double p);
void randperm_cpu(Tensor& out, uint64_t seed, uint64_t call);
}  // namespace kernels
