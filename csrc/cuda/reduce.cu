// Reductions on CUDA; the maths is in csrc/cpu/reduce.cpp's header comment. x is a contiguous
// (outer, R, inner) block, outputs are (outer, inner) and col = o * inner + i.
//
// Every reduction is an Op with an accumulator type: identity(), load(v, r, col), combine(a, b)
// (associative and commutative, so any tree order gives the same answer up to rounding) and
// write(col, a). Two kernels drive them:
//   inner == 1:  one 256-thread block per (row, chunk of R): threads stride over R, then a warp
//                shuffle tree and a shared-memory step combine the block. A long R with few rows
//                is cut into chunks whose partial accumulators a second kernel combines (two-pass).
//   inner > 1:   one thread per (column, chunk of R) walks R with stride inner, so neighbouring
//                threads read neighbouring addresses; chunks are combined by a second kernel.
// Sums accumulate in double (int64 for integers); var/std use Welford's (n, mean, M2) merged with
// Chan's formula, which is numerically stable in one pass. max/min carry (value, index) and break
// ties by the smaller index, NaN beating numbers, which matches the sequential CPU scan.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "../contracts/reduce.h"

namespace kernels::cuda {

namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxGrid = 1u << 20;  // blocks loop over the rest

template <class T>
struct AccOf {
  using type = double;
};
template <>
struct AccOf<int64_t> {
  using type = long long;
};
template <>
struct AccOf<bool> {
  using type = long long;
};

template <class V>
__device__ __forceinline__ V shfl_down_value(V v, int off) {
  return __shfl_down_sync(0xffffffffu, v, off);
}
template <>
__device__ __forceinline__ bool shfl_down_value<bool>(bool v, int off) {
  return __shfl_down_sync(0xffffffffu, static_cast<int>(v), off) != 0;
}
template <>
__device__ __forceinline__ int64_t shfl_down_value<int64_t>(int64_t v, int off) {
  return static_cast<int64_t>(__shfl_down_sync(0xffffffffu, static_cast<long long>(v), off));
}

__device__ __forceinline__ int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

template <class T>
__device__ __forceinline__ bool is_nan(T v) {
  return v != v;
}

// ---- Ops ----

template <class T, class OutT>
struct SumOp {
  using acc_t = typename AccOf<T>::type;
  OutT* out;
  bool mean;
  int64_t R;
  __device__ acc_t identity() const { return acc_t(0); }
  __device__ acc_t load(T v, int64_t, int64_t) const { return static_cast<acc_t>(v); }
  __device__ acc_t combine(acc_t a, acc_t b) const { return a + b; }
  __device__ static acc_t shfl_down(acc_t a, int off) { return shfl_down_value(a, off); }
  __device__ void write(int64_t col, acc_t a) const {
    out[col] = mean ? static_cast<OutT>(static_cast<double>(a) / static_cast<double>(R))
                    : static_cast<OutT>(a);
  }
};

struct Welford {
  double n, mean, m2;
};

template <class T>
struct VarOp {
  using acc_t = Welford;
  T* out;
  double correction;
  bool take_sqrt;
  __device__ acc_t identity() const { return {0.0, 0.0, 0.0}; }
  __device__ acc_t load(T v, int64_t, int64_t) const { return {1.0, static_cast<double>(v), 0.0}; }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const double n = a.n + b.n, d = b.mean - a.mean;
    return {n, a.mean + d * (b.n / n), a.m2 + b.m2 + d * d * (a.n * b.n / n)};
  }
  __device__ static acc_t shfl_down(acc_t a, int off) {
    return {shfl_down_value(a.n, off), shfl_down_value(a.mean, off), shfl_down_value(a.m2, off)};
  }
  __device__ void write(int64_t col, acc_t a) const {
    const double v = a.m2 / fmax(0.0, a.n - correction);
    out[col] = static_cast<T>(take_sqrt ? sqrt(v) : v);
  }
};

template <class T>
struct ArgAcc {
  T v;
  int64_t idx;  // -1: empty
};

template <class T, bool IsMax>
struct ArgOp {
  using acc_t = ArgAcc<T>;
  T* values;         // may be null
  int64_t* indices;  // may be null
  __device__ acc_t identity() const { return {T(0), -1}; }
  __device__ acc_t load(T v, int64_t r, int64_t) const { return {v, r}; }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    if (a.idx < 0) return b;
    if (b.idx < 0) return a;
    const bool an = is_nan(a.v), bn = is_nan(b.v);
    if (an || bn) {
      if (an && bn) return a.idx < b.idx ? a : b;
      return an ? a : b;
    }
    if (IsMax ? (b.v > a.v) : (b.v < a.v)) return b;
    if (IsMax ? (a.v > b.v) : (a.v < b.v)) return a;
    return a.idx < b.idx ? a : b;
  }
  __device__ static acc_t shfl_down(acc_t a, int off) {
    return {shfl_down_value(a.v, off), shfl_down_value(a.idx, off)};
  }
  __device__ void write(int64_t col, acc_t a) const {
    if (values) values[col] = a.v;
    if (indices) indices[col] = a.idx;
  }
};

// Counts the elements equal to out[col] (NaN matches NaN).
template <class T>
struct CountOp {
  using acc_t = long long;
  const T* target;
  long long* count;
  __device__ acc_t identity() const { return 0; }
  __device__ acc_t load(T v, int64_t, int64_t col) const {
    const T m = target[col];
    return (v == m || (is_nan(v) && is_nan(m))) ? 1 : 0;
  }
  __device__ acc_t combine(acc_t a, acc_t b) const { return a + b; }
  __device__ static acc_t shfl_down(acc_t a, int off) { return shfl_down_value(a, off); }
  __device__ void write(int64_t col, acc_t a) const { count[col] = a; }
};

// ---- Drivers ----

template <class Op, class A>
__device__ A warp_reduce(const Op& op, A a) {
  for (int off = 16; off > 0; off >>= 1) a = op.combine(a, Op::shfl_down(a, off));
  return a;
}

// The block's combined accumulator, valid in thread 0. Ends with a barrier so the shared buffer
// can be reused by the caller's next iteration.
template <class Op, class A>
__device__ A block_reduce(const Op& op, A a) {
  __shared__ __align__(16) unsigned char smem_raw[32 * sizeof(A)];
  A* smem = reinterpret_cast<A*>(smem_raw);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  a = warp_reduce(op, a);
  if (lane == 0) smem[warp] = a;
  __syncthreads();
  if (warp == 0) {
    const int nwarps = (blockDim.x + 31) >> 5;
    a = lane < nwarps ? smem[lane] : op.identity();
    a = warp_reduce(op, a);
  }
  __syncthreads();
  return a;
}

// inner == 1: block b handles row b / chunks, elements [c * chunk_len, (c+1) * chunk_len) of it.
template <class Op, class T>
__global__ void reduce_rows_kernel(const T* __restrict__ x, int64_t rows, int64_t R, int64_t chunks,
                                   int64_t chunk_len, Op op, typename Op::acc_t* partial) {
  using A = typename Op::acc_t;
  for (int64_t b = blockIdx.x; b < rows * chunks; b += gridDim.x) {
    const int64_t row = b / chunks, c = b % chunks;
    const int64_t r0 = c * chunk_len, r1 = imin(R, r0 + chunk_len);
    const T* p = x + row * R;
    A a = op.identity();
    for (int64_t r = r0 + threadIdx.x; r < r1; r += blockDim.x) a = op.combine(a, op.load(p[r], r, row));
    a = block_reduce(op, a);
    if (threadIdx.x == 0) {
      if (chunks == 1) op.write(row, a);
      else partial[b] = a;
    }
  }
}

// Second pass for inner == 1: partial is (rows, chunks).
template <class Op>
__global__ void reduce_row_partials_kernel(const typename Op::acc_t* __restrict__ partial,
                                           int64_t rows, int64_t chunks, Op op) {
  using A = typename Op::acc_t;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    A a = op.identity();
    for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) a = op.combine(a, partial[row * chunks + c]);
    a = block_reduce(op, a);
    if (threadIdx.x == 0) op.write(row, a);
  }
}

// inner > 1: thread t handles column t % cols over chunk t / cols of R.
template <class Op, class T>
__global__ void reduce_cols_kernel(const T* __restrict__ x, int64_t outer, int64_t R, int64_t inner,
                                   int64_t chunks, int64_t chunk_len, Op op,
                                   typename Op::acc_t* partial) {
  using A = typename Op::acc_t;
  const int64_t cols = outer * inner;
  CUDA_KERNEL_LOOP(t, cols * chunks) {
    const int64_t c = t / cols, col = t % cols, o = col / inner, i = col % inner;
    const int64_t r0 = c * chunk_len, r1 = imin(R, r0 + chunk_len);
    const T* p = x + o * R * inner + i;
    A a = op.identity();
    for (int64_t r = r0; r < r1; ++r) a = op.combine(a, op.load(p[r * inner], r, col));
    if (chunks == 1) op.write(col, a);
    else partial[c * cols + col] = a;
  }
}

// Second pass for inner > 1: partial is (chunks, cols).
template <class Op>
__global__ void reduce_col_partials_kernel(const typename Op::acc_t* __restrict__ partial,
                                           int64_t cols, int64_t chunks, Op op) {
  using A = typename Op::acc_t;
  CUDA_KERNEL_LOOP(col, cols) {
    A a = op.identity();
    for (int64_t c = 0; c < chunks; ++c) a = op.combine(a, partial[c * cols + col]);
    op.write(col, a);
  }
}

unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(n < 1 ? 1 : (n > kMaxGrid ? kMaxGrid : n));
}

// Scratch memory on x's device for `n` accumulators of type A.
template <class A>
Tensor scratch(int64_t n, Device device) {
  const int64_t words = (n * static_cast<int64_t>(sizeof(A)) + 7) / 8;
  return Tensor::empty({words}, DType::Float64, device);
}

template <class Op, class T>
void run_reduce(const T* x, const ReduceGeom& g, const Op& op, Device device, const char* name) {
  using A = typename Op::acc_t;
  const int64_t cols = g.cols(), R = g.R;
  if (cols == 0) return;
  if (g.inner == 1) {
    // Enough blocks to fill the GPU: split long rows when there are few of them.
    int64_t chunks = 1;
    if (g.outer < 512 && R > 16384)
      chunks = std::min<int64_t>((R + 4095) / 4096, (2048 + g.outer - 1) / g.outer);
    const int64_t chunk_len = (R + chunks - 1) / std::max<int64_t>(chunks, 1);
    Tensor part;
    if (chunks > 1) part = scratch<A>(g.outer * chunks, device);
    A* pp = chunks > 1 ? reinterpret_cast<A*>(part.raw_data()) : nullptr;
    reduce_rows_kernel<<<blocks_for(g.outer * chunks), kThreads>>>(x, g.outer, R, chunks,
                                                                   std::max<int64_t>(chunk_len, 1), op, pp);
    cuda::check_launch(name);
    if (chunks > 1) {
      reduce_row_partials_kernel<<<blocks_for(g.outer), kThreads>>>(pp, g.outer, chunks, op);
      cuda::check_launch(name);
    }
  } else {
    // One thread per column; when there are few columns, also split R so that ~64K threads run.
    int64_t chunks = 1;
    if (cols < 65536 && R > 256)
      chunks = std::min<int64_t>((65536 + cols - 1) / cols, (R + 127) / 128);
    const int64_t chunk_len = (R + chunks - 1) / std::max<int64_t>(chunks, 1);
    Tensor part;
    if (chunks > 1) part = scratch<A>(cols * chunks, device);
    A* pp = chunks > 1 ? reinterpret_cast<A*>(part.raw_data()) : nullptr;
    reduce_cols_kernel<<<cuda::grid_for(cols * chunks), kThreads>>>(
        x, g.outer, R, g.inner, chunks, std::max<int64_t>(chunk_len, 1), op, pp);
    cuda::check_launch(name);
    if (chunks > 1) {
      reduce_col_partials_kernel<<<cuda::grid_for(cols), kThreads>>>(pp, cols, chunks, op);
      cuda::check_launch(name);
    }
  }
  // `part` is released here; the caching allocator hands it out again only to work queued after
  // these kernels on the same stream.
}

// ---- Gradient kernels (elementwise over the (outer, R, inner) block) ----

template <class T>
__global__ void expand_kernel(const T* __restrict__ grad, T* __restrict__ dx, int64_t n, int64_t R,
                              int64_t inner, T scale) {
  CUDA_KERNEL_LOOP(k, n) {
    const int64_t o = k / (R * inner), i = k % inner;
    dx[k] = grad[o * inner + i] * scale;
  }
}

template <class T>
__global__ void var_backward_kernel(const T* __restrict__ grad, const T* __restrict__ x,
                                    const double* __restrict__ mean, const T* __restrict__ std_out,
                                    T* __restrict__ dx, int64_t n, int64_t R, int64_t inner, double k2) {
  CUDA_KERNEL_LOOP(k, n) {
    const int64_t o = k / (R * inner), i = k % inner, col = o * inner + i;
    double gc = k2 * static_cast<double>(grad[col]);
    if (std_out) gc = std_out[col] == T(0) ? 0.0 : gc / (2.0 * static_cast<double>(std_out[col]));
    dx[k] = static_cast<T>((static_cast<double>(x[k]) - mean[col]) * gc);
  }
}

template <class T>
__global__ void index_scatter_kernel(const T* __restrict__ grad, const int64_t* __restrict__ idx,
                                     T* __restrict__ dx, int64_t cols, int64_t R, int64_t inner) {
  CUDA_KERNEL_LOOP(col, cols) {
    const int64_t r = idx[col];
    if (r < 0 || r >= R) continue;  // checked on the host for CPU tensors; never written out of bounds
    const int64_t o = col / inner, i = col % inner;
    dx[(o * R + r) * inner + i] = grad[col];
  }
}

template <class T>
__global__ void extremum_backward_kernel(const T* __restrict__ grad, const T* __restrict__ x,
                                         const T* __restrict__ out, const long long* __restrict__ count,
                                         T* __restrict__ dx, int64_t n, int64_t R, int64_t inner,
                                         bool nan_ties) {
  CUDA_KERNEL_LOOP(k, n) {
    const int64_t o = k / (R * inner), i = k % inner, col = o * inner + i;
    const T v = x[k], m = out[col];
    const bool hit = v == m || (is_nan(v) && is_nan(m));
    // A NaN maximum: NaN over the slice, as torch (see the CPU kernel).
    dx[k] = is_nan(m) && !nan_ties ? m : hit ? grad[col] / static_cast<T>(count[col]) : T(0);
  }
}

template <class T>
Tensor column_means(const T* x, const ReduceGeom& g, Device device) {
  Tensor mean = Tensor::empty({g.cols()}, DType::Float64, device);
  run_reduce(x, g, SumOp<T, double>{mean.data<double>(), true, g.R}, device, "var");
  return mean;
}

}  // namespace

void sum_forward(const Tensor& x, const ReduceGeom& g, Tensor& out) {
  if (!out.numel()) return;
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(x.dtype, "sum", [&] {
    using out_t = std::conditional_t<std::is_same_v<scalar_t, bool>, int64_t, scalar_t>;
    run_reduce(x.data<scalar_t>(), g, SumOp<scalar_t, out_t>{out.data<out_t>(), false, g.R},
               x.device(), "sum");
  });
}

void mean_forward(const Tensor& x, const ReduceGeom& g, Tensor& out) {
  if (!out.numel()) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, "mean", [&] {
    run_reduce(x.data<scalar_t>(), g, SumOp<scalar_t, scalar_t>{out.data<scalar_t>(), true, g.R},
               x.device(), "mean");
  });
}

void var_forward(const Tensor& x, const ReduceGeom& g, double correction, bool take_sqrt,
                      Tensor& out) {
  if (!out.numel()) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, "var", [&] {
    run_reduce(x.data<scalar_t>(), g, VarOp<scalar_t>{out.data<scalar_t>(), correction, take_sqrt},
               x.device(), take_sqrt ? "std" : "var");
  });
}

void max_forward(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices) {
  if (!g.cols() || !g.R) return;
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(x.dtype, "max", [&] {
    ArgOp<scalar_t, true> op{values.data_or_null<scalar_t>(),
                             indices.data_or_null<int64_t>()};
    run_reduce(x.data<scalar_t>(), g, op, x.device(), "max");
  });
}

void min_forward(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices) {
  if (!g.cols() || !g.R) return;
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(x.dtype, "min", [&] {
    ArgOp<scalar_t, false> op{values.data_or_null<scalar_t>(),
                              indices.data_or_null<int64_t>()};
    run_reduce(x.data<scalar_t>(), g, op, x.device(), "min");
  });
}

void sum_backward(const Tensor& grad, const ReduceGeom& g, double scale, Tensor& dx) {
  const int64_t n = dx.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(grad.dtype, "sum_backward", [&] {
    expand_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(grad.data<scalar_t>(), dx.data<scalar_t>(), n,
                                                       g.R, g.inner, static_cast<scalar_t>(scale));
  });
  cuda::check_launch("sum_backward");
}

void var_backward(const Tensor& grad, const Tensor& x, const Tensor& std_out, const ReduceGeom& g,
                       double correction, Tensor& dx) {
  const int64_t n = dx.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, "var_backward", [&] {
    const Tensor mean = column_means(x.data<scalar_t>(), g, x.device());
    const double k2 = 2.0 / std::max(0.0, static_cast<double>(g.R) - correction);
    var_backward_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(
        grad.data<scalar_t>(), x.data<scalar_t>(), mean.data<double>(),
        std_out.data_or_null<scalar_t>(), dx.data<scalar_t>(), n, g.R, g.inner, k2);
    cuda::check_launch("var_backward");
  });
}

void index_backward(const Tensor& grad, const Tensor& indices, const ReduceGeom& g, Tensor& dx) {
  if (!dx.numel()) return;
  CUDA_CHECK(cudaMemset(dx.raw_data(), 0, dx.nbytes()));
  const int64_t cols = g.cols();
  if (!cols) return;
  KERNELS_DISPATCH_FLOAT(grad.dtype, "max_backward", [&] {
    index_scatter_kernel<<<cuda::grid_for(cols), cuda::kBlock>>>(
        grad.data<scalar_t>(), indices.data<int64_t>(), dx.data<scalar_t>(), cols, g.R, g.inner);
  });
  cuda::check_launch("max_backward");
}

void extremum_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                            const ReduceGeom& g, bool nan_ties, Tensor& dx) {
  const int64_t n = dx.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(x.dtype, "amax_backward", [&] {
    Tensor count = Tensor::empty({g.cols()}, DType::Int64, x.device());
    long long* cp = reinterpret_cast<long long*>(count.raw_data());
    run_reduce(x.data<scalar_t>(), g, CountOp<scalar_t>{out.data<scalar_t>(), cp}, x.device(),
               "amax_backward");
    extremum_backward_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(
        grad.data<scalar_t>(), x.data<scalar_t>(), out.data<scalar_t>(), cp, dx.data<scalar_t>(), n,
        g.R, g.inner, nan_ties);
    cuda::check_launch("amax_backward");
  });
}

}  // namespace kernels::cuda
