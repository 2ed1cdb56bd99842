// AVX2/FMA GEMM micro-kernels (this file is compiled with -mavx2 -mfma and only called after a
// run-time CPU check; see csrc/cpu/matmul.cpp for the blocking around them).
//
//   C (MR x NR, row stride ldc) = alpha * Ap * Bp + beta * C      (beta == 0: C is not read)
//   Ap is a packed sliver of A: kc columns of MR values, Ap[k*MR + i] = op(A)(i, k)
//   Bp is a packed sliver of B: kc rows of NR values,    Bp[k*NR + j] = op(B)(k, j)
//
// float: 6x16 tile = 6 rows x 2 ymm (8 floats) = 12 accumulators, 2 for B, 1 broadcast of A.
// double: 6x8 tile = 6 rows x 2 ymm (4 doubles) = 12 accumulators, same register plan.
#include <immintrin.h>

#include <cstdint>

namespace kernels::gemm_detail {

#define KERNELS_ROW_FMA(i)                          \
  {                                                 \
    const __m256 a = _mm256_broadcast_ss(Ap + (i)); \
    c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0);      \
    c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1);      \
  }

#define KERNELS_ROW_STORE(i)                                                              \
  {                                                                                       \
    float* c = C + (i)*ldc;                                                               \
    if (beta == 0.0f) {                                                                   \
      _mm256_storeu_ps(c, _mm256_mul_ps(va, c##i##0));                                    \
      _mm256_storeu_ps(c + 8, _mm256_mul_ps(va, c##i##1));                                \
    } else {                                                                              \
      _mm256_storeu_ps(c, _mm256_fmadd_ps(va, c##i##0, _mm256_mul_ps(vb, _mm256_loadu_ps(c)))); \
      _mm256_storeu_ps(c + 8,                                                             \
                       _mm256_fmadd_ps(va, c##i##1, _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8)))); \
    }                                                                                     \
  }

void sgemm_kernel_6x16_avx2(int64_t kc, const float* __restrict Ap, const float* __restrict Bp,
                            float* __restrict C, int64_t ldc, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int i = 0; i < 6; ++i) _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(Bp);
    const __m256 b1 = _mm256_load_ps(Bp + 8);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 16 * 8), _MM_HINT_T0);
    KERNELS_ROW_FMA(0)
    KERNELS_ROW_FMA(1)
    KERNELS_ROW_FMA(2)
    KERNELS_ROW_FMA(3)
    KERNELS_ROW_FMA(4)
    KERNELS_ROW_FMA(5)
    Ap += 6;
    Bp += 16;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  KERNELS_ROW_STORE(0)
  KERNELS_ROW_STORE(1)
  KERNELS_ROW_STORE(2)
  KERNELS_ROW_STORE(3)
  KERNELS_ROW_STORE(4)
  KERNELS_ROW_STORE(5)
}

#undef KERNELS_ROW_FMA
#undef KERNELS_ROW_STORE

#define KERNELS_ROW_FMA(i)                          \
  {                                                 \
    const __m256d a = _mm256_broadcast_sd(Ap + (i)); \
    c##i##0 = _mm256_fmadd_pd(a, b0, c##i##0);      \
    c##i##1 = _mm256_fmadd_pd(a, b1, c##i##1);      \
  }

#define KERNELS_ROW_STORE(i)                                                              \
  {                                                                                       \
    double* c = C + (i)*ldc;                                                              \
    if (beta == 0.0) {                                                                    \
      _mm256_storeu_pd(c, _mm256_mul_pd(va, c##i##0));                                    \
      _mm256_storeu_pd(c + 4, _mm256_mul_pd(va, c##i##1));                                \
    } else {                                                                              \
      _mm256_storeu_pd(c, _mm256_fmadd_pd(va, c##i##0, _mm256_mul_pd(vb, _mm256_loadu_pd(c)))); \
      _mm256_storeu_pd(c + 4,                                                             \
                       _mm256_fmadd_pd(va, c##i##1, _mm256_mul_pd(vb, _mm256_loadu_pd(c + 4)))); \
    }                                                                                     \
  }

void dgemm_kernel_6x8_avx2(int64_t kc, const double* __restrict Ap, const double* __restrict Bp,
                           double* __restrict C, int64_t ldc, double alpha, double beta) {
  __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
  __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
  __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
  __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
  __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
  __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
  for (int i = 0; i < 6; ++i) _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256d b0 = _mm256_load_pd(Bp);
    const __m256d b1 = _mm256_load_pd(Bp + 4);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 8 * 8), _MM_HINT_T0);
    KERNELS_ROW_FMA(0)
    KERNELS_ROW_FMA(1)
    KERNELS_ROW_FMA(2)
    KERNELS_ROW_FMA(3)
    KERNELS_ROW_FMA(4)
    KERNELS_ROW_FMA(5)
    Ap += 6;
    Bp += 8;
  }
  const __m256d va = _mm256_set1_pd(alpha), vb = _mm256_set1_pd(beta);
  KERNELS_ROW_STORE(0)
  KERNELS_ROW_STORE(1)
  KERNELS_ROW_STORE(2)
  KERNELS_ROW_STORE(3)
  KERNELS_ROW_STORE(4)
  KERNELS_ROW_STORE(5)
}

#undef KERNELS_ROW_FMA
#undef KERNELS_ROW_STORE

// Contiguous dot products for the unpacked vector-shaped path: four independent ymm sums.
float sdot_avx2(const float* x, const float* y, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
         s3 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), _mm256_loadu_ps(y + k + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 16), _mm256_loadu_ps(y + k + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 24), _mm256_loadu_ps(y + k + 24), s3);
  }
  for (; k + 8 <= n; k += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float acc = _mm_cvtss_f32(h);
  for (; k < n; ++k) acc += x[k] * y[k];
  return acc;
}

double ddot_avx2(const double* x, const double* y, int64_t n) {
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(),
          s3 = _mm256_setzero_pd();
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    s0 = _mm256_fmadd_pd(_mm256_loadu_pd(x + k), _mm256_loadu_pd(y + k), s0);
    s1 = _mm256_fmadd_pd(_mm256_loadu_pd(x + k + 4), _mm256_loadu_pd(y + k + 4), s1);
    s2 = _mm256_fmadd_pd(_mm256_loadu_pd(x + k + 8), _mm256_loadu_pd(y + k + 8), s2);
    s3 = _mm256_fmadd_pd(_mm256_loadu_pd(x + k + 12), _mm256_loadu_pd(y + k + 12), s3);
  }
  for (; k + 4 <= n; k += 4) s0 = _mm256_fmadd_pd(_mm256_loadu_pd(x + k), _mm256_loadu_pd(y + k), s0);
  const __m256d s = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double acc = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; k < n; ++k) acc += x[k] * y[k];
  return acc;
}

}  // namespace kernels::gemm_detail
