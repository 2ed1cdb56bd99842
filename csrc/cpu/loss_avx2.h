// cross_entropy's float32 row loops with AVX2+FMA (loss_avx2.cpp); only called on CPUs that
// have them.
#pragma once
#include <cstdint>

namespace kernels::cpu::loss_avx2 {
float row_max_f32(const float* x, int64_t n);            // NaN if any x is NaN
double exp_sum_f32(const float* x, int64_t n, float m);  // sum exp(x - m), in double
// d[i] = scale * exp((x[i] - m) - ls)
void exp_scale_f32(const float* x, float* d, int64_t n, float m, float ls, float scale);
}  // namespace kernels::cpu::loss_avx2
