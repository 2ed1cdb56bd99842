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
// Also here: the float packer for 32-wide B slivers stored across k (linear's W of x @ W^T), and
// the unpacked kernels for small products (gemm_small), where packing would cost more than the
// FMAs it speeds up.
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
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
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
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
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

// Unpacked small products: op(A)(i, k) = A[i*rsa + k*csa] broadcast straight from A, B read
// straight from its rows (B[k*ldb + j], masked past nr), so nothing is packed or allocated.
// R rows (1..6) is a template argument: a 2-row remainder runs 4 accumulators, not 12.
template <class T, int R>
inline __attribute__((always_inline)) void small_tile(int64_t K, const T* __restrict A, int64_t rsa,
                                                      int64_t csa, const T* __restrict B,
                                                      int64_t ldb, T* __restrict C, int64_t ldc,
                                                      T alpha, T beta, int nr) {
  using X = Zmm<T>;
  using V = typename X::V;
  constexpr int W = X::W;
  const typename X::M m0 = X::mask(nr), m1 = X::mask(nr - W);
  V c[R][2];
  for (int i = 0; i < R; ++i) c[i][0] = c[i][1] = X::zero();
  if (nr > W) {
#pragma GCC unroll 2
    for (int64_t k = 0; k < K; ++k) {
      const V b0 = X::maskz_loadu(m0, B + k * ldb), b1 = X::maskz_loadu(m1, B + k * ldb + W);
#pragma GCC unroll 6
      for (int i = 0; i < R; ++i) {
        const V a = X::set1(A[i * rsa + k * csa]);
        c[i][0] = X::fmadd(a, b0, c[i][0]);
        c[i][1] = X::fmadd(a, b1, c[i][1]);
      }
    }
  } else {
    // one register of columns: two accumulator sets over even / odd k keep 2R chains in flight
#pragma GCC unroll 2
    for (int64_t k = 0; k + 1 < K; k += 2) {
      const V b0 = X::maskz_loadu(m0, B + k * ldb), b1 = X::maskz_loadu(m0, B + (k + 1) * ldb);
#pragma GCC unroll 6
      for (int i = 0; i < R; ++i) {
        c[i][0] = X::fmadd(X::set1(A[i * rsa + k * csa]), b0, c[i][0]);
        c[i][1] = X::fmadd(X::set1(A[i * rsa + (k + 1) * csa]), b1, c[i][1]);
      }
    }
    if (K & 1) {
      const int64_t k = K - 1;
      const V b0 = X::maskz_loadu(m0, B + k * ldb);
      for (int i = 0; i < R; ++i) c[i][0] = X::fmadd(X::set1(A[i * rsa + k * csa]), b0, c[i][0]);
    }
    for (int i = 0; i < R; ++i) {
      c[i][0] = X::add(c[i][0], c[i][1]);
      c[i][1] = X::zero();
    }
  }
  const V va = X::set1(alpha), vb = X::set1(beta);
  for (int i = 0; i < R; ++i) {
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

template <class T>
void gemm_small(bool ta, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  constexpr int NR = 2 * Zmm<T>::W;
  const int64_t rsa = ta ? 1 : lda, csa = ta ? lda : 1;
  // Column slivers outside, so one KB x NR block of B (<= 20 KB) stays in L1 across the row tiles;
  // K in blocks of KB, later blocks accumulating onto C (B's rows are ldb apart, not packed
  // together, so a whole K x NR sliver of large K would not stay in L1).
  const int64_t nkb = (K + 159) / 160, KB = (K + nkb - 1) / nkb;  // even blocks of <= 160
  for (int64_t j = 0; j < N; j += NR) {
    const int nr = static_cast<int>(N - j < NR ? N - j : NR);
    for (int64_t p = 0; p < K; p += KB) {
      const int64_t kb = K - p < KB ? K - p : KB;
      const T beta_p = p == 0 ? beta : T(1);
      const T* b = B + p * ldb + j;
      for (int64_t i = 0; i < M; i += 6) {
        const T* a = A + i * rsa + p * csa;
        T* c = C + i * ldc + j;
        switch (M - i < 6 ? M - i : 6) {
          case 1: small_tile<T, 1>(kb, a, rsa, csa, b, ldb, c, ldc, alpha, beta_p, nr); break;
          case 2: small_tile<T, 2>(kb, a, rsa, csa, b, ldb, c, ldc, alpha, beta_p, nr); break;
          case 3: small_tile<T, 3>(kb, a, rsa, csa, b, ldb, c, ldc, alpha, beta_p, nr); break;
          case 4: small_tile<T, 4>(kb, a, rsa, csa, b, ldb, c, ldc, alpha, beta_p, nr); break;
          case 5: small_tile<T, 5>(kb, a, rsa, csa, b, ldb, c, ldc, alpha, beta_p, nr); break;
          default: small_tile<T, 6>(kb, a, rsa, csa, b, ldb, c, ldc, alpha, beta_p, nr); break;
        }
      }
    }
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
  pack_sliver_transposed<32>(X, ld, kc, dst);
}

void sgemm_small_avx512(bool ta, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                        int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_small<float>(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dgemm_small_avx512(bool ta, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
                        int64_t lda, const double* B, int64_t ldb, double beta, double* C,
                        int64_t ldc) {
  gemm_small<double>(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// dst[c*ldd + r] = X[r*ld + c] for r < rows, c < cols: 8x8 register transposes, scalar edges.
void stranspose_avx512(const float* X, int64_t ld, int64_t rows, int64_t cols, float* dst,
                       int64_t ldd) {
  int64_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    int64_t c = 0;
    for (; c + 8 <= cols; c += 8) {
      const float* s = X + r * ld + c;
      __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ld);
      __m256 r2 = _mm256_loadu_ps(s + 2 * ld), r3 = _mm256_loadu_ps(s + 3 * ld);
      __m256 r4 = _mm256_loadu_ps(s + 4 * ld), r5 = _mm256_loadu_ps(s + 5 * ld);
      __m256 r6 = _mm256_loadu_ps(s + 6 * ld), r7 = _mm256_loadu_ps(s + 7 * ld);
      transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7);
      float* d = dst + c * ldd + r;
      _mm256_storeu_ps(d, r0);
      _mm256_storeu_ps(d + ldd, r1);
      _mm256_storeu_ps(d + 2 * ldd, r2);
      _mm256_storeu_ps(d + 3 * ldd, r3);
      _mm256_storeu_ps(d + 4 * ldd, r4);
      _mm256_storeu_ps(d + 5 * ldd, r5);
      _mm256_storeu_ps(d + 6 * ldd, r6);
      _mm256_storeu_ps(d + 7 * ldd, r7);
    }
    for (; c < cols; ++c)
      for (int64_t i = r; i < r + 8; ++i) dst[c * ldd + i] = X[i * ld + c];
  }
  for (; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * ldd + r] = X[r * ld + c];
}

}  // namespace kernels::cpu::gemm_detail
