#include "random.h"

#include <atomic>
#include <cmath>

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/random.h"
#include "copy.h"

namespace kernels {

namespace {
constexpr uint64_t kDefaultSeed = 67280421310721ULL;  // torch's default, for familiarity
std::atomic<uint64_t> g_seed{kDefaultSeed};
std::atomic<uint64_t> g_call{0};

uint64_t next_call() { return g_call.fetch_add(1); }

void check_shape(const char* op, const std::vector<int64_t>& shape) {
  for (auto s : shape) KCHECK(s >= 0, op, ": negative dimension in shape ", shape_str(shape));
}
}  // namespace

void manual_seed(uint64_t seed) {
  g_seed = seed;
  g_call = 0;
}
uint64_t initial_seed() { return g_seed; }
std::pair<uint64_t, uint64_t> get_rng_state() { return {g_seed.load(), g_call.load()}; }
void set_rng_state(uint64_t seed, uint64_t call) {
  g_seed = seed;
  g_call = call;
}
uint64_t current_seed() { return g_seed; }
uint64_t next_random_call() { return next_call(); }

Tensor rand(const std::vector<int64_t>& shape, double low, double high, DType dtype, Device device) {
  check_shape("rand", shape);
  KCHECK_TYPE(is_floating(dtype), "rand: dtype must be float32 or float64, got ", dtype_name(dtype));
  KCHECK(std::isfinite(low) && std::isfinite(high) && low <= high,
         "rand: expected finite low <= high, got low=", low, ", high=", high);
  Tensor out = Tensor::empty(shape, dtype, device);
  const uint64_t seed = g_seed, call = next_call();
  KERNELS_ROUTE(out, "rand", uniform, out, seed, call, low, high);
  return out;
}

Tensor randn(const std::vector<int64_t>& shape, double mean, double std, DType dtype, Device device) {
  check_shape("randn", shape);
  KCHECK_TYPE(is_floating(dtype), "randn: dtype must be float32 or float64, got ", dtype_name(dtype));
  KCHECK(std::isfinite(mean) && std::isfinite(std) && std >= 0,
         "randn: expected finite mean and std >= 0, got mean=", mean, ", std=", std);
  Tensor out = Tensor::empty(shape, dtype, device);
  const uint64_t seed = g_seed, call = next_call();
  KERNELS_ROUTE(out, "randn", normal, out, seed, call, mean, std);
  return out;
}

Tensor randint(int64_t low, int64_t high, const std::vector<int64_t>& shape, Device device) {
  check_shape("randint", shape);
  KCHECK(low < high, "randint: expected low < high, got low=", low, ", high=", high);
  Tensor out = Tensor::empty(shape, DType::Int64, device);
  const uint64_t seed = g_seed, call = next_call();
  KERNELS_ROUTE(out, "randint", randint, out, seed, call, low, high);
  return out;
}

Tensor bernoulli(const std::vector<int64_t>& shape, double p, DType dtype, Device device) {
  check_shape("bernoulli", shape);
  KCHECK(p >= 0 && p <= 1, "bernoulli: probability must be in [0, 1], got ", p);
  Tensor out = Tensor::empty(shape, dtype, device);
  const uint64_t seed = g_seed, call = next_call();
  KERNELS_ROUTE(out, "bernoulli", bernoulli, out, seed, call, p);
  return out;
}

Tensor randperm(int64_t n, Device device) {
  KCHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  // The shuffle is sequential; it runs on the host for every device so both give one permutation.
  Tensor out = Tensor::empty({n}, DType::Int64, Device{});
  cpu::randperm(out, g_seed, next_call());
  return device.is_cpu() ? out : to_device(out, device);
}

}  // namespace kernels
