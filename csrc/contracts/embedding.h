// Embedding lookups and one_hot: the entry points both devices implement.
//   embedding  weight (N, D), ids (K) int64 (any shape, flattened)  ->  out (K, D)
//              out[k, :] = weight[ids[k], :]
//              dweight[n, :] = sum over k with ids[k] == n (and n != padding_idx) of dout[k, :]
//   one_hot    ids (K) int64  ->  out (K, C) int64, out[k, c] = (ids[k] == c)
// An id outside [0, N) (resp. [0, C)) is reported back (EmbeddingFault), never read or written.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// The first id found out of range (bad == false when none).
struct EmbeddingFault {
  bool bad = false;
  int64_t value = 0;
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/embedding.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_EMBEDDING_ENTRY_POINTS                                                                  \
  EmbeddingFault embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out);               \
  /* padding_idx < 0: none. dweight is fully written (zeros for unused rows). */                        \
  void embedding_backward(const Tensor& grad, const Tensor& ids, int64_t padding_idx, Tensor& dweight); \
  EmbeddingFault one_hot(const Tensor& ids, int64_t num_classes, Tensor& out);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_EMBEDDING_ENTRY_POINTS)
