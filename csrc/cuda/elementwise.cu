// Elementwise ops with NumPy broadcasting, their gradients, and sum_to, on CUDA. The maths is in
// csrc/cpu/elementwise.cpp's header comment; the scalar formulas are the shared functors of
// csrc/common/elementwise_math.h.
//
// Kernels are grid-stride loops over the output's flat index i (64-bit). Same-shape operands are
// read at i directly; broadcast operands get their offsets by decomposing i over the coalesced
// output sizes with each operand's strides (0 along broadcast dims), passed by value in a
// BroadcastLayout. Tensor-scalar ops take the scalar by value.
//
// sum_to: with many outputs, one thread per output walks its reduced elements (adjacent threads
// read adjacent addresses when the innermost dim is kept); with few outputs and long sums, one
// block per output reduces through shared memory. Accumulation is in double (int64 for int64).
#include "../common/broadcast.h"
#include "../common/dispatch.h"
#include "../common/elementwise_dispatch.h"
#include "cuda_utils.cuh"
#include "../contracts/elementwise.h"

namespace kernels::cuda {

namespace {

template <class In, class Out, class F>
__global__ void map1_kernel(const In* a, Out* o, int64_t n, F f) {
  CUDA_KERNEL_LOOP(i, n) o[i] = f(a[i]);
}

template <class A, class B, class Out, class F>
__global__ void map2_same_kernel(const A* a, const B* b, Out* o, int64_t n, F f) {
  CUDA_KERNEL_LOOP(i, n) o[i] = f(a[i], b[i]);
}

template <class A, class B, class Out, class F>
__global__ void map2_bcast_kernel(const A* a, const B* b, Out* o, int64_t n, BroadcastLayout<2> L, F f) {
  CUDA_KERNEL_LOOP(i, n) {
    int64_t off[2];
    L.offsets(i, off);
    o[i] = f(a[off[0]], b[off[1]]);
  }
}

template <class A, class B, class C, class Out, class F>
__global__ void map3_same_kernel(const A* a, const B* b, const C* c, Out* o, int64_t n, F f) {
  CUDA_KERNEL_LOOP(i, n) o[i] = f(a[i], b[i], c[i]);
}

template <class A, class B, class C, class Out, class F>
__global__ void map3_bcast_kernel(const A* a, const B* b, const C* c, Out* o, int64_t n,
                                  BroadcastLayout<3> L, F f) {
  CUDA_KERNEL_LOOP(i, n) {
    int64_t off[3];
    L.offsets(i, off);
    o[i] = f(a[off[0]], b[off[1]], c[off[2]]);
  }
}

// The `Loops` policy of csrc/common/elementwise_dispatch.h: launch the kernel above that fits,
// then check the launch under the op's name.
struct CudaLoops {
  template <class In, class Out, class F>
  static void map1(const char* op, const In* a, Out* o, int64_t n, const F& f) {
    if (n == 0) return;
    map1_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(a, o, n, f);
    cuda::check_launch(op);
  }

  template <class A, class B, class Out, class F>
  static void map2_same(const char* op, const A* a, const B* b, Out* o, int64_t n, const F& f) {
    if (n == 0) return;
    map2_same_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(a, b, o, n, f);
    cuda::check_launch(op);
  }

  template <class A, class B, class Out, class F>
  static void map2(const char* op, const Tensor& ta, const Tensor& tb, Tensor& tout, const F& f) {
    const int64_t n = tout.numel();
    if (n == 0) return;
    if (ta.shape == tout.shape && tb.shape == tout.shape)
      return map2_same(op, ta.data<A>(), tb.data<B>(), tout.data<Out>(), n, f);
    const auto L = make_broadcast_layout<2>(tout.shape, {&ta.shape, &tb.shape}, op);
    map2_bcast_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(ta.data<A>(), tb.data<B>(), tout.data<Out>(), n, L, f);
    cuda::check_launch(op);
  }

  template <class A, class B, class C, class Out, class F>
  static void map3(const char* op, const Tensor& ta, const Tensor& tb, const Tensor& tc, Tensor& tout,
                   const F& f) {
    const int64_t n = tout.numel();
    if (n == 0) return;
    if (ta.shape == tout.shape && tb.shape == tout.shape && tc.shape == tout.shape) {
      map3_same_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(ta.data<A>(), tb.data<B>(), tc.data<C>(),
                                                            tout.data<Out>(), n, f);
    } else {
      const auto L = make_broadcast_layout<3>(tout.shape, {&ta.shape, &tb.shape, &tc.shape}, op);
      map3_bcast_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(ta.data<A>(), tb.data<B>(), tc.data<C>(),
                                                             tout.data<Out>(), n, L, f);
    }
    cuda::check_launch(op);
  }
};

// ---- sum_to ----
template <class T> struct AccOf { using type = double; };
template <> struct AccOf<int64_t> { using type = int64_t; };

template <class T, class A>
__global__ void sum_to_thread_kernel(const T* in, T* out, ReduceLayout L) {
  CUDA_KERNEL_LOOP(o, L.kept) {
    const T* base = in + Odometer::offset_of(L.nk, L.ksizes, L.kstrides, o);
    Odometer od;
    od.init(L.nr, L.rsizes, L.rstrides, 0);
    A acc = 0;
    for (int64_t r = 0; r < L.reduced; ++r) {
      acc += static_cast<A>(base[od.offset]);
      od.next();
    }
    out[o] = static_cast<T>(acc);
  }
}

template <class T, class A>
__global__ void sum_to_block_kernel(const T* in, T* out, ReduceLayout L) {
  __shared__ A buf[cuda::kBlock];
  for (int64_t o = blockIdx.x; o < L.kept; o += gridDim.x) {
    const T* base = in + Odometer::offset_of(L.nk, L.ksizes, L.kstrides, o);
    A acc = 0;
    for (int64_t r = threadIdx.x; r < L.reduced; r += blockDim.x)
      acc += static_cast<A>(base[Odometer::offset_of(L.nr, L.rsizes, L.rstrides, r)]);
    buf[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
      __syncthreads();
    }
    if (threadIdx.x == 0) out[o] = static_cast<T>(buf[0]);
    __syncthreads();
  }
}

}  // namespace

// Entry points: the op -> functor dispatch of csrc/common/elementwise_dispatch.h on the CUDA loops.
KERNELS_DEFINE_ELEMENTWISE_ENTRY_POINTS(CudaLoops)

void sum_to(const Tensor& t, Tensor& out) {
  if (out.numel() == 0) return;
  if (t.numel() == 0) {
    CUDA_CHECK(cudaMemset(out.raw_data(), 0, out.nbytes()));
    return;
  }
  const ReduceLayout L = make_reduce_layout(t.shape, out.shape);
  if (L.nr == 0) {
    CUDA_CHECK(cudaMemcpy(out.raw_data(), t.raw_data(), t.nbytes(), cudaMemcpyDeviceToDevice));
    return;
  }
  KERNELS_DISPATCH_NUMERIC(t.dtype, "sum_to", [&] {
    using T = scalar_t;
    using A = typename AccOf<T>::type;
    if (L.kept >= 4096 || L.reduced < 256) {
      sum_to_thread_kernel<T, A><<<cuda::grid_for(L.kept), cuda::kBlock>>>(t.data<T>(), out.data<T>(), L);
    } else {
      const unsigned blocks = static_cast<unsigned>(L.kept < 65535 ? L.kept : 65535);
      sum_to_block_kernel<T, A><<<blocks, cuda::kBlock>>>(t.data<T>(), out.data<T>(), L);
    }
  });
  cuda::check_launch("sum_to");
}

}  // namespace kernels::cuda
