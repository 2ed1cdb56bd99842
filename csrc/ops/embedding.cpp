#include "embedding.h"

#include <algorithm>

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/embedding.h"

namespace kernels {

namespace {

void check_ids(const char* op, const Tensor& input) {
  check_defined(op, input, "input");
  KCHECK_TYPE(input.dtype == DType::Int64, op, ": input must be an int64 tensor of indices, got ",
              input.desc());
}

}  // namespace

Tensor embedding_forward(const Tensor& input, const Tensor& weight) {
  const char* op = "embedding";
  check_ids(op, input);
  check_defined(op, weight, "weight");
  check_floating(op, weight);
  KCHECK(weight.dim() == 2, op, ": weight must have shape (num_embeddings, embedding_dim), got ",
         shape_str(weight.shape));
  KCHECK(input.device() == weight.device(), op, ": input is on ", input.device().str(),
         " but weight is on ", weight.device().str());
  std::vector<int64_t> shape = input.shape;
  shape.push_back(weight.shape[1]);
  Tensor out = Tensor::empty(shape, weight.dtype, weight.device());
  if (input.numel() == 0) return out;
  const EmbeddingFault f = KERNELS_ROUTE(weight, op, embedding_forward, weight, input, out);
  KCHECK_INDEX(!f.bad, op, ": index ", f.value, " is out of range for num_embeddings=", weight.shape[0],
               " (valid ids are 0..", weight.shape[0] - 1, "; input ", shape_str(input.shape), ")");
  return out;
}

Tensor embedding_backward(const Tensor& grad, const Tensor& input, int64_t num_embeddings,
                          std::optional<int64_t> padding_idx) {
  const char* op = "embedding_backward";
  check_ids(op, input);
  check_defined(op, grad, "grad");
  check_floating(op, grad);
  KCHECK(num_embeddings >= 0, op, ": num_embeddings must be non-negative, got ", num_embeddings);
  KCHECK(grad.dim() == input.dim() + 1 &&
             std::equal(input.shape.begin(), input.shape.end(), grad.shape.begin()),
         op, ": grad ", shape_str(grad.shape), " must have shape input ", shape_str(input.shape),
         " + (embedding_dim,)");
  KCHECK(input.device() == grad.device(), op, ": input is on ", input.device().str(), " but grad is on ",
         grad.device().str());
  const int64_t pad = padding_idx ? *padding_idx : -1;
  KCHECK(!padding_idx || (pad >= 0 && pad < num_embeddings), op, ": padding_idx ", pad,
         " must be within [0, ", num_embeddings, ")");
  Tensor dw = Tensor::empty({num_embeddings, grad.shape.back()}, grad.dtype, grad.device());
  KERNELS_ROUTE(grad, op, embedding_backward, grad, input, pad, dw);
  return dw;
}

Tensor one_hot(const Tensor& input, int64_t num_classes) {
  const char* op = "one_hot";
  check_ids(op, input);
  KCHECK(num_classes >= 0, op, ": num_classes must be non-negative (or -1 to infer it), got ", num_classes);
  std::vector<int64_t> shape = input.shape;
  shape.push_back(num_classes);
  Tensor out = Tensor::empty(shape, DType::Int64, input.device());
  const EmbeddingFault f = KERNELS_ROUTE(input, op, one_hot, input, num_classes, out);
  KCHECK_INDEX(!f.bad, op, ": class value ", f.value, " is out of range for num_classes=", num_classes,
               " (valid values are 0..", num_classes - 1, ")");
  return out;
}

}  // namespace kernels
