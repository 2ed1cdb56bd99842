// The AVX2+FMA activation loops (activation_avx2.cpp); only called on CPUs that have them.
#pragma once
#include <cstdint>

namespace kernels::cpu::act_avx2 {
// y[i] = tanh(x[i]) for i < n, float32.
void tanh_f32(const float* x, float* y, int64_t n);
}  // namespace kernels::cpu::act_avx2
