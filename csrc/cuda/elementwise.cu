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
#include <type_traits>

#include "../common/broadcast.h"
#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "elementwise.h"

namespace kernels {

namespace {

using namespace ew;

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

template <class In, class Out, class F>
void map1(const char* op, const In* a, Out* o, int64_t n, const F& f) {
  if (n == 0) return;
  map1_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(a, o, n, f);
  cuda::check_launch(op);
}

template <class A, class B, class Out, class F>
void map2_same(const char* op, const A* a, const B* b, Out* o, int64_t n, const F& f) {
  if (n == 0) return;
  map2_same_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(a, b, o, n, f);
  cuda::check_launch(op);
}

template <class A, class B, class Out, class F>
void map2(const char* op, const Tensor& ta, const Tensor& tb, Tensor& tout, const F& f) {
  const int64_t n = tout.numel();
  if (n == 0) return;
  if (ta.shape == tout.shape && tb.shape == tout.shape)
    return map2_same(op, ta.data<A>(), tb.data<B>(), tout.data<Out>(), n, f);
  const auto L = make_broadcast_layout<2>(tout.shape, {&ta.shape, &tb.shape}, op);
  map2_bcast_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(ta.data<A>(), tb.data<B>(), tout.data<Out>(), n, L, f);
  cuda::check_launch(op);
}

template <class A, class B, class C, class Out, class F>
void map3(const char* op, const Tensor& ta, const Tensor& tb, const Tensor& tc, Tensor& tout, const F& f) {
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

template <class F>
void arith(const char* op, const Tensor& a, const Tensor& b, Tensor& out, const F& f) {
  KERNELS_DISPATCH_NUMERIC(a.dtype, op, [&] { map2<scalar_t, scalar_t, scalar_t>(op, a, b, out, f); });
}
template <class F>
void compare(const char* op, const Tensor& a, const Tensor& b, Tensor& out, const F& f) {
  KERNELS_DISPATCH_ALL(a.dtype, op, [&] { map2<scalar_t, scalar_t, bool>(op, a, b, out, f); });
}

template <class T, class C>
void compare_scalar(ScalarOp op, const T* a, bool* o, int64_t n, C s) {
  switch (op) {
    case ScalarOp::Eq: return map1("eq", a, o, n, CmpS<C, Eq>{s});
    case ScalarOp::Ne: return map1("ne", a, o, n, CmpS<C, Ne>{s});
    case ScalarOp::Lt: return map1("lt", a, o, n, CmpS<C, Lt>{s});
    case ScalarOp::Le: return map1("le", a, o, n, CmpS<C, Le>{s});
    case ScalarOp::Gt: return map1("gt", a, o, n, CmpS<C, Gt>{s});
    case ScalarOp::Ge: return map1("ge", a, o, n, CmpS<C, Ge>{s});
    default: break;
  }
}

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

void binary_forward_cuda(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  cuda::DeviceGuard guard(out.device().index);
  switch (op) {
    case BinaryOp::Add: return arith("add", a, b, out, Add());
    case BinaryOp::Sub: return arith("sub", a, b, out, Sub());
    case BinaryOp::Mul: return arith("mul", a, b, out, Mul());
    case BinaryOp::Div:
      return KERNELS_DISPATCH_FLOAT(a.dtype, "div", [&] { map2<scalar_t, scalar_t, scalar_t>("div", a, b, out, Div()); });
    case BinaryOp::Pow: return arith("pow", a, b, out, Pow());
    case BinaryOp::Maximum: return arith("maximum", a, b, out, Maximum());
    case BinaryOp::Minimum: return arith("minimum", a, b, out, Minimum());
    case BinaryOp::Eq: return compare("eq", a, b, out, Eq());
    case BinaryOp::Ne: return compare("ne", a, b, out, Ne());
    case BinaryOp::Lt: return compare("lt", a, b, out, Lt());
    case BinaryOp::Le: return compare("le", a, b, out, Le());
    case BinaryOp::Gt: return compare("gt", a, b, out, Gt());
    case BinaryOp::Ge: return compare("ge", a, b, out, Ge());
    case BinaryOp::LogicalAnd: return map2<bool, bool, bool>("logical_and", a, b, out, LogicalAnd());
    case BinaryOp::LogicalOr: return map2<bool, bool, bool>("logical_or", a, b, out, LogicalOr());
  }
}

void scalar_forward_cuda(ScalarOp op, const Tensor& a, double s, Tensor& out) {
  cuda::DeviceGuard guard(out.device().index);
  const int64_t n = a.numel();
  if (is_comparison(op)) {
    KERNELS_DISPATCH_ALL(a.dtype, "compare", [&] {
      if constexpr (std::is_floating_point<scalar_t>::value)
        compare_scalar<scalar_t, scalar_t>(op, a.data<scalar_t>(), out.data<bool>(), n, static_cast<scalar_t>(s));
      else
        compare_scalar<scalar_t, double>(op, a.data<scalar_t>(), out.data<bool>(), n, s);
    });
    return;
  }
  KERNELS_DISPATCH_NUMERIC(a.dtype, "scalar op", [&] {
    using T = scalar_t;
    const T* x = a.data<T>();
    T* o = out.data<T>();
    const T v = static_cast<T>(s);
    switch (op) {
      case ScalarOp::Add: return map1("add", x, o, n, AddS<T>{v});
      case ScalarOp::Mul: return map1("mul", x, o, n, MulS<T>{v});
      case ScalarOp::RSub: return map1("rsub", x, o, n, RSubS<T>{v});
      case ScalarOp::Div: return map1("div", x, o, n, DivS<T>{v});
      case ScalarOp::RDiv: return map1("rdiv", x, o, n, RDivS<T>{v});
      case ScalarOp::Pow: return map1("pow", x, o, n, PowS<T>{v});
      case ScalarOp::RPow: return map1("pow", x, o, n, RPowS<T>{v});
      default: return;
    }
  });
}

void unary_forward_cuda(UnaryOp op, const Tensor& x, Tensor& out) {
  cuda::DeviceGuard guard(out.device().index);
  const int64_t n = x.numel();
  switch (op) {
    case UnaryOp::Neg:
      return KERNELS_DISPATCH_NUMERIC(x.dtype, "neg", [&] { map1("neg", x.data<scalar_t>(), out.data<scalar_t>(), n, Neg()); });
    case UnaryOp::Abs:
      return KERNELS_DISPATCH_NUMERIC(x.dtype, "abs", [&] { map1("abs", x.data<scalar_t>(), out.data<scalar_t>(), n, Abs()); });
    case UnaryOp::Sign:
      return KERNELS_DISPATCH_NUMERIC(x.dtype, "sign", [&] { map1("sign", x.data<scalar_t>(), out.data<scalar_t>(), n, Sign()); });
    case UnaryOp::Exp:
      return KERNELS_DISPATCH_FLOAT(x.dtype, "exp", [&] { map1("exp", x.data<scalar_t>(), out.data<scalar_t>(), n, Exp()); });
    case UnaryOp::Log:
      return KERNELS_DISPATCH_FLOAT(x.dtype, "log", [&] { map1("log", x.data<scalar_t>(), out.data<scalar_t>(), n, Log()); });
    case UnaryOp::Sqrt:
      return KERNELS_DISPATCH_FLOAT(x.dtype, "sqrt", [&] { map1("sqrt", x.data<scalar_t>(), out.data<scalar_t>(), n, Sqrt()); });
    case UnaryOp::LogicalNot: return map1("logical_not", x.data<bool>(), out.data<bool>(), n, LogicalNot());
  }
}

void clamp_forward_cuda(const Tensor& x, double lo, double hi, bool has_lo, bool has_hi, Tensor& out) {
  cuda::DeviceGuard guard(out.device().index);
  KERNELS_DISPATCH_NUMERIC(x.dtype, "clamp", [&] {
    using T = scalar_t;
    map1("clamp", x.data<T>(), out.data<T>(), x.numel(),
         Clamp<T>{static_cast<T>(lo), static_cast<T>(hi), has_lo, has_hi});
  });
}

void where_forward_cuda(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {
  cuda::DeviceGuard guard(out.device().index);
  KERNELS_DISPATCH_ALL(a.dtype, "where", [&] {
    map3<bool, scalar_t, scalar_t, scalar_t>("where", cond, a, b, out, WhereSel());
  });
}

void binary_grad_cuda(BinaryGradOp op, const Tensor& g, const Tensor& a, const Tensor& b, Tensor& out) {
  cuda::DeviceGuard guard(out.device().index);
  KERNELS_DISPATCH_FLOAT(g.dtype, "backward", [&] {
    using T = scalar_t;
    switch (op) {
      case BinaryGradOp::MulA: return map3<T, T, T, T>("mul_backward", g, a, b, out, MulGradA());
      case BinaryGradOp::MulB: return map3<T, T, T, T>("mul_backward", g, a, b, out, MulGradB());
      case BinaryGradOp::DivA: return map3<T, T, T, T>("div_backward", g, a, b, out, DivGradA());
      case BinaryGradOp::DivB: return map3<T, T, T, T>("div_backward", g, a, b, out, DivGradB());
      case BinaryGradOp::PowA: return map3<T, T, T, T>("pow_backward", g, a, b, out, PowGradA());
      case BinaryGradOp::PowB: return map3<T, T, T, T>("pow_backward", g, a, b, out, PowGradB());
      case BinaryGradOp::MaxA: return map3<T, T, T, T>("maximum_backward", g, a, b, out, MaxGradA());
      case BinaryGradOp::MaxB: return map3<T, T, T, T>("maximum_backward", g, a, b, out, MaxGradB());
      case BinaryGradOp::MinA: return map3<T, T, T, T>("minimum_backward", g, a, b, out, MinGradA());
      case BinaryGradOp::MinB: return map3<T, T, T, T>("minimum_backward", g, a, b, out, MinGradB());
    }
  });
}

void where_grad_cuda(const Tensor& g, const Tensor& cond, bool to_a, Tensor& out) {
  cuda::DeviceGuard guard(out.device().index);
  KERNELS_DISPATCH_FLOAT(g.dtype, "where_backward", [&] {
    using T = scalar_t;
    if (to_a)
      map2<T, bool, T>("where_backward", g, cond, out, WhereGradA());
    else
      map2<T, bool, T>("where_backward", g, cond, out, WhereGradB());
  });
}

void unary_backward_cuda(UnaryGradOp op, const Tensor& g, const Tensor& t, Tensor& dx) {
  cuda::DeviceGuard guard(dx.device().index);
  const int64_t n = g.numel();
  KERNELS_DISPATCH_FLOAT(g.dtype, "backward", [&] {
    using T = scalar_t;
    const T* gp = g.data<T>();
    const T* tp = t.data<T>();
    T* o = dx.data<T>();
    switch (op) {
      case UnaryGradOp::Exp: return map2_same("exp_backward", gp, tp, o, n, ExpGrad());
      case UnaryGradOp::Log: return map2_same("log_backward", gp, tp, o, n, LogGrad());
      case UnaryGradOp::Sqrt: return map2_same("sqrt_backward", gp, tp, o, n, SqrtGrad());
      case UnaryGradOp::Abs: return map2_same("abs_backward", gp, tp, o, n, AbsGrad());
    }
  });
}

void clamp_backward_cuda(const Tensor& g, const Tensor& x, double lo, double hi, bool has_lo,
                         bool has_hi, Tensor& dx) {
  cuda::DeviceGuard guard(dx.device().index);
  KERNELS_DISPATCH_FLOAT(g.dtype, "clamp_backward", [&] {
    using T = scalar_t;
    map2_same("clamp_backward", g.data<T>(), x.data<T>(), dx.data<T>(), g.numel(),
              ClampGrad<T>{static_cast<T>(lo), static_cast<T>(hi), has_lo, has_hi});
  });
}

void scalar_backward_cuda(ScalarGradOp op, const Tensor& g, const Tensor& a, double s, Tensor& da) {
  cuda::DeviceGuard guard(da.device().index);
  const int64_t n = g.numel();
  KERNELS_DISPATCH_FLOAT(g.dtype, "backward", [&] {
    using T = scalar_t;
    const T v = static_cast<T>(s);
    switch (op) {
      case ScalarGradOp::RDiv:
        return map2_same("rdiv_backward", g.data<T>(), a.data<T>(), da.data<T>(), n, RDivSGrad<T>{v});
      case ScalarGradOp::Pow:
        return map2_same("pow_backward", g.data<T>(), a.data<T>(), da.data<T>(), n, PowSGrad<T>{v});
      case ScalarGradOp::RPow:
        return map2_same("pow_backward", g.data<T>(), a.data<T>(), da.data<T>(), n, RPowSGrad<T>{v});
    }
  });
}

void sum_to_cuda(const Tensor& t, Tensor& out) {
  if (out.numel() == 0) return;
  cuda::DeviceGuard guard(out.device().index);
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

}  // namespace kernels
