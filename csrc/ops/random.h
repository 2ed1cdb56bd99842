#pragma once
#include <utility>
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// One process-wide Philox generator: a seed and a call counter that every random op advances.
void manual_seed(uint64_t seed);
uint64_t initial_seed();
// (seed, calls so far): restoring it continues the exact random stream (checkpoints).
std::pair<uint64_t, uint64_t> get_rng_state();
void set_rng_state(uint64_t seed, uint64_t call);
// For fused random kernels in other families (dropout): the current seed, and the next call
// number of the stream (advances the counter by one).
uint64_t current_seed();
uint64_t next_random_call();
Tensor rand(const std::vector<int64_t>& shape, double low, double high, DType dtype, Device device);
Tensor randn(const std::vector<int64_t>& shape, double mean, double std, DType dtype, Device device);
Tensor randint(int64_t low, int64_t high, const std::vector<int64_t>& shape, Device device);
Tensor bernoulli(const std::vector<int64_t>& shape, double p, DType dtype, Device device);
Tensor randperm(int64_t n, Device device);
}  // namespace kernels
