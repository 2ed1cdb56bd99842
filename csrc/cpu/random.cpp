// Random fills from the Philox stream; element i depends only on (seed, call, i), so the CUDA
// kernels in csrc/cuda/random.cu produce the same values.
//   uniform:   out[i] = low + (high - low) * U_i,  U_i in [0, 1)
//   normal:    out[i] = mean + std * Z_i
//   randint:   out[i] = low + floor-uniform in [0, high - low)
//   bernoulli: out[i] = U_i < p ? 1 : 0
//   randperm:  Fisher-Yates with swap j_k = below(k + 1) drawn from element k of the stream
#include "../contracts/random.h"

#include "../common/dispatch.h"
#include "../common/philox.h"
#include "parallel.h"

namespace kernels::cpu {

template <class F>
static void fill_each(Tensor& out, const char* op, F value_of) {
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(out.dtype, op, [&] {
    scalar_t* o = out.data<scalar_t>();
    parallel_for(out.numel(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = static_cast<scalar_t>(value_of(i, scalar_t{}));
    });
  });
}

void uniform(Tensor& out, uint64_t seed, uint64_t call, double low, double high) {
  fill_each(out, "rand", [&](int64_t i, auto tag) {
    using T = decltype(tag);
    if constexpr (sizeof(T) == 4) {
      const float u = philox_uniform<float>(seed, call, i);
      return static_cast<double>(scale_shift_rn(static_cast<float>(low), static_cast<float>(high - low), u));
    } else {
      return scale_shift_rn(low, high - low, philox_uniform<double>(seed, call, i));
    }
  });
}

void normal(Tensor& out, uint64_t seed, uint64_t call, double mean, double std) {
  fill_each(out, "randn", [&](int64_t i, auto) {
    return scale_shift_rn(mean, std, philox_normal<double>(seed, call, i));
  });
}

void randint(Tensor& out, uint64_t seed, uint64_t call, int64_t low, int64_t high) {
  const uint64_t range = static_cast<uint64_t>(high - low);
  int64_t* o = out.data<int64_t>();
  parallel_for(out.numel(), 4096, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      o[i] = low + static_cast<int64_t>(philox_below(seed, call, i, range));
  });
}

void bernoulli(Tensor& out, uint64_t seed, uint64_t call, double p) {
  fill_each(out, "bernoulli", [&](int64_t i, auto) {
    return philox_uniform<double>(seed, call, i) < p ? 1.0 : 0.0;
  });
}

void randperm(Tensor& out, uint64_t seed, uint64_t call) {
  int64_t* o = out.data<int64_t>();
  const int64_t n = out.numel();
  for (int64_t i = 0; i < n; ++i) o[i] = i;
  for (int64_t k = n - 1; k > 0; --k) {
    const int64_t j = static_cast<int64_t>(philox_below(seed, call, k, static_cast<uint64_t>(k + 1)));
    std::swap(o[k], o[j]);
  }
}

}  // namespace kernels::cpu
