#pragma once
#include "../common/tensor.h"
#include "../cpu/embedding.h"  // EmbeddingFault; maths documented there

namespace kernels {

EmbeddingFault embedding_forward_cuda(const Tensor& weight, const Tensor& ids, Tensor& out);
void embedding_backward_cuda(const Tensor& grad, const Tensor& ids, int64_t padding_idx, Tensor& dweight);
EmbeddingFault one_hot_cuda(const Tensor& ids, int64_t num_classes, Tensor& out);

}  // namespace kernels
