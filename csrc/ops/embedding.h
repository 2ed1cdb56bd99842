// Embedding lookups and one_hot: checks, then csrc/cpu/embedding.cpp or csrc/cuda/embedding.cu.
#pragma once
#include <optional>

#include "../common/tensor.h"

namespace kernels {
// weight (N, D) float, input int64 of any shape -> (*input.shape, D). An id outside [0, N)
// raises IndexError naming it.
Tensor embedding_forward(const Tensor& input, const Tensor& weight);
// grad (*input.shape, D) -> dweight (num_embeddings, D); the padding_idx row gets no gradient
// (padding_idx already normalised to [0, N), or None).
Tensor embedding_backward(const Tensor& grad, const Tensor& input, int64_t num_embeddings,
                          std::optional<int64_t> padding_idx);
// int64 (*input.shape, num_classes) with a 1 at each id; ids outside [0, num_classes) raise.
Tensor one_hot(const Tensor& input, int64_t num_classes);
}  // namespace kernels
