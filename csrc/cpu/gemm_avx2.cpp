// AVX2/FMA GEMM micro-kernels (this file is compiled with -mavx2 -mfma and only called after a
// run-time CPU check; see csrc/cpu/matmul.cpp for the blocking around them).
//
//   C (MR x NR, row stride ldc) = alpha * Ap * Bp + beta * C      (beta == 0: C is not read)
//   Ap is a packed sliver of A: kc columns of MR values, Ap[k*MR + i] = op(A)(i, k)
//   Bp is a packed sliver of B: kc rows of NR values,    Bp[k*NR + j] = op(B)(k, j)
//
// float: 6x16 tile = 6 rows x 2 ymm (8 floats) = 12 accumulators, 2 for B, 1 broadcast of A.
// double: 6x8 tile = 6 rows x 2 ymm (4 doubles) = 12 accumulators, same register plan.
// Also here, because they need AVX2: float packers for slivers stored across k (8x8 transposes).
#include <immintrin.h>

#include <cstdint>

#include "gemm_transpose_avx.h"

namespace kernels::cpu::gemm_detail {
namespace {

// The ymm operations for one scalar type; W lanes per register.
template <class T>
struct Avx;

template <>
struct Avx<float> {
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float a) { return _mm256_set1_ps(a); }
  static V bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V load(const float* p) { return _mm256_load_ps(p); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static float hsum(V s) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
  }
};

template <>
struct Avx<double> {
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(double a) { return _mm256_set1_pd(a); }
  static V bcast(const double* p) { return _mm256_broadcast_sd(p); }
  static V load(const double* p) { return _mm256_load_pd(p); }
  static V loadu(const double* p) { return _mm256_loadu_pd(p); }
  static void storeu(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static double hsum(V s) {
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};

#define KERNELS_ROW_FMA(i)                   \
  {                                          \
    const V a = X::bcast(Ap + (i));          \
    c##i##0 = X::fmadd(a, b0, c##i##0);      \
    c##i##1 = X::fmadd(a, b1, c##i##1);      \
  }

#define KERNELS_ROW_STORE(i)                                                       \
  {                                                                                \
    T* c = C + (i)*ldc;                                                            \
    if (beta == T(0)) {                                                            \
      X::storeu(c, X::mul(va, c##i##0));                                           \
      X::storeu(c + W, X::mul(va, c##i##1));                                       \
    } else {                                                                       \
      X::storeu(c, X::fmadd(va, c##i##0, X::mul(vb, X::loadu(c))));               \
      X::storeu(c + W, X::fmadd(va, c##i##1, X::mul(vb, X::loadu(c + W))));       \
    }                                                                              \
  }

// The 6 x 2W tile: 6 rows x 2 registers = 12 accumulators, 2 for B, 1 broadcast of A.
template <class T>
inline __attribute__((always_inline)) void gemm_kernel_6x2w(int64_t kc, const T* __restrict Ap,
                                                            const T* __restrict Bp, T* __restrict C,
                                                            int64_t ldc, T alpha, T beta) {
  using X = Avx<T>;
  using V = typename X::V;
  constexpr int W = X::W;
  V c00 = X::zero(), c01 = X::zero();
  V c10 = X::zero(), c11 = X::zero();
  V c20 = X::zero(), c21 = X::zero();
  V c30 = X::zero(), c31 = X::zero();
  V c40 = X::zero(), c41 = X::zero();
  V c50 = X::zero(), c51 = X::zero();
  for (int i = 0; i < 6; ++i) _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const V b0 = X::load(Bp);
    const V b1 = X::load(Bp + W);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 2 * W * 8), _MM_HINT_T0);
    KERNELS_ROW_FMA(0)
    KERNELS_ROW_FMA(1)
    KERNELS_ROW_FMA(2)
    KERNELS_ROW_FMA(3)
    KERNELS_ROW_FMA(4)
    KERNELS_ROW_FMA(5)
    Ap += 6;
    Bp += 2 * W;
  }
  const V va = X::set1(alpha), vb = X::set1(beta);
  KERNELS_ROW_STORE(0)
  KERNELS_ROW_STORE(1)
  KERNELS_ROW_STORE(2)
  KERNELS_ROW_STORE(3)
  KERNELS_ROW_STORE(4)
  KERNELS_ROW_STORE(5)
}

#undef KERNELS_ROW_FMA
#undef KERNELS_ROW_STORE

// Contiguous dot product for the unpacked vector-shaped path: four independent ymm sums.
template <class T>
inline __attribute__((always_inline)) T dot_avx2(const T* x, const T* y, int64_t n) {
  using X = Avx<T>;
  using V = typename X::V;
  constexpr int W = X::W;
  V s0 = X::zero(), s1 = X::zero(), s2 = X::zero(), s3 = X::zero();
  int64_t k = 0;
  for (; k + 4 * W <= n; k += 4 * W) {
    s0 = X::fmadd(X::loadu(x + k), X::loadu(y + k), s0);
    s1 = X::fmadd(X::loadu(x + k + W), X::loadu(y + k + W), s1);
    s2 = X::fmadd(X::loadu(x + k + 2 * W), X::loadu(y + k + 2 * W), s2);
    s3 = X::fmadd(X::loadu(x + k + 3 * W), X::loadu(y + k + 3 * W), s3);
  }
  for (; k + W <= n; k += W) s0 = X::fmadd(X::loadu(x + k), X::loadu(y + k), s0);
  T acc = X::hsum(X::add(X::add(s0, s1), X::add(s2, s3)));
  for (; k < n; ++k) acc += x[k] * y[k];
  return acc;
}

}  // namespace

// Packing a full sliver from an operand stored "across" the sliver (each of the sliver's W lines
// is contiguous in k): dst[k*W + c] = X[c*ld + k]. A scalar loop gathers from W strided streams
// one float at a time (and, with ld a multiple of 512 floats, the streams fight over a few L1
// sets); here 8 k at a time are loaded from each line and transposed in registers.
// W = 16: the B sliver of C = A B^T (linear forward), dst 64-byte aligned.
void spack_trans16_avx2(const float* X, int64_t ld, int64_t kc, float* dst) {
  pack_sliver_transposed<16>(X, ld, kc, dst);
}

// W = 6: the A sliver of C = A op(B) with A row-major (rows 6 and 7 of each 8x8 are don't-care
// copies of row 5). Each column k is 6 floats: 8-wide stores overlap the next column's slot,
// which the next store then overwrites; the last column of a block is stored exactly.
void spack_trans6_avx2(const float* X, int64_t ld, int64_t kc, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    const float* s = X + k;
    __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ld);
    __m256 r2 = _mm256_loadu_ps(s + 2 * ld), r3 = _mm256_loadu_ps(s + 3 * ld);
    __m256 r4 = _mm256_loadu_ps(s + 4 * ld), r5 = _mm256_loadu_ps(s + 5 * ld);
    __m256 r6 = r5, r7 = r5;
    transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7);
    float* d = dst + k * 6;
    _mm256_storeu_ps(d, r0);
    _mm256_storeu_ps(d + 6, r1);
    _mm256_storeu_ps(d + 12, r2);
    _mm256_storeu_ps(d + 18, r3);
    _mm256_storeu_ps(d + 24, r4);
    _mm256_storeu_ps(d + 30, r5);
    _mm256_storeu_ps(d + 36, r6);
    _mm_storeu_ps(d + 42, _mm256_castps256_ps128(r7));
    _mm_storel_pi(reinterpret_cast<__m64*>(d + 46), _mm256_extractf128_ps(r7, 1));
  }
  for (; k < kc; ++k)
    for (int c = 0; c < 6; ++c) dst[k * 6 + c] = X[c * ld + k];
}

// float: 6x16 tile (2 ymm of 8 floats per row); double: 6x8 tile (2 ymm of 4 doubles per row).
void sgemm_kernel_6x16_avx2(int64_t kc, const float* __restrict Ap, const float* __restrict Bp,
                            float* __restrict C, int64_t ldc, float alpha, float beta) {
  gemm_kernel_6x2w<float>(kc, Ap, Bp, C, ldc, alpha, beta);
}

void dgemm_kernel_6x8_avx2(int64_t kc, const double* __restrict Ap, const double* __restrict Bp,
                           double* __restrict C, int64_t ldc, double alpha, double beta) {
  gemm_kernel_6x2w<double>(kc, Ap, Bp, C, ldc, alpha, beta);
}

float sdot_avx2(const float* x, const float* y, int64_t n) { return dot_avx2(x, y, n); }

double ddot_avx2(const double* x, const double* y, int64_t n) { return dot_avx2(x, y, n); }

}  // namespace kernels::cpu::gemm_detail
