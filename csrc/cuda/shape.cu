// Shape and indexing kernels on CUDA; the maths is in csrc/cpu/shape.cpp's header comment.
// One thread per output (or source) element. The scatter-type kernels (index_add, scatter_add)
// give each thread a line of the output to own and walk the index in order, as the CPU loops do:
// no atomics, so their sums repeat from run to run and equal the CPU's. Every kernel that reads an index checks it, skips it when out of range and records
// the first bad value in a small device buffer (flag, value, dim) that the launcher copies back
// (a synchronising copy) so csrc/ops/ can raise IndexError.
#include <algorithm>

#include "../common/cuda_backend.h"
#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "../contracts/shape.h"

namespace kernels::cuda {

namespace {

// Device-side record of the first out-of-range index.
struct DeviceFault {
  Tensor buf;
  explicit DeviceFault(Device d) : buf(Tensor::empty({3}, DType::Int64, d)) {
    CUDA_CHECK(cudaMemset(buf.raw_data(), 0, 3 * sizeof(int64_t)));
  }
  int64_t* ptr() const { return buf.data<int64_t>(); }
  IndexFault fetch() const {
    int64_t h[3] = {0, 0, 0};
    cuda::copy_device_to_host(h, buf.raw_data(), sizeof(h), buf.device().index);
    return IndexFault{h[0], h[1], h[2]};
  }
};

__device__ __forceinline__ void report_fault(int64_t* f, int64_t value, int64_t dim) {
  if (atomicCAS(reinterpret_cast<unsigned long long*>(f), 0ull, 1ull) == 0ull) {
    f[1] = value;
    f[2] = dim;
  }
}

int64_t prod(const std::vector<int64_t>& s, int b, int e) {
  int64_t p = 1;
  for (int i = b; i < e; ++i) p *= s[i];
  return p;
}

// Index tensors and their broadcast layouts for index_linearize, passed by value.
struct LinearizeArgs {
  int k = 0;
  const int64_t* ptr[kMaxDims];
  StridedLayout layout[kMaxDims];
  int64_t size[kMaxDims];
  int64_t mult[kMaxDims];
};

}  // namespace

// x is (outer, cols) and lands in out (outer, row) at column `off`.
template <class T>
__global__ void cat_kernel(const T* x, T* out, int64_t cols, int64_t row, int64_t off, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) {
    const int64_t r = i / cols, c = i - r * cols;
    out[r * row + off + c] = x[i];
  }
}

// out is (outer, cols), taken from x (outer, row) at column `off`.
template <class T>
__global__ void split_kernel(const T* x, T* out, int64_t cols, int64_t row, int64_t off, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) {
    const int64_t r = i / cols, c = i - r * cols;
    out[i] = x[r * row + off + c];
  }
}

template <class T>
__global__ void index_select_kernel(const T* x, const int64_t* idx, T* out, int64_t N, int64_t K,
                                    int64_t inner, int64_t n, int64_t* fault) {
  CUDA_KERNEL_LOOP(i, n) {
    const int64_t c = i % inner, t = i / inner, j = t % K, r = t / K;
    const int64_t v = idx[j];
    if (v < 0 || v >= N) {
      report_fault(fault, v, 0);
      continue;
    }
    out[i] = x[(r * N + v) * inner + c];
  }
}

// acc + a * s rounded twice, as on the CPU (nvcc would fuse it into one fma).
__device__ __forceinline__ float add_scaled(float acc, float a, float s) { return __fadd_rn(acc, __fmul_rn(a, s)); }
__device__ __forceinline__ double add_scaled(double acc, double a, double s) { return __dadd_rn(acc, __dmul_rn(a, s)); }
__device__ __forceinline__ int64_t add_scaled(int64_t acc, int64_t a, int64_t s) { return acc + a * s; }

// Thread (r, c, slice q of the destination rows [v0, v1)): out[r, v, c] += alpha src[r, j, c]
// for every j in order whose index v falls in its slice.
template <class T>
__global__ void index_add_kernel(T* out, const int64_t* idx, const T* src, T alpha, int64_t N, int64_t K,
                                 int64_t inner, int64_t R, int64_t slice, int64_t* fault) {
  const int64_t slices = (N + slice - 1) / slice;
  CUDA_KERNEL_LOOP(i, R * inner * slices) {
    const int64_t c = i % inner, t = i / inner, r = t % R, q = t / R;
    const int64_t v0 = q * slice, v1 = v0 + slice < N ? v0 + slice : N;
    for (int64_t j = 0; j < K; ++j) {
      const int64_t v = idx[j];
      if (v < 0 || v >= N) {
        if (q == 0) report_fault(fault, v, 0);
        continue;
      }
      if (v < v0 || v >= v1) continue;
      T* dst = out + (r * N + v) * inner + c;
      *dst = add_scaled(*dst, alpha, src[(r * K + j) * inner + c]);
    }
  }
}

template <class T>
__global__ void gather_kernel(const T* x, const int64_t* idx, T* out, DimLoop g, int64_t n, int64_t* fault) {
  CUDA_KERNEL_LOOP(i, n) {
    const int64_t p = i / g.k, j = i - p * g.k;
    const int64_t pos = g.index.offset_of(p) + j * g.index_stride;
    const int64_t v = idx[pos];
    if (v < 0 || v >= g.a_dim_size) {
      report_fault(fault, v, 0);
      continue;
    }
    out[pos] = x[g.a.offset_of(p) + v * g.a_stride];
  }
}

// Thread p owns position p (every coordinate but `dim`) and walks j in order.
template <class T>
__global__ void scatter_add_kernel(T* out, const int64_t* idx, const T* src, DimLoop g, int64_t* fault) {
  CUDA_KERNEL_LOOP(p, g.outer) {
    const int64_t bi = g.index.offset_of(p), ba = g.a.offset_of(p), bb = g.b.offset_of(p);
    for (int64_t j = 0; j < g.k; ++j) {
      const int64_t v = idx[bi + j * g.index_stride];
      if (v < 0 || v >= g.a_dim_size) {
        report_fault(fault, v, 0);
        continue;
      }
      out[ba + v * g.a_stride] += src[bb + j * g.b_stride];
    }
  }
}

__global__ void index_linearize_kernel(LinearizeArgs a, int64_t* out, int64_t n, int64_t* fault) {
  CUDA_KERNEL_LOOP(i, n) {
    int64_t flat = 0;
    for (int j = 0; j < a.k; ++j) {
      int64_t v = a.ptr[j][a.layout[j].offset_of(i)];
      const int64_t d = a.size[j];
      if (v < -d || v >= d) {
        report_fault(fault, v, j);
        v = 0;
      } else if (v < 0) {
        v += d;
      }
      flat += v * a.mult[j];
    }
    out[i] = flat;
  }
}

template <class T>
__global__ void strided_assign_kernel(T* dst, StridedLayout dl, const T* src, StridedLayout sl, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) dst[dl.offset_of(i)] = src[sl.offset_of(i)];
}

template <class T>
__global__ void index_put_kernel(T* dst, int64_t numel, const int64_t* idx, const T* v, int64_t n,
                                 int64_t* fault) {
  CUDA_KERNEL_LOOP(i, n) {
    int64_t p = idx[i];
    if (p < -numel || p >= numel) {
      report_fault(fault, p, 0);
      continue;
    }
    if (p < 0) p += numel;
    dst[p] = v[i];
  }
}

// ---------------------------------------------------------------- launchers

void cat_forward(const std::vector<Tensor>& inputs, int dim, Tensor& out) {
  if (!out.numel()) return;
  const int64_t outer = prod(out.shape, 0, dim);
  const int64_t row = out.numel() / outer;
  int64_t off = 0;
  for (const Tensor& x : inputs) {
    const int64_t n = x.numel(), cols = n / outer;
    if (n) {
      KERNELS_DISPATCH_ALL(out.dtype, "cat", [&] {
        cat_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(x.data<scalar_t>(), out.data<scalar_t>(), cols, row,
                                                        off, n);
      });
      cuda::check_launch("cat");
    }
    off += cols;
  }
}

void split_forward(const Tensor& input, int dim, std::vector<Tensor>& outs) {
  if (!input.numel()) return;
  const int64_t outer = prod(input.shape, 0, dim);
  const int64_t row = input.numel() / outer;
  int64_t off = 0;
  for (Tensor& o : outs) {
    const int64_t n = o.numel(), cols = n / outer;
    if (n) {
      KERNELS_DISPATCH_ALL(input.dtype, "split", [&] {
        split_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(input.data<scalar_t>(), o.data<scalar_t>(), cols,
                                                          row, off, n);
      });
      cuda::check_launch("split");
    }
    off += cols;
  }
}

IndexFault index_select_forward(const Tensor& input, int dim, const Tensor& index, Tensor& out) {
  const int64_t n = out.numel();
  if (!n) return {};
  const int64_t N = input.shape[dim], K = index.numel();
  const int64_t inner = prod(input.shape, dim + 1, input.dim());
  DeviceFault fault(input.device());
  KERNELS_DISPATCH_ALL(input.dtype, "index_select", [&] {
    index_select_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(input.data<scalar_t>(), index.data<int64_t>(),
                                                             out.data<scalar_t>(), N, K, inner, n, fault.ptr());
  });
  cuda::check_launch("index_select");
  return fault.fetch();
}

IndexFault index_add(Tensor& out, int dim, const Tensor& index, const Tensor& source, double alpha) {
  const int64_t n = source.numel();
  if (!n) return {};
  const int64_t N = out.shape[dim], K = index.numel();
  const int64_t inner = prod(out.shape, dim + 1, out.dim()), R = prod(out.shape, 0, dim);
  DeviceFault fault(out.device());
  if (!N) return {};
  // Slices of the destination rows so that about 16K threads share the work.
  const int64_t lines = std::max<int64_t>(1, R * inner);
  const int64_t slices = std::max<int64_t>(1, std::min<int64_t>(N, (16384 + lines - 1) / lines));
  const int64_t slice = (N + slices - 1) / slices;
  KERNELS_DISPATCH_NUMERIC(out.dtype, "index_add", [&] {
    index_add_kernel<<<cuda::grid_for(lines * slices), cuda::kBlock>>>(
        out.data<scalar_t>(), index.data<int64_t>(), source.data<scalar_t>(),
        static_cast<scalar_t>(alpha), N, K, inner, R, slice, fault.ptr());
  });
  cuda::check_launch("index_add");
  return fault.fetch();
}

IndexFault gather_forward(const Tensor& input, const Tensor& index, const DimLoop& g, Tensor& out) {
  const int64_t n = g.outer * g.k;
  if (!n) return {};
  DeviceFault fault(input.device());
  KERNELS_DISPATCH_ALL(input.dtype, "gather", [&] {
    gather_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(input.data<scalar_t>(), index.data<int64_t>(),
                                                       out.data<scalar_t>(), g, n, fault.ptr());
  });
  cuda::check_launch("gather");
  return fault.fetch();
}

IndexFault scatter_add(Tensor& out, const Tensor& index, const DimLoop& g, const Tensor& src) {
  const int64_t n = g.outer * g.k;
  if (!n) return {};
  DeviceFault fault(out.device());
  KERNELS_DISPATCH_NUMERIC(out.dtype, "scatter_add", [&] {
    scatter_add_kernel<<<cuda::grid_for(g.outer), cuda::kBlock>>>(
        out.data<scalar_t>(), index.data<int64_t>(), src.data<scalar_t>(), g, fault.ptr());
  });
  cuda::check_launch("scatter_add");
  return fault.fetch();
}

IndexFault index_linearize(const std::vector<Tensor>& indices, const std::vector<StridedLayout>& layouts,
                                const std::vector<int64_t>& dim_sizes, Tensor& out) {
  const int64_t n = out.numel();
  if (!n) return {};
  LinearizeArgs a;
  a.k = static_cast<int>(indices.size());
  int64_t m = 1;
  for (int j = a.k - 1; j >= 0; --j) {
    a.ptr[j] = indices[j].data<int64_t>();
    a.layout[j] = layouts[j];
    a.size[j] = dim_sizes[j];
    a.mult[j] = m;
    m *= dim_sizes[j];
  }
  DeviceFault fault(out.device());
  index_linearize_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(a, out.data<int64_t>(), n, fault.ptr());
  cuda::check_launch("index");
  return fault.fetch();
}

void strided_assign(Tensor& dst, const StridedLayout& dl, const Tensor& src, const StridedLayout& sl,
                         int64_t n) {
  if (!n) return;
  KERNELS_DISPATCH_ALL(dst.dtype, "setitem", [&] {
    strided_assign_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(dst.data<scalar_t>(), dl, src.data<scalar_t>(),
                                                               sl, n);
  });
  cuda::check_launch("setitem");
}

IndexFault index_put(Tensor& dst, const Tensor& index, const Tensor& values) {
  const int64_t n = index.numel();
  if (!n) return {};
  DeviceFault fault(dst.device());
  KERNELS_DISPATCH_ALL(dst.dtype, "index_put", [&] {
    index_put_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(dst.data<scalar_t>(), dst.numel(),
                                                          index.data<int64_t>(), values.data<scalar_t>(), n,
                                                          fault.ptr());
  });
  cuda::check_launch("index_put");
  return fault.fetch();
}

}  // namespace kernels::cuda
