// Embedding lookups and one_hot on the CPU.
//   embedding  weight (N, D), ids (K) int64 (any shape, flattened)  ->  out (K, D)
//              out[k, :] = weight[ids[k], :]
//              dweight[n, :] = sum over k with ids[k] == n (and n != padding_idx) of dout[k, :]
//   one_hot    ids (K) int64  ->  out (K, C) int64, out[k, c] = (ids[k] == c)
// An id outside [0, N) (resp. [0, C)) is reported back (EmbeddingFault), never read or written.
#pragma once
#include <cstdint>

#include "../common/tensor.h"

namespace kernels {

// The first id found out of range (bad == false when none).
struct EmbeddingFault {
  bool bad = false;
  int64_t value = 0;
};

EmbeddingFault embedding_forward_cpu(const Tensor& weight, const Tensor& ids, Tensor& out);
// padding_idx < 0: none. dweight is fully written (zeros for unused rows).
void embedding_backward_cpu(const Tensor& grad, const Tensor& ids, int64_t padding_idx, Tensor& dweight);
EmbeddingFault one_hot_cpu(const Tensor& ids, int64_t num_classes, Tensor& out);

}  // namespace kernels
