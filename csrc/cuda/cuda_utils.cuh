// Helpers shared by the CUDA kernel files: error checks after every call and launch, and the
// grid-size arithmetic for 1-D elementwise launches.
#pragma once
#include <cuda_runtime.h>

#include "../common/cuda_backend.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace kernels::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line);
// After a launch: cudaGetLastError always; with KERNELS_CUDA_SYNC=1 also a device synchronize so
// an asynchronous fault is reported at the kernel that caused it.
void check_launch(const char* op);

constexpr int kBlock = 256;
inline unsigned grid_for(int64_t n, int block = kBlock) {
  int64_t g = (n + block - 1) / block;
  const int64_t cap = 65535LL * 32;  // grid-stride loops cover the rest
  return static_cast<unsigned>(g < 1 ? 1 : (g > cap ? cap : g));
}


// Row-wise kernels run one block per row: the grid (capped; the kernels stride over the rest)
// and the smallest power-of-two block from 32 threads that covers a row of n values, at most
// max_threads.
inline unsigned row_grid(int64_t rows) {
  const int64_t cap = 1 << 20;
  return static_cast<unsigned>(rows < 1 ? 1 : (rows > cap ? cap : rows));
}
inline int row_block(int64_t n, int max_threads = 256) {
  int b = 32;
  while (b < n && b < max_threads) b <<= 1;
  return b;
}

}  // namespace kernels::cuda

#define CUDA_CHECK(expr)                                                          \
  do {                                                                            \
    cudaError_t err_ = (expr);                                                    \
    if (err_ != cudaSuccess)                                                      \
      ::kernels::cuda::throw_cuda_error(err_, #expr, __FILE__, __LINE__);         \
  } while (0)

// Grid-stride loop over [0, n).
#define CUDA_KERNEL_LOOP(i, n)                                                          \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);            \
       i += (int64_t)blockDim.x * gridDim.x)
