// The CUDA GEMM engine (gemm.cuh); the batched GEMM description (GemmSpec) is in
// csrc/contracts/matmul.h:
//   for every z:  C[z] = alpha * sum_r op(A[z,r]) op(B[z,r]) + beta * C[z]
//   op(A) is (M,K), op(B) is (K,N), C[z] is (M,N) with row stride ldc.
//
// Tiled shared-memory GEMM: a block of 16x16 threads computes a 64x64 tile of C, each thread a
// 4x4 register tile at rows ty+16i and columns tx+16j (so shared-memory reads are broadcast or
// consecutive). K advances in steps of 16 through shared memory: A's tile stored k-major
// (As[k][m]), B's tile as Bs[k][n]. Transposed operands only change the load indexing, which is
// chosen so consecutive threads read consecutive addresses. Out-of-range loads are zeros, so any
// M, N, K works; stores are guarded. blockIdx.x walks M tiles, blockIdx.y N tiles and blockIdx.z
// the batch (both with grid-stride loops past 65535); the r sum runs inside the block, so the
// reduced batch dims of a backward need no atomics.
#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "gemm.cuh"

namespace kernels::cuda {

namespace {

constexpr int kBM = 64, kBN = 64, kBK = 16, kThreads = 256;

template <class T, bool TA, bool TB>
__global__ void __launch_bounds__(kThreads)
    gemm_kernel(GemmSpec s, const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C,
                T alpha, T beta) {
  __shared__ T As[kBK][kBM + 1];
  __shared__ T Bs[kBK][kBN + 1];
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int64_t n_tiles = (s.N + kBN - 1) / kBN;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kBM;
  for (int64_t z = blockIdx.z; z < s.zcount; z += gridDim.z) {
    int64_t za, zb;
    s.z_offsets(z, za, zb);
    T* Cz = C + z * s.c_stride;
    for (int64_t tn = blockIdx.y; tn < n_tiles; tn += gridDim.y) {
      const int64_t n0 = tn * kBN;
      T acc[4][4];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = T(0);
      for (int64_t r = 0; r < s.rcount; ++r) {
        int64_t ra, rb;
        s.r_offsets(r, ra, rb);
        const T* Ab = A + za + ra;
        const T* Bb = B + zb + rb;
        for (int64_t k0 = 0; k0 < s.K; k0 += kBK) {
#pragma unroll
          for (int l = 0; l < 4; ++l) {
            // A tile: 64 x 16 values, 4 per thread.
            const int mm = TA ? tid % 64 : tid / 16 + 16 * l;
            const int kk = TA ? tid / 64 + 4 * l : tid % 16;
            const int64_t gm = m0 + mm, gk = k0 + kk;
            T v = T(0);
            if (gm < s.M && gk < s.K) v = TA ? Ab[gk * s.lda + gm] : Ab[gm * s.lda + gk];
            As[kk][mm] = v;
          }
#pragma unroll
          for (int l = 0; l < 4; ++l) {
            // B tile: 16 x 64 values, 4 per thread.
            const int nn = TB ? tid / 16 + 16 * l : tid % 64;
            const int kk = TB ? tid % 16 : tid / 64 + 4 * l;
            const int64_t gn = n0 + nn, gk = k0 + kk;
            T v = T(0);
            if (gn < s.N && gk < s.K) v = TB ? Bb[gn * s.ldb + gk] : Bb[gk * s.ldb + gn];
            Bs[kk][nn] = v;
          }
          __syncthreads();
#pragma unroll
          for (int k = 0; k < kBK; ++k) {
            T a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) a[i] = As[k][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; ++j) b[j] = Bs[k][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
              for (int j = 0; j < 4; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
          }
          __syncthreads();
        }
      }
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t gm = m0 + ty + 16 * i;
        if (gm >= s.M) continue;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int64_t gn = n0 + tx + 16 * j;
          if (gn >= s.N) continue;
          T* c = Cz + gm * s.ldc + gn;
          *c = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *c;
        }
      }
    }
  }
}

}  // namespace

template <class T>
void gemm(const GemmSpec& s, const T* A, const T* B, T* C) {
  if (s.zcount <= 0 || s.M <= 0 || s.N <= 0) return;
  const int64_t m_tiles = (s.M + kBM - 1) / kBM, n_tiles = (s.N + kBN - 1) / kBN;
  const dim3 grid(static_cast<unsigned>(m_tiles), static_cast<unsigned>(std::min<int64_t>(n_tiles, 65535)),
                  static_cast<unsigned>(std::min<int64_t>(s.zcount, 65535)));
  const T alpha = static_cast<T>(s.alpha), beta = static_cast<T>(s.beta);
  if (!s.ta && !s.tb)
    gemm_kernel<T, false, false><<<grid, kThreads>>>(s, A, B, C, alpha, beta);
  else if (!s.ta && s.tb)
    gemm_kernel<T, false, true><<<grid, kThreads>>>(s, A, B, C, alpha, beta);
  else if (s.ta && !s.tb)
    gemm_kernel<T, true, false><<<grid, kThreads>>>(s, A, B, C, alpha, beta);
  else
    gemm_kernel<T, true, true><<<grid, kThreads>>>(s, A, B, C, alpha, beta);
  cuda::check_launch("gemm");
}
template void gemm<float>(const GemmSpec&, const float*, const float*, float*);
template void gemm<double>(const GemmSpec&, const double*, const double*, double*);

}  // namespace kernels::cuda
