// The CPU GEMM engine (gemm.h): C = alpha * op(A) op(B) + beta * C, and its batched form.
//
// Blocked as in BLIS:
//   for jc in N step NC:                     (B panel, L3)
//     for pc in K step KC:  pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide slivers
//       for ic in M step MC:  pack op(A)[ic:ic+MC, pc:pc+KC] into MR-tall slivers   (L2)
//         for jr in NC step NR:  for ir in MC step MR:  micro-kernel MR x NR over KC  (L1/regs)
// Packing pads edge slivers with zeros, so the micro-kernel always runs a full MR x NR tile; an
// edge tile is computed into a small buffer and only its valid part is written to C. Slivers
// whose lines are contiguous in k (B of x @ W^T, A row-major) are packed for float with 8x8
// register transposes (gemm_avx2.cpp) rather than a strided scalar gather.
// Threads: each takes a slice of C, rows (in MR units) when M >= N, else columns (in NR units).
// Row slices share one packed B panel: each thread packs its share of the slivers, one barrier
// per (jc, pc) block, then each runs its own rows against the whole panel (B is packed once, not
// once per thread, and only one copy of the panel competes for L3). Column slices (M < N, A the smaller
// operand) stay independent, each packing all of A and its own columns of B, with no barrier.
// Batched products with many or small members give each thread whole products instead
// (gemm_batched_typed).
// Micro-kernels, one tile struct each (MR x NR and blocking; the drivers are templated on it),
// chosen by the CPU capability switch (isa.h): AVX-512F 6x32 float / 6x16 double
// (gemm_avx512.cpp), AVX2/FMA 6x16 / 6x8 (gemm_avx2.cpp), or a portable C++ one with the same
// packed layout. The AVX-512 tile is twice as wide for the same register count, which on CPUs
// that have it doubles the FMA work per instruction (OpenBLAS runs its AVX-512 kernels there).
// Small or vector-shaped products (M == 1, N == 1, under ~24^3) skip packing altogether, and so,
// at the AVX-512 level, do products of few rows (gemm_unpacked).
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../common/dispatch.h"
#include "gemm_avx2.h"
#include "gemm_avx512.h"
#include "isa.h"
#include "parallel.h"

namespace kernels::cpu {


namespace {

// Inside an omp parallel region: this thread's number t among n (0 of 1 without OpenMP).
inline void this_thread(int64_t& t, int64_t& n) {
#ifdef _OPENMP
  t = omp_get_thread_num();
  n = omp_get_num_threads();
#else
  t = 0;
  n = 1;
#endif
}

// Portable micro-kernel with the same packed layout; the compiler vectorises it for the
// baseline ISA.
template <class T, int MR, int NR>
void micro_kernel_portable(int64_t kc, const T* __restrict Ap, const T* __restrict Bp,
                           T* __restrict C, int64_t ldc, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const T* b = Bp + k * NR;
    const T* a = Ap + k * MR;
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += a[i] * b[j];
  }
  for (int i = 0; i < MR; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) {
      for (int j = 0; j < NR; ++j) c[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < NR; ++j) c[j] = alpha * acc[i][j] + beta * c[j];
    }
  }
}

// A micro-kernel and the blocking around it, one struct per capability level (the drivers below
// are templated on it). MR x NR is the register tile; KC x NR of B stays in L1, MC x KC of A in
// L2, KC x NC of B in L3. run() writes the mr x nr corner of a tile to C.
// Full-tile kernels (AVX2, portable) compute an edge tile into a buffer and copy its valid part.
template <class T, int MR, int NR>
inline void run_via_tile(void (*kern)(int64_t, const T*, const T*, T*, int64_t, T, T), int64_t kc,
                         const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int mr,
                         int nr) {
  if (mr == MR && nr == NR) {
    kern(kc, a, b, c, ldc, alpha, beta);
    return;
  }
  alignas(64) T tile[MR * NR];
  kern(kc, a, b, tile, NR, alpha, T(0));
  for (int ii = 0; ii < mr; ++ii)
    for (int jj = 0; jj < nr; ++jj)
      c[ii * ldc + jj] = beta == T(0) ? tile[ii * NR + jj] : tile[ii * NR + jj] + beta * c[ii * ldc + jj];
}

template <class T>
struct PortableTile {
  static constexpr int MR = 6, NR = std::is_same<T, float>::value ? 16 : 8;
  static constexpr int64_t KC = 256, MC = std::is_same<T, float>::value ? 168 : 84,
                           NC = std::is_same<T, float>::value ? 4080 : 2040;
  static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int mr,
                  int nr) {
    run_via_tile<T, MR, NR>(micro_kernel_portable<T, MR, NR>, kc, a, b, c, ldc, alpha, beta, mr, nr);
  }
};

// AVX2: 6x16 float / 6x8 double (gemm_avx2.cpp), the portable blocking.
template <class T>
struct Avx2Tile : PortableTile<T> {
  using Base = PortableTile<T>;
  static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int mr,
                  int nr) {
    if constexpr (std::is_same<T, float>::value)
      run_via_tile<T, Base::MR, Base::NR>(gemm_detail::sgemm_kernel_6x16_avx2, kc, a, b, c, ldc,
                                          alpha, beta, mr, nr);
    else
      run_via_tile<T, Base::MR, Base::NR>(gemm_detail::dgemm_kernel_6x8_avx2, kc, a, b, c, ldc,
                                          alpha, beta, mr, nr);
  }
};

// AVX-512: 6x32 float / 6x16 double (gemm_avx512.cpp), which store edge tiles with lane masks.
template <class T>
struct Avx512Tile {
  static constexpr int MR = 6, NR = std::is_same<T, float>::value ? 32 : 16;
  static constexpr int64_t KC = 256, MC = std::is_same<T, float>::value ? 168 : 84,
                           NC = std::is_same<T, float>::value ? 4096 : 2048;
  static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int mr,
                  int nr) {
    if constexpr (std::is_same<T, float>::value)
      gemm_detail::sgemm_kernel_6x32_avx512(kc, a, b, c, ldc, alpha, beta, mr, nr);
    else
      gemm_detail::dgemm_kernel_6x16_avx512(kc, a, b, c, ldc, alpha, beta, mr, nr);
  }
};

// A growable, 64-byte-aligned scratch buffer per thread (packing buffers are reused across calls).
template <class T>
T* scratch(int slot, size_t n) {
  struct Buf {
    void* p = nullptr;
    size_t cap = 0;
    ~Buf() { host_free(p); }
  };
  thread_local Buf bufs[3];
  Buf& b = bufs[slot];
  const size_t bytes = n * sizeof(T);
  if (b.cap < bytes) {
    host_free(b.p);
    b.p = nullptr;
    b.cap = 0;
    b.p = host_alloc(bytes);
    b.cap = bytes;
  }
  return static_cast<T*>(b.p);
}

// Pack the kc x wc panel P(k, w) = M(k0 + k, w0 + w) into slivers of W columns, zero-padded:
// out[s*kc*W + k*W + c] = P(k, s*W + c), where M(k, w) = X[k*ld + w] if k_major, else X[w*ld + k].
// op(B) is M with k_major = !tb (slivers of NR columns); op(A) read as M(k, i) = op(A)(i, k) has
// k_major = ta (slivers of MR rows: Ap[s*kc*MR + k*MR + r]).
template <class T, int W>
void pack_slivers(bool k_major, const T* X, int64_t ld, int64_t k0, int64_t w0, int64_t wc,
                  int64_t kc, int64_t s_begin, int64_t s_end, T* out) {
  for (int64_t s = s_begin; s < s_end; ++s) {
    const int64_t c0 = s * W, n = std::min<int64_t>(W, wc - c0);
    T* dst = out + s * kc * W;
    if (k_major) {
      const T* src = X + k0 * ld + w0 + c0;
      if (n == W) {
        for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * W, src + k * ld, W * sizeof(T));
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int c = 0; c < W; ++c) dst[k * W + c] = c < n ? src[k * ld + c] : T(0);
      }
    } else {
      const T* src = X + (w0 + c0) * ld + k0;
      if constexpr (std::is_same<T, float>::value && (W == 32 || W == 16 || W == 6)) {
        if (n == W && (W == 32 ? use_avx512() : use_avx2())) {
          if (W == 32)
            gemm_detail::spack_trans32_avx512(src, ld, kc, dst);
          else if (W == 16)
            gemm_detail::spack_trans16_avx2(src, ld, kc, dst);
          else
            gemm_detail::spack_trans6_avx2(src, ld, kc, dst);
          continue;
        }
      }
      if (n == W) {
        for (int64_t k = 0; k < kc; ++k)
          for (int c = 0; c < W; ++c) dst[k * W + c] = src[c * ld + k];
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int c = 0; c < W; ++c) dst[k * W + c] = c < n ? src[c * ld + k] : T(0);
      }
    }
  }
}

// Slivers [s_begin, s_end) of the packed B panel against the whole packed A block.
template <class T, class Kt>
void macro_kernel(int64_t mc, int64_t nc, int64_t kc, const T* Ap, const T* Bp, int64_t s_begin,
                  int64_t s_end, T* C, int64_t ldc, T alpha, T beta) {
  constexpr int MR = Kt::MR, NR = Kt::NR;
  for (int64_t s = s_begin; s < s_end; ++s) {
    const int64_t j = s * NR;
    const int nr = static_cast<int>(std::min<int64_t>(NR, nc - j));
    const T* b = Bp + s * kc * NR;
    for (int64_t i = 0; i < mc; i += MR) {
      const int mr = static_cast<int>(std::min<int64_t>(MR, mc - i));
      Kt::run(kc, Ap + i * kc, b, C + i * ldc + j, ldc, alpha, beta, mr, nr);
    }
  }
}

// The blocked GEMM on one thread.
template <class T, class Kt>
void gemm_blocked(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  using Bk = Kt;
  constexpr int MR = Bk::MR, NR = Bk::NR;
  // Even MC blocks (in whole slivers), so the last one is not a sliver or two.
  const int64_t m_blocks = (M + Bk::MC - 1) / Bk::MC;
  const int64_t MC = ((M + m_blocks - 1) / m_blocks + MR - 1) / MR * MR;
  const int64_t mc_max = std::min(MC, (M + MR - 1) / MR * MR);
  const int64_t nc_max = std::min(Bk::NC, (N + NR - 1) / NR * NR);
  const int64_t kc_max = std::min(Bk::KC, K);
  T* Ap = scratch<T>(0, static_cast<size_t>(mc_max * kc_max));
  T* Bp = scratch<T>(1, static_cast<size_t>(nc_max * kc_max));
  for (int64_t jc = 0; jc < N; jc += Bk::NC) {
    const int64_t nc = std::min(Bk::NC, N - jc);
    const int64_t nslv = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < K; pc += Bk::KC) {
      const int64_t kc = std::min(Bk::KC, K - pc);
      const T beta_k = pc == 0 ? beta : T(1);
      pack_slivers<T, NR>(!tb, B, ldb, pc, jc, nc, kc, 0, nslv, Bp);
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        pack_slivers<T, MR>(ta, A, lda, pc, ic, mc, kc, 0, (mc + MR - 1) / MR, Ap);
        macro_kernel<T, Kt>(mc, nc, kc, Ap, Bp, 0, nslv, C + ic * ldc + jc, ldc, alpha, beta_k);
      }
    }
  }
}

// Row slices of C over nt threads sharing ONE packed B panel (double-buffered): each thread packs
// 1/nt of the panel's slivers, one barrier, then each runs its own rows against the whole panel.
// Against every thread packing all of B this saves (nt-1)/nt of the B packing and keeps one copy
// of the panel in L3. With two buffers one barrier per panel suffices: passing the barrier of
// panel s means every thread finished panel s-1, whose buffer panel s+1 then reuses.
// A panel is one KC block of K, or all of K when that fits in kWholeKBytes: then each MC block
// of C gets every K block while it is still in cache (ic outside pc), instead of C making K/KC
// trips to memory when it is larger than L3 (e.g. the LSTM's (6400, 2048) input projection).
constexpr int64_t kWholeKBytes = int64_t(4) << 20;

template <class T, class Kt>
void gemm_rows_shared_b(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                        int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, int nt) {
  using Bk = Kt;
  constexpr int MR = Bk::MR, NR = Bk::NR;
  const int64_t nc_max = std::min(Bk::NC, (N + NR - 1) / NR * NR);
  const int64_t kc_max = std::min(Bk::KC, K);
  // K rows per panel: all of K when the panel fits, else one KC block
  const int64_t kp = K * nc_max * int64_t(sizeof(T)) <= kWholeKBytes ? K : Bk::KC;
  const int64_t panel = nc_max * std::min(kp, K);
  T* Bbuf = scratch<T>(2, static_cast<size_t>(2 * panel));
  const int64_t units = (M + MR - 1) / MR;
#pragma omp parallel num_threads(nt)
  {
    int64_t t, n;
    this_thread(t, n);
    const int64_t i0 = std::min(M, units * t / n * MR), i1 = std::min(M, units * (t + 1) / n * MR);
    const int64_t mt = std::max<int64_t>(i1 - i0, 1);
    const int64_t m_blocks = (mt + Bk::MC - 1) / Bk::MC;
    const int64_t MC = ((mt + m_blocks - 1) / m_blocks + MR - 1) / MR * MR;
    T* Ap = scratch<T>(0, static_cast<size_t>(MC * kc_max));
    int64_t step = 0;
    for (int64_t jc = 0; jc < N; jc += Bk::NC) {
      const int64_t nc = std::min(Bk::NC, N - jc);
      const int64_t nslv = (nc + NR - 1) / NR;
      for (int64_t p0 = 0; p0 < K; p0 += kp, ++step) {
        const int64_t p1 = std::min(K, p0 + kp);
        // the panel's KC block starting at pc lives at Bp + (pc - p0) * nc_max
        T* Bp = Bbuf + (step & 1) * panel;
        for (int64_t pc = p0; pc < p1; pc += Bk::KC)
          pack_slivers<T, NR>(!tb, B, ldb, pc, jc, nc, std::min(Bk::KC, p1 - pc), nslv * t / n,
                              nslv * (t + 1) / n, Bp + (pc - p0) * nc_max);
#pragma omp barrier
        for (int64_t ic = i0; ic < i1; ic += MC) {
          const int64_t mc = std::min(MC, i1 - ic);
          for (int64_t pc = p0; pc < p1; pc += Bk::KC) {
            const int64_t kc = std::min(Bk::KC, p1 - pc);
            pack_slivers<T, MR>(ta, A, lda, pc, ic, mc, kc, 0, (mc + MR - 1) / MR, Ap);
            macro_kernel<T, Kt>(mc, nc, kc, Ap, Bp + (pc - p0) * nc_max, 0, nslv,
                            C + ic * ldc + jc, ldc, alpha, pc == 0 ? beta : T(1));
          }
        }
      }
    }
  }
}

// sum_k x[k*incx] * y[k*incy]; eight independent partial sums when both are contiguous, so the
// compiler can vectorise it without reassociating one long chain.
inline float dot_avx2(const float* x, const float* y, int64_t n) { return gemm_detail::sdot_avx2(x, y, n); }
inline double dot_avx2(const double* x, const double* y, int64_t n) { return gemm_detail::ddot_avx2(x, y, n); }

template <class T>
T dot_strided(const T* x, int64_t incx, const T* y, int64_t incy, int64_t K) {
  if (incx == 1 && incy == 1 && use_avx2()) return dot_avx2(x, y, K);
  if (incx == 1 && incy == 1) {
    T part[8] = {};
    int64_t k = 0;
    for (; k + 8 <= K; k += 8)
      for (int l = 0; l < 8; ++l) part[l] += x[k + l] * y[k + l];
    T acc = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    for (; k < K; ++k) acc += x[k] * y[k];
    return acc;
  }
  T acc = 0;
  for (int64_t k = 0; k < K; ++k) acc += x[k * incx] * y[k * incy];
  return acc;
}

// Straight loops without packing for small or vector-shaped products. Two forms: dot products
// (B transposed, or a single column) and row updates c[i,:] += op(A)(i,k) * B[k,:].
template <class T>
void gemm_simple(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                 int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, int nt) {
  const bool dot_form = tb || N == 1;
  auto block = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    for (int64_t i = i0; i < i1; ++i) {
      T* c = C + i * ldc;
      if (dot_form) {
        const T* a = ta ? A + i : A + i * lda;
        const int64_t inca = ta ? lda : 1;
        for (int64_t j = j0; j < j1; ++j) {
          const T acc = tb ? dot_strided(a, inca, B + j * ldb, 1, K) : dot_strided(a, inca, B + j, ldb, K);
          c[j] = beta == T(0) ? alpha * acc : alpha * acc + beta * c[j];
        }
      } else {
        if (beta == T(0)) {
          for (int64_t j = j0; j < j1; ++j) c[j] = T(0);
        } else if (beta != T(1)) {
          for (int64_t j = j0; j < j1; ++j) c[j] *= beta;
        }
        for (int64_t k = 0; k < K; ++k) {
          const T aik = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
          const T* b = B + k * ldb;
          for (int64_t j = j0; j < j1; ++j) c[j] += aik * b[j];
        }
      }
    }
  };
  if (nt > 1 && (M >= nt || N >= 64 * nt)) {
#pragma omp parallel num_threads(nt)
    {
      int64_t t, n;
      this_thread(t, n);
      if (M >= n)
        block(M * t / n, M * (t + 1) / n, 0, N);
      else
        block(0, M, N * t / n, N * (t + 1) / n);
    }
  } else {
    block(0, M, 0, N);
  }
}

template <class T>
void scale_matrix(T* C, int64_t M, int64_t N, int64_t ldc, T beta) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < N; ++j) c[j] = T(0);
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

int gemm_threads() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : max_threads();
#else
  return 1;
#endif
}

// Unpacked products (AVX-512 level) for few rows: packing B costs about K*N copies against M*N*K
// FMAs, a large share of the call when M is small, and tiny products are dominated by such
// fixed costs. B along k (nn, tn) is read in place, its columns split over the threads above
// kUnpackedThreadFlops; B^T (nt) is transposed once into scratch, on one thread (only below
// kSerialFlops, where the transpose is a few microseconds). Returns false where the packed path
// should run instead.
constexpr double kSerialFlops = 4.0e6;  // below ~128^3/2, a second thread costs more than it saves
// B within a quarter of L2: (64, 784, K=256), B 800 KB, measured faster packed.
constexpr int64_t kUnpackedMaxRows = 96, kUnpackedMaxBBytes = int64_t(512) << 10;

inline void small_avx512(bool ta, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                         int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_detail::sgemm_small_avx512(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline void small_avx512(bool ta, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
                         int64_t lda, const double* B, int64_t ldb, double beta, double* C,
                         int64_t ldc) {
  gemm_detail::dgemm_small_avx512(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// Unpacked B along k splits its columns over threads from here: (64, 120, K=84), 1.3 MFLOP,
// measured ~1.3x faster on two threads than on one.
constexpr double kUnpackedThreadFlops = 5.0e5;
template <class T>
bool gemm_unpacked(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                   int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, int max_nt) {
  if (!use_avx512() || M > kUnpackedMaxRows || K * N * int64_t(sizeof(T)) > kUnpackedMaxBBytes)
    return false;
  const double flops = 2.0 * double(M) * double(N) * double(K);
  int nt = flops < kUnpackedThreadFlops ? 1 : max_nt;
  if (tb) {
    if (flops >= kSerialFlops && max_nt > 1) return false;
    T* Bt = scratch<T>(1, static_cast<size_t>(K * N));  // Bt[k*N + j] = B[j*ldb + k]
    if constexpr (std::is_same<T, float>::value) {
      gemm_detail::stranspose_avx512(B, ldb, N, K, Bt, N);
    } else {
      for (int64_t j = 0; j < N; ++j)
        for (int64_t k = 0; k < K; ++k) Bt[k * N + j] = B[j * ldb + k];
    }
    small_avx512(ta, M, N, K, alpha, A, lda, Bt, N, beta, C, ldc);
    return true;
  }
  constexpr int64_t NR = Avx512Tile<T>::NR;
  const int64_t units = (N + NR - 1) / NR;
  if (nt > units) nt = static_cast<int>(units);
  if (nt <= 1) {
    small_avx512(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return true;
  }
#pragma omp parallel num_threads(nt)
  {
    int64_t t, n;
    this_thread(t, n);
    const int64_t j0 = units * t / n * NR, j1 = std::min(N, units * (t + 1) / n * NR);
    if (j0 < j1) small_avx512(ta, M, j1 - j0, K, alpha, A, lda, B + j0, ldb, beta, C + j0, ldc);
  }
  return true;
}

// The packed, blocked product with micro-kernel Kt, on up to nt threads.
template <class T, class Kt>
void gemm_tiled(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                const T* B, int64_t ldb, T beta, T* C, int64_t ldc, int nt) {
  constexpr int MR = Kt::MR, NR = Kt::NR;
  // Threads take slices of C in whole MR / NR units. Row slices share one packed B
  // (gemm_rows_shared_b); column slices (M < N: A is the smaller operand) run
  // independently, each packing all of A and its own columns of B, with no barrier at all.
  // (Row slices for M < N, e.g. (512, 2048, K=6400), measured slower than column slices.)
  const bool by_rows = M >= N;
  const int64_t units = by_rows ? (M + MR - 1) / MR : (N + NR - 1) / NR;
  if (units < 2 * nt) nt = static_cast<int>(std::max<int64_t>(1, units / 2));
  if (nt <= 1) {
    gemm_blocked<T, Kt>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (by_rows) {
    gemm_rows_shared_b<T, Kt>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int64_t t, n;
    this_thread(t, n);
    const int64_t j0 = units * t / n * NR, j1 = std::min(N, units * (t + 1) / n * NR);
    if (j0 < j1)
      gemm_blocked<T, Kt>(ta, tb, M, j1 - j0, K, alpha, A, lda, tb ? B + j0 * ldb : B + j0, ldb, beta,
                          C + j0, ldc);
  }
}

template <class T>
void gemm_impl(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, T beta, T* C, int64_t ldc, int max_nt) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) {
    scale_matrix(C, M, N, ldc, beta);
    return;
  }
  const double flops = 2.0 * double(M) * double(N) * double(K);
  int nt = flops < kSerialFlops ? 1 : max_nt;
  if (flops <= 2.0 * 24 * 24 * 24 || M == 1 || N == 1) {
    gemm_simple(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt);
    return;
  }
  if (gemm_unpacked<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, max_nt)) return;
  if (use_avx512())
    gemm_tiled<T, Avx512Tile<T>>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt);
  else if (use_avx2())
    gemm_tiled<T, Avx2Tile<T>>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt);
  else
    gemm_tiled<T, PortableTile<T>>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt);
}

template <class T>
void gemm_batched_typed(const GemmSpec& s, const T* A, const T* B, T* C) {
  if (s.zcount <= 0 || s.M <= 0 || s.N <= 0) return;
  const T alpha = static_cast<T>(s.alpha), beta = static_cast<T>(s.beta);
  auto one = [&](int64_t z, int nt) {
    int64_t za, zb;
    s.z_offsets(z, za, zb);
    T* c = C + z * s.c_stride;
    if (s.rcount <= 0) {
      scale_matrix(c, s.M, s.N, s.ldc, beta);
      return;
    }
    for (int64_t r = 0; r < s.rcount; ++r) {
      int64_t ra, rb;
      s.r_offsets(r, ra, rb);
      gemm_impl<T>(s.ta, s.tb, s.M, s.N, s.K, alpha, A + za + ra, s.lda, B + zb + rb, s.ldb,
                   r == 0 ? beta : T(1), c, s.ldc, nt);
    }
  };
  const int nt = gemm_threads();
  const double flops_each = 2.0 * double(s.M) * double(s.N) * double(s.K) * double(s.rcount);
  // Many products, or small ones: one product per thread at a time. Few large ones: each threaded.
  if (nt > 1 && s.zcount > 1 && (s.zcount >= 4 * nt || flops_each < 3.0e7)) {
    parallel_for(s.zcount, 1, [&](int64_t b, int64_t e) {
      for (int64_t z = b; z < e; ++z) one(z, 1);
    });
  } else {
    for (int64_t z = 0; z < s.zcount; ++z) one(z, nt);
  }
}

}  // namespace

template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
              const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  gemm_impl<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, gemm_threads());
}
template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                              const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                               int64_t, const double*, int64_t, double, double*, int64_t);

void gemm_batched(const GemmSpec& spec, const Tensor& A, const Tensor& B, Tensor& C) {
  KERNELS_DISPATCH_FLOAT(C.dtype, "gemm", [&] {
    gemm_batched_typed<scalar_t>(spec, A.data<scalar_t>(), B.data<scalar_t>(), C.data<scalar_t>());
  });
}

}  // namespace kernels::cpu
