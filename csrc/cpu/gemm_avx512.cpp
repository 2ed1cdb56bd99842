// AVX-512F GEMM micro-kernels (this file is compiled with -mavx512f -mavx2 -mfma and only called
// after a run-time CPU check, at the Avx512 capability level; blocking in gemm.cpp).
//
//   C (mr x nr of the MR x NR tile, row stride ldc) = alpha * Ap * Bp + beta * C (beta == 0: C is
//   not read). Ap[k*MR + i] = op(A)(i, k), Bp[k*NR + j] = op(B)(k, j), zero-padded slivers.
//
// float: 6x32 tile = 6 rows x 2 zmm (16 floats) = 12 accumulators; double: 6x16, same plan.
// Twice the AVX2 tile's width for the same register count: one zmm FMA does the work of two ymm
// ones, and CPUs with AVX-512 issue as many of either per cycle.
// Edge tiles (mr < 6 rows or nr < NR columns) are stored straight to C with lane masks, so no
// tile buffer or second pass is needed, and rows past mr are never touched.
// Also here: the float packer for 32-wide B slivers stored across k (linear's W of x @ W^T).
#include <immintrin.h>

#include <cstdint>

#include "gemm_transpose_avx.h"

namespace kernels::cpu::gemm_detail {
namespace {

template <class T>
struct Zmm;

template <>
struct Zmm<float> {
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float a) { return _mm512_set1_ps(a); }
  static V load(const float* p) { return _mm512_load_ps(p); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V maskz_loadu(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void mask_storeu(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static M mask(int n) { return n >= 16 ? M(0xFFFF) : M((1u << (n > 0 ? n : 0)) - 1u); }
};

template <>
struct Zmm<double> {
  using V = __m512d;
  using M = __mmask8;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(double a) { return _mm512_set1_pd(a); }
  static V load(const double* p) { return _mm512_load_pd(p); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V maskz_loadu(M m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void mask_storeu(double* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static M mask(int n) { return n >= 8 ? M(0xFF) : M((1u << (n > 0 ? n : 0)) - 1u); }
};

// The 6 x 2W tile; rows >= mr of the accumulators are computed (the packed sliver is padded)
// but not stored.
template <class T>
inline __attribute__((always_inline)) void kernel_6x2w(int64_t kc, const T* __restrict Ap,
                                                       const T* __restrict Bp, T* __restrict C,
                                                       int64_t ldc, T alpha, T beta, int mr, int nr) {
  using X = Zmm<T>;
  using V = typename X::V;
  constexpr int W = X::W;
  V c[6][2];
  for (int i = 0; i < 6; ++i) c[i][0] = c[i][1] = X::zero();
  for (int i = 0; i < mr; ++i) _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const V b0 = X::load(Bp), b1 = X::load(Bp + W);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 2 * W * 4), _MM_HINT_T0);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {
      const V a = X::set1(Ap[i]);
      c[i][0] = X::fmadd(a, b0, c[i][0]);
      c[i][1] = X::fmadd(a, b1, c[i][1]);
    }
    Ap += 6;
    Bp += 2 * W;
  }
  const V va = X::set1(alpha), vb = X::set1(beta);
  const typename X::M m0 = X::mask(nr), m1 = X::mask(nr - W);
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {
    if (i >= mr) break;
    T* ci = C + i * ldc;
    V r0 = X::mul(va, c[i][0]), r1 = X::mul(va, c[i][1]);
    if (beta != T(0)) {
      r0 = X::fmadd(vb, X::maskz_loadu(m0, ci), r0);
      r1 = X::fmadd(vb, X::maskz_loadu(m1, ci + W), r1);
    }
    X::mask_storeu(ci, m0, r0);
    X::mask_storeu(ci + W, m1, r1);
  }
}

}  // namespace

void sgemm_kernel_6x32_avx512(int64_t kc, const float* __restrict Ap, const float* __restrict Bp,
                              float* __restrict C, int64_t ldc, float alpha, float beta, int mr,
                              int nr) {
  kernel_6x2w<float>(kc, Ap, Bp, C, ldc, alpha, beta, mr, nr);
}

void dgemm_kernel_6x16_avx512(int64_t kc, const double* __restrict Ap, const double* __restrict Bp,
                              double* __restrict C, int64_t ldc, double alpha, double beta, int mr,
                              int nr) {
  kernel_6x2w<double>(kc, Ap, Bp, C, ldc, alpha, beta, mr, nr);
}

// dst[k*32 + c] = X[c*ld + k] for a full 32-line sliver: 8 k at a time from each group of 8 lines,
// transposed in registers (a scalar gather would read 32 strided streams one float at a time).
void spack_trans32_avx512(const float* X, int64_t ld, int64_t kc, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int h = 0; h < 4; ++h) {
      const float* s = X + 8 * h * ld + k;
      __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ld);
      __m256 r2 = _mm256_loadu_ps(s + 2 * ld), r3 = _mm256_loadu_ps(s + 3 * ld);
      __m256 r4 = _mm256_loadu_ps(s + 4 * ld), r5 = _mm256_loadu_ps(s + 5 * ld);
      __m256 r6 = _mm256_loadu_ps(s + 6 * ld), r7 = _mm256_loadu_ps(s + 7 * ld);
      transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7);
      float* d = dst + k * 32 + 8 * h;
      _mm256_store_ps(d, r0);
      _mm256_store_ps(d + 32, r1);
      _mm256_store_ps(d + 64, r2);
      _mm256_store_ps(d + 96, r3);
      _mm256_store_ps(d + 128, r4);
      _mm256_store_ps(d + 160, r5);
      _mm256_store_ps(d + 192, r6);
      _mm256_store_ps(d + 224, r7);
    }
  }
  for (; k < kc; ++k)
    for (int c = 0; c < 32; ++c) dst[k * 32 + c] = X[c * ld + k];
}

}  // namespace kernels::cpu::gemm_detail
