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
#include "isa.h"

namespace kernels::cpu {


namespace {

constexpr int MR = 6;
constexpr int64_t KC = 256;

template <class T>
struct Kernel;
template <>
struct Kernel<float> {
  static constexpr int NR = 16;
  // dst[k*W + c] = X[c*ld + k] for a full sliver of W = NR (pack_w) or MR (pack_a) lines.
  static bool pack_w(const float* X, int64_t ld, int64_t kc, float* dst) {
    gemm_detail::spack_trans16_avx2(X, ld, kc, dst);
    return true;
  }
  static bool pack_a(const float* X, int64_t ld, int64_t kc, float* dst) {
    gemm_detail::spack_trans6_avx2(X, ld, kc, dst);
    return true;
  }
  static void run(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float beta) {
    gemm_detail::sgemm_kernel_6x16_avx2(kc, a, b, c, ldc, 1.0f, beta);
  }
};
template <>
struct Kernel<double> {
  static constexpr int NR = 8;
  static bool pack_w(const double*, int64_t, int64_t, double*) { return false; }
  static bool pack_a(const double*, int64_t, int64_t, double*) { return false; }
  static void run(int64_t kc, const double* a, const double* b, double* c, int64_t ldc, double beta) {
    gemm_detail::dgemm_kernel_6x8_avx2(kc, a, b, c, ldc, 1.0, beta);
  }
};

bool use_micro_kernels() { return use_avx2(); }

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

}  // namespace

template <class T>
PackedWeight<T>::PackedWeight(bool tw, const T* W, int64_t ldw, int64_t K, int64_t N)
    : tw_(tw), W_(W), ldw_(ldw), K_(K), N_(N) {
  constexpr int NR = Kernel<T>::NR;
  if (!use_micro_kernels() || K <= 0 || N <= 0) return;
  const int64_t Npad = round_up(N, NR), nslv = Npad / NR;
  buf_ = Tensor::empty({K * Npad}, sizeof(T) == 4 ? DType::Float32 : DType::Float64, Device{});
  T* out = buf_.data<T>();
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    const int64_t kc = std::min(KC, K - k0);
    for (int64_t s = 0; s < nslv; ++s) {
      T* dst = out + k0 * Npad + s * kc * NR;
      if (tw && (s + 1) * NR <= N && Kernel<T>::pack_w(W + s * NR * ldw + k0, ldw, kc, dst)) continue;
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
  return round_up(std::max<int64_t>(M, 1), MR) * std::min(KC, std::max<int64_t>(K_, 1)) + MR * Kernel<T>::NR;
}

template <class T>
void PackedWeight<T>::gemm(int64_t M, const T* A, int64_t lda, T beta, T* C, int64_t ldc, T* work) const {
  if (M <= 0 || N_ <= 0) return;
  if (!packed_) {  // inside the caller's parallel region gemm runs on this thread alone
    cpu::gemm<T>(false, tw_, M, N_, K_, T(1), A, lda, W_, ldw_, beta, C, ldc);
    return;
  }
  constexpr int NR = Kernel<T>::NR;
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
      if ((i + 1) * MR <= M && Kernel<T>::pack_a(A + i * MR * lda + k0, lda, kc, dst)) continue;
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
        if (mr == MR && nr == NR) {
          Kernel<T>::run(kc, Ap + i * kc * MR, b, c, ldc, bk);
        } else {
          Kernel<T>::run(kc, Ap + i * kc * MR, b, tile, NR, T(0));
          for (int64_t r = 0; r < mr; ++r)
            for (int64_t q = 0; q < nr; ++q)
              c[r * ldc + q] = bk == T(0) ? tile[r * NR + q] : tile[r * NR + q] + bk * c[r * ldc + q];
        }
      }
    }
  }
}

template class PackedWeight<float>;
template class PackedWeight<double>;

}  // namespace kernels::cpu
