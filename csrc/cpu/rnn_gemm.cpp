// PackedWeight (see rnn_gemm.h). Packed layout of op(W) (K x N), for KC-row block p starting at
// k0 and NR-column sliver s:  buf[k0 * Npad + s * kc * NR + (k - k0) * NR + c] = op(W)(k, s*NR + c)
// (zero past N), Npad = N rounded up to NR. A step packs A's rows the same way, MR at a time,
// and runs the micro-kernel for every (sliver, MR-row tile): each sliver of W is loaded into L1
// once per block and reused by all the row tiles.
#include "rnn_gemm.h"

#include <algorithm>
#include <cstdlib>

#include "gemm.h"
#include "gemm_avx2.h"
#include "gemm_avx512.h"
#include "isa.h"

namespace kernels::cpu {


namespace {

constexpr int MR = 6;
constexpr int64_t KC = 256;

// The micro-kernel a PackedWeight packs for, chosen once when it is packed (so the layout and the
// kernel always agree, whatever the capability level does later): the AVX2 6x16 (float) / 6x8
// (double) tiles, or the AVX-512F 6x32 / 6x16 tiles at the avx512 level.
template <class T>
struct Micro {
  int nr;
  // dst[k*nr + c] = X[c*ld + k] for a full sliver of nr lines; false: pack it element by element.
  bool (*pack_w)(const T* X, int64_t ld, int64_t kc, T* dst);
  // C (mr x nr' corner, mr <= MR, nr' <= nr) = Ap Bp + beta C, for the full tile or an edge.
  void (*run)(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T beta, int mr, int nr, T* tile);
};

// A full tile straight into C; an edge through `tile` (the AVX2 kernels write whole tiles).
template <class T, int NR, void (*Kernel)(int64_t, const T*, const T*, T*, int64_t, T, T)>
void run_avx2(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T beta, int mr, int nr, T* tile) {
  if (mr == MR && nr == NR) {
    Kernel(kc, a, b, c, ldc, T(1), beta);
    return;
  }
  Kernel(kc, a, b, tile, NR, T(1), T(0));
  for (int r = 0; r < mr; ++r)
    for (int q = 0; q < nr; ++q)
      c[r * ldc + q] = beta == T(0) ? tile[r * NR + q] : tile[r * NR + q] + beta * c[r * ldc + q];
}

template <class T, void (*Kernel)(int64_t, const T*, const T*, T*, int64_t, T, T, int, int)>
void run_avx512(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T beta, int mr, int nr, T*) {
  Kernel(kc, a, b, c, ldc, T(1), beta, mr, nr);  // masked edge stores
}

bool spack16(const float* X, int64_t ld, int64_t kc, float* dst) {
  gemm_detail::spack_trans16_avx2(X, ld, kc, dst);
  return true;
}
bool spack32(const float* X, int64_t ld, int64_t kc, float* dst) {
  gemm_detail::spack_trans32_avx512(X, ld, kc, dst);
  return true;
}
bool no_pack(const double*, int64_t, int64_t, double*) { return false; }

// wide: the AVX-512F tiles (the level in force when the weight was packed).
Micro<float> micro_for(const float*, bool wide) {
  if (wide) return {32, spack32, run_avx512<float, gemm_detail::sgemm_kernel_6x32_avx512>};
  return {16, spack16, run_avx2<float, 16, gemm_detail::sgemm_kernel_6x16_avx2>};
}
Micro<double> micro_for(const double*, bool wide) {
  if (wide) return {16, no_pack, run_avx512<double, gemm_detail::dgemm_kernel_6x16_avx512>};
  return {8, no_pack, run_avx2<double, 8, gemm_detail::dgemm_kernel_6x8_avx2>};
}

// A's rows [i*MR, i*MR + MR) as kc columns of MR values, zero past M (AVX2 for full float tiles).
bool pack_a(const float* X, int64_t ld, int64_t kc, float* dst) {
  gemm_detail::spack_trans6_avx2(X, ld, kc, dst);
  return true;
}
bool pack_a(const double*, int64_t, int64_t, double*) { return false; }

bool use_micro_kernels() { return use_avx2(); }

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

}  // namespace

template <class T>
PackedWeight<T>::PackedWeight(bool tw, const T* W, int64_t ldw, int64_t K, int64_t N)
    : tw_(tw), W_(W), ldw_(ldw), K_(K), N_(N) {
  if (!use_micro_kernels() || K <= 0 || N <= 0) return;
  wide_ = use_avx512();
  const Micro<T> micro = micro_for(W, wide_);
  nr_ = micro.nr;
  const int NR = nr_;
  const int64_t Npad = round_up(N, NR), nslv = Npad / NR;
  buf_ = Tensor::empty({K * Npad}, sizeof(T) == 4 ? DType::Float32 : DType::Float64, Device{});
  T* out = buf_.data<T>();
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    const int64_t kc = std::min(KC, K - k0);
    for (int64_t s = 0; s < nslv; ++s) {
      T* dst = out + k0 * Npad + s * kc * NR;
      if (tw && (s + 1) * NR <= N && micro.pack_w(W + s * NR * ldw + k0, ldw, kc, dst)) continue;
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < NR; ++c) {
          const int64_t j = s * NR + c;
          dst[k * NR + c] = j < N ? (tw ? W[j * ldw + k0 + k] : W[(k0 + k) * ldw + j]) : T(0);
        }
    }
  }
  packed_ = true;
}

template <class T>
int64_t PackedWeight<T>::work_size(int64_t M) const {
  return round_up(std::max<int64_t>(M, 1), MR) * std::min(KC, std::max<int64_t>(K_, 1)) + MR * nr_;
}

template <class T>
void PackedWeight<T>::gemm(int64_t M, const T* A, int64_t lda, T beta, T* C, int64_t ldc, T* work) const {
  if (M <= 0 || N_ <= 0) return;
  if (!packed_) {  // inside the caller's parallel region gemm runs on this thread alone
    cpu::gemm<T>(false, tw_, M, N_, K_, T(1), A, lda, W_, ldw_, beta, C, ldc);
    return;
  }
  const Micro<T> micro = micro_for(W_, wide_);
  const int NR = nr_;
  const int64_t Npad = round_up(N_, NR), nslv = Npad / NR, mtiles = (M + MR - 1) / MR;
  T* Ap = work;
  T* tile = work + round_up(M, MR) * std::min(KC, K_);
  const T* Bp = buf_.data<T>();
  for (int64_t k0 = 0; k0 < K_; k0 += KC) {
    const int64_t kc = std::min(KC, K_ - k0);
    const T bk = k0 == 0 ? beta : T(1);
    // A's rows [i*MR, i*MR + MR) as kc columns of MR values, zero past M.
    for (int64_t i = 0; i < mtiles; ++i) {
      T* dst = Ap + i * kc * MR;
      if ((i + 1) * MR <= M && pack_a(A + i * MR * lda + k0, lda, kc, dst)) continue;
      for (int r = 0; r < MR; ++r) {
        const int64_t row = i * MR + r;
        if (row < M) {
          const T* src = A + row * lda + k0;
          for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
        } else {
          for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = T(0);
        }
      }
    }
    const T* Bk = Bp + k0 * Npad;
    for (int64_t s = 0; s < nslv; ++s) {
      const int64_t j = s * NR, nr = std::min<int64_t>(NR, N_ - j);
      const T* b = Bk + s * kc * NR;
      for (int64_t i = 0; i < mtiles; ++i) {
        const int64_t mr = std::min<int64_t>(MR, M - i * MR);
        T* c = C + i * MR * ldc + j;
        micro.run(kc, Ap + i * kc * MR, b, c, ldc, bk, static_cast<int>(mr), static_cast<int>(nr), tile);
      }
    }
  }
}

template class PackedWeight<float>;
template class PackedWeight<double>;

}  // namespace kernels::cpu
