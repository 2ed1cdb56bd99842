// The per-step product of a recurrence, C (M x N) = A (M x K) op(W) (+ beta C), with the weight
// W packed once per sequence instead of once per step (gemm packs both operands on every
// call; for a (64 x 256) x (256 x 1024) step that repacking of W_hh costs about as much as the
// arithmetic). op(W) is packed into the zero-padded NR-column slivers of the GEMM's micro-kernels
// (AVX2, csrc/cpu/gemm_avx2.cpp, or AVX-512F, gemm_avx512.cpp, at the level in force when it is
// packed), KC rows per block; each call packs only A's few rows.
// Below the AVX2 capability level (isa.h) it simply calls gemm.
// gemm() is single-threaded: the recurrences call it from inside their own parallel region,
// each thread on its own rows of the batch.
#pragma once
#include <cstdint>

#include "../common/tensor.h"

namespace kernels::cpu {

template <class T>
class PackedWeight {
 public:
  // op(W) is (K x N): W[j*ldw + k] when tw, else W[k*ldw + j].
  PackedWeight(bool tw, const T* W, int64_t ldw, int64_t K, int64_t N);
  // Elements of scratch that gemm() needs for M rows of A.
  int64_t work_size(int64_t M) const;
  void gemm(int64_t M, const T* A, int64_t lda, T beta, T* C, int64_t ldc, T* work) const;

 private:
  bool tw_;
  const T* W_;
  int64_t ldw_, K_, N_;
  bool packed_ = false;
  bool wide_ = false;  // packed for the AVX-512F tiles (else AVX2)
  int nr_ = 16;        // their sliver width
  Tensor buf_;  // the packed slivers (64-byte aligned host memory)
};

}  // namespace kernels::cpu
