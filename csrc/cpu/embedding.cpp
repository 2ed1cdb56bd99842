// Embedding lookups and one_hot on the CPU (maths in embedding.h).
// Forward: ids are checked first, then rows are copied in parallel over positions.
// Backward: duplicates must add up without races or atomics, so threads split the D columns
// (every thread walks all ids for its columns); the result is deterministic.
#include "../contracts/embedding.h"

#include <algorithm>
#include <cstring>

#include "../common/dispatch.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

EmbeddingFault find_bad(const int64_t* ids, int64_t K, int64_t N) {
  for (int64_t k = 0; k < K; ++k)
    if (ids[k] < 0 || ids[k] >= N) return EmbeddingFault{true, ids[k]};
  return {};
}

}  // namespace

EmbeddingFault embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out) {
  const int64_t N = weight.shape[0], D = weight.shape[1], K = ids.numel();
  const int64_t* id = ids.data<int64_t>();
  const EmbeddingFault f = find_bad(id, K, N);
  if (f.bad || D == 0) return f;
  const size_t row_bytes = static_cast<size_t>(D) * itemsize(weight.dtype);
  const char* w = static_cast<const char*>(weight.raw_data());
  char* o = static_cast<char*>(out.raw_data());
  parallel_for(K, std::max<int64_t>(1, kGrainElementwise / D), [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) std::memcpy(o + k * row_bytes, w + id[k] * row_bytes, row_bytes);
  });
  return f;
}

void embedding_backward(const Tensor& grad, const Tensor& ids, int64_t padding_idx, Tensor& dweight) {
  const int64_t N = dweight.shape[0], D = dweight.shape[1], K = ids.numel();
  const int64_t* id = ids.data<int64_t>();
  KERNELS_DISPATCH_FLOAT(dweight.dtype, "embedding_backward", [&] {
    using T = scalar_t;
    const T* g = grad.data<T>();
    T* dw = dweight.data<T>();
    // Columns in chunks of 16 at least, so a thread's adds stay vector-wide.
    const int64_t grain = std::max<int64_t>(16, kGrainElementwise / std::max<int64_t>(K, 1));
    parallel_for(D, grain, [&](int64_t c0, int64_t c1) {
      for (int64_t n = 0; n < N; ++n) std::fill(dw + n * D + c0, dw + n * D + c1, T(0));
      for (int64_t k = 0; k < K; ++k) {
        const int64_t n = id[k];
        if (n == padding_idx || n < 0 || n >= N) continue;
        T* dst = dw + n * D;
        const T* src = g + k * D;
        for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
      }
    });
  });
}

EmbeddingFault one_hot(const Tensor& ids, int64_t num_classes, Tensor& out) {
  const int64_t K = ids.numel(), C = num_classes;
  const int64_t* id = ids.data<int64_t>();
  const EmbeddingFault f = find_bad(id, K, C);
  if (f.bad) return f;
  int64_t* o = out.data<int64_t>();
  parallel_for(K, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
    std::fill(o + b * C, o + e * C, int64_t(0));
    for (int64_t k = b; k < e; ++k) o[k * C + id[k]] = 1;
  });
  return f;
}

}  // namespace kernels::cpu
