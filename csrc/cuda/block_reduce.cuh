// Block-wide reductions shared by the activation and loss kernels: a warp shuffle tree, then one
// warp combines the per-warp results. Every thread of the block must call it (it synchronises);
// blockDim.x must be a multiple of 32 and at most 1024. Every thread gets the result.
#pragma once
#include <cuda_runtime.h>

namespace kernels::cuda {

struct SumOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {  // NaN wins, so a row with a NaN gives NaN as torch
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return (a > b || a != a) ? a : b; }
};

template <class T, class Op>
__device__ __forceinline__ T block_reduce(T v, Op op, T identity) {
  __shared__ T shm[32];
  for (int off = 16; off > 0; off >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, off));
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  __syncthreads();  // the previous call's readers are done with shm
  if (lane == 0) shm[wid] = v;
  __syncthreads();
  const int nw = (blockDim.x + 31) >> 5;
  if (wid == 0) {
    v = lane < nw ? shm[lane] : identity;
    for (int off = 16; off > 0; off >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, off));
    if (lane == 0) shm[0] = v;
  }
  __syncthreads();
  return shm[0];
}

}  // namespace kernels::cuda
