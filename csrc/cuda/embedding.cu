// Embedding lookups and one_hot on CUDA (maths in csrc/contracts/embedding.h).
//   forward   one thread per output element (k, c); an id out of range writes 0 and is recorded
//             in a small device buffer (flag, id) that the launcher copies back (a synchronising
//             copy), so a bad id raises instead of giving a silent wrong answer.
//   backward  dweight zeroed, then one thread per (column c, slice of the vocabulary) walks the
//             ids in order and adds the rows that fall in its slice: no atomics, so the sums
//             come out the same on every run and equal to the CPU loop's (same order over k).
//   one_hot   zero fill, then one thread per id sets its 1, recording ids out of range.
#include <algorithm>

#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "../contracts/embedding.h"

namespace kernels::cuda {

namespace {

struct FaultBuffer {
  Tensor buf;
  explicit FaultBuffer(Device d) : buf(Tensor::empty({2}, DType::Int64, d)) {
    CUDA_CHECK(cudaMemsetAsync(buf.raw_data(), 0, 2 * sizeof(int64_t)));
  }
  int64_t* ptr() const { return buf.data<int64_t>(); }
  EmbeddingFault fetch() const {
    int64_t h[2] = {0, 0};
    cuda::copy_device_to_host(h, buf.raw_data(), sizeof(h), buf.device().index);
    return EmbeddingFault{h[0] != 0, h[1]};
  }
};

__device__ __forceinline__ void report(int64_t* f, int64_t value) {
  if (atomicCAS(reinterpret_cast<unsigned long long*>(f), 0ull, 1ull) == 0ull) f[1] = value;
}

template <class T>
__global__ void embedding_forward_kernel(const T* w, const int64_t* ids, int64_t K, int64_t N, int64_t D,
                                         T* out, int64_t* fault) {
  CUDA_KERNEL_LOOP(i, K * D) {
    const int64_t k = i / D, c = i % D;
    const int64_t n = ids[k];
    if (n < 0 || n >= N) {
      if (c == 0) report(fault, n);
      out[i] = T(0);
    } else {
      out[i] = w[n * D + c];
    }
  }
}

template <class T>
__global__ void embedding_backward_kernel(const T* g, const int64_t* ids, int64_t K, int64_t N, int64_t D,
                                          int64_t padding_idx, int64_t slice, T* dw) {
  const int64_t slices = (N + slice - 1) / slice;
  CUDA_KERNEL_LOOP(i, D * slices) {
    const int64_t c = i % D, q = i / D;
    const int64_t n0 = q * slice, n1 = n0 + slice < N ? n0 + slice : N;
    for (int64_t k = 0; k < K; ++k) {  // threads of a warp share k: the id load is a broadcast
      const int64_t n = ids[k];
      if (n < n0 || n >= n1 || n == padding_idx) continue;
      dw[n * D + c] += g[k * D + c];
    }
  }
}

__global__ void one_hot_kernel(const int64_t* ids, int64_t K, int64_t C, int64_t* out, int64_t* fault) {
  CUDA_KERNEL_LOOP(k, K) {
    const int64_t n = ids[k];
    if (n < 0 || n >= C)
      report(fault, n);
    else
      out[k * C + n] = 1;
  }
}

}  // namespace

EmbeddingFault embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out) {
  const int64_t N = weight.shape[0], D = weight.shape[1], K = ids.numel();
  FaultBuffer fault(weight.device());
  KERNELS_DISPATCH_FLOAT(weight.dtype, "embedding", [&] {
    embedding_forward_kernel<<<cuda::grid_for(K * D), cuda::kBlock>>>(
        weight.data<scalar_t>(), ids.data<int64_t>(), K, N, D, out.data<scalar_t>(), fault.ptr());
  });
  cuda::check_launch("embedding");
  return fault.fetch();
}

void embedding_backward(const Tensor& grad, const Tensor& ids, int64_t padding_idx, Tensor& dweight) {
  const int64_t N = dweight.shape[0], D = dweight.shape[1], K = ids.numel();
  CUDA_CHECK(cudaMemsetAsync(dweight.raw_data(), 0, dweight.nbytes()));
  if (K * D == 0) return;
  // Enough vocabulary slices for about 16K threads; each thread reads every id once.
  const int64_t slices = std::max<int64_t>(1, std::min<int64_t>(N, (16384 + D - 1) / D));
  const int64_t slice = (N + slices - 1) / slices;
  KERNELS_DISPATCH_FLOAT(dweight.dtype, "embedding_backward", [&] {
    embedding_backward_kernel<<<cuda::grid_for(D * slices), cuda::kBlock>>>(
        grad.data<scalar_t>(), ids.data<int64_t>(), K, N, D, padding_idx, slice,
        dweight.data<scalar_t>());
  });
  cuda::check_launch("embedding_backward");
}

EmbeddingFault one_hot(const Tensor& ids, int64_t num_classes, Tensor& out) {
  const int64_t K = ids.numel();
  FaultBuffer fault(ids.device());
  CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, out.nbytes()));
  if (K > 0) {
    one_hot_kernel<<<cuda::grid_for(K), cuda::kBlock>>>(ids.data<int64_t>(), K, num_classes,
                                                        out.data<int64_t>(), fault.ptr());
    cuda::check_launch("one_hot");
  }
  return fault.fetch();
}

}  // namespace kernels::cuda
