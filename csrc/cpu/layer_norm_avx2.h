// layer_norm's float32 row loops with AVX2+FMA (layer_norm_avx2.cpp); layer_norm.cpp calls them
// only when use_avx2() is true. The maths is in layer_norm_avx2.cpp's header comment.
#pragma once
#include <cstdint>

namespace kernels::cpu::ln_avx2 {

// mean = sum x / n, m2 = sum (x - mean)^2, both in double (n > 0).
void row_moments(const float* x, int64_t n, double& mean, double& m2);

// y = ((x - hi) - lo) r w + b, where hi + lo is the row mean (hi = float(mean), lo the rest);
// w, b may be null (1 and 0).
void normalize_row(const float* x, const float* w, const float* b, float* y, int64_t n, float hi, float lo,
                   float r);

// sum (x - hi).
double centred_sum(const float* x, int64_t n, float hi);

// For rows k < `rows` (1 or 2), with xc = (x[k] - hi[k]) - c[k]: A[k] += sum g[k] w,
// B[k] += sum g[k] w xc (w may be null); when aw is not null also, per value, aw += g[k] xc r[k]
// and ab += g[k].
void grad_rows_sums(int rows, const float* const* g, const float* const* x, const float* w, int64_t n,
                    const float* hi, const float* c, const float* r, float* aw, float* ab, double* A, double* B);

// dx = g w r + (x - hi) k2 + k0 (w may be null). When xn is not null (the next row's x, n values)
// returns sum (xn - hn), else 0.
double grad_row_apply(const float* g, const float* x, const float* w, float* dx, int64_t n, float hi, float r,
                      float k2, float k0, const float* xn, float hn);

}  // namespace kernels::cpu::ln_avx2
