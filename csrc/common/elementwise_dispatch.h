// The device-independent half of every elementwise entry point: pick the scalar type from the
// dtype and the functor (csrc/common/elementwise_math.h) from the op enum, then hand both to the
// device's loops. Written once here; csrc/cpu/elementwise.cpp and csrc/cuda/elementwise.cu
// instantiate it with their own loop drivers, so the two devices always run the same functor for
// the same op and raise the same dtype errors.
//
// A `Loops` policy provides four static drivers; `op` is the name the CUDA drivers report after a
// launch (the CPU drivers ignore it):
//   Loops::map1(op, a, out, n, f)                      out[i] = f(a[i])           n elements
//   Loops::map2_same(op, a, b, out, n, f)              out[i] = f(a[i], b[i])     n elements
//   Loops::map2<A, B, Out>(op, ta, tb, tout, f)        f(a, b) broadcast to tout's shape
//   Loops::map3<A, B, C, Out>(op, ta, tb, tc, tout, f) f(a, b, c) broadcast to tout's shape
// map1/map2_same take raw pointers to contiguous same-shape memory; map2/map3 take tensors whose
// shapes broadcast to the output's. Outputs are allocated (and may alias the first input, for the
// in-place ops) by the caller; the contracts of each entry point are in csrc/contracts/elementwise.h.
#pragma once
#include <type_traits>

#include "dispatch.h"
#include "elementwise_math.h"
#include "tensor.h"

namespace kernels::ew {

// ---- helpers: one dtype dispatch around one driver call ----

// out = f(a, b) in a's type, for float32/float64/int64 tensors.
template <class Loops, class F>
void binary_numeric(const char* op, const Tensor& a, const Tensor& b, Tensor& out, const F& f) {
  KERNELS_DISPATCH_NUMERIC(a.dtype, op, [&] {
    Loops::template map2<scalar_t, scalar_t, scalar_t>(op, a, b, out, f);
  });
}
// out = f(a, b) in a's type, for float32/float64 tensors.
template <class Loops, class F>
void binary_floating(const char* op, const Tensor& a, const Tensor& b, Tensor& out, const F& f) {
  KERNELS_DISPATCH_FLOAT(a.dtype, op, [&] {
    Loops::template map2<scalar_t, scalar_t, scalar_t>(op, a, b, out, f);
  });
}
// out (bool) = f(a, b), for tensors of any dtype.
template <class Loops, class F>
void binary_compare(const char* op, const Tensor& a, const Tensor& b, Tensor& out, const F& f) {
  KERNELS_DISPATCH_ALL(a.dtype, op, [&] {
    Loops::template map2<scalar_t, scalar_t, bool>(op, a, b, out, f);
  });
}

// out = f(x) in x's type, for float32/float64/int64 tensors.
template <class Loops, class F>
void unary_numeric(const char* op, const Tensor& x, Tensor& out, const F& f) {
  KERNELS_DISPATCH_NUMERIC(x.dtype, op, [&] {
    Loops::map1(op, x.data<scalar_t>(), out.data<scalar_t>(), x.numel(), f);
  });
}
// out = f(x) in x's type, for float32/float64 tensors.
template <class Loops, class F>
void unary_floating(const char* op, const Tensor& x, Tensor& out, const F& f) {
  KERNELS_DISPATCH_FLOAT(x.dtype, op, [&] {
    Loops::map1(op, x.data<scalar_t>(), out.data<scalar_t>(), x.numel(), f);
  });
}

// o[i] = a[i] <cmp> s, compared in C (the tensor's type for floating tensors, else double).
template <class Loops, class T, class C>
void compare_scalar(ScalarOp op, const T* a, bool* o, int64_t n, C s) {
  switch (op) {
    case ScalarOp::Eq: return Loops::map1("eq", a, o, n, CmpS<C, Eq>{s});
    case ScalarOp::Ne: return Loops::map1("ne", a, o, n, CmpS<C, Ne>{s});
    case ScalarOp::Lt: return Loops::map1("lt", a, o, n, CmpS<C, Lt>{s});
    case ScalarOp::Le: return Loops::map1("le", a, o, n, CmpS<C, Le>{s});
    case ScalarOp::Gt: return Loops::map1("gt", a, o, n, CmpS<C, Gt>{s});
    case ScalarOp::Ge: return Loops::map1("ge", a, o, n, CmpS<C, Ge>{s});
    default: break;
  }
}

// ---- forward ----

template <class Loops>
void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  switch (op) {
    case BinaryOp::Add: return binary_numeric<Loops>("add", a, b, out, Add());
    case BinaryOp::Sub: return binary_numeric<Loops>("sub", a, b, out, Sub());
    case BinaryOp::Mul: return binary_numeric<Loops>("mul", a, b, out, Mul());
    case BinaryOp::Div: return binary_floating<Loops>("div", a, b, out, Div());
    case BinaryOp::Pow: return binary_numeric<Loops>("pow", a, b, out, Pow());
    case BinaryOp::Maximum: return binary_numeric<Loops>("maximum", a, b, out, Maximum());
    case BinaryOp::Minimum: return binary_numeric<Loops>("minimum", a, b, out, Minimum());
    case BinaryOp::Eq: return binary_compare<Loops>("eq", a, b, out, Eq());
    case BinaryOp::Ne: return binary_compare<Loops>("ne", a, b, out, Ne());
    case BinaryOp::Lt: return binary_compare<Loops>("lt", a, b, out, Lt());
    case BinaryOp::Le: return binary_compare<Loops>("le", a, b, out, Le());
    case BinaryOp::Gt: return binary_compare<Loops>("gt", a, b, out, Gt());
    case BinaryOp::Ge: return binary_compare<Loops>("ge", a, b, out, Ge());
    case BinaryOp::LogicalAnd:
      return Loops::template map2<bool, bool, bool>("logical_and", a, b, out, LogicalAnd());
    case BinaryOp::LogicalOr:
      return Loops::template map2<bool, bool, bool>("logical_or", a, b, out, LogicalOr());
  }
}

template <class Loops>
void scalar_forward(ScalarOp op, const Tensor& a, double s, Tensor& out) {
  const int64_t n = a.numel();
  if (is_comparison(op)) {
    KERNELS_DISPATCH_ALL(a.dtype, "compare", [&] {
      // Floating tensors compare against the scalar rounded to their type (torch); integer and
      // bool tensors compare exactly, in double.
      if constexpr (std::is_floating_point<scalar_t>::value)
        compare_scalar<Loops>(op, a.data<scalar_t>(), out.data<bool>(), n, static_cast<scalar_t>(s));
      else
        compare_scalar<Loops>(op, a.data<scalar_t>(), out.data<bool>(), n, s);
    });
    return;
  }
  KERNELS_DISPATCH_NUMERIC(a.dtype, "scalar op", [&] {
    using T = scalar_t;
    const T* x = a.data<T>();
    T* o = out.data<T>();
    const T v = static_cast<T>(s);
    switch (op) {
      case ScalarOp::Add: return Loops::map1("add", x, o, n, AddS<T>{v});
      case ScalarOp::Mul: return Loops::map1("mul", x, o, n, MulS<T>{v});
      case ScalarOp::RSub: return Loops::map1("rsub", x, o, n, RSubS<T>{v});
      case ScalarOp::Div: return Loops::map1("div", x, o, n, DivS<T>{v});
      case ScalarOp::RDiv: return Loops::map1("rdiv", x, o, n, RDivS<T>{v});
      case ScalarOp::Pow: return Loops::map1("pow", x, o, n, PowS<T>{v});
      case ScalarOp::RPow: return Loops::map1("pow", x, o, n, RPowS<T>{v});
      default: return;
    }
  });
}

template <class Loops>
void unary_forward(UnaryOp op, const Tensor& x, Tensor& out) {
  switch (op) {
    case UnaryOp::Neg: return unary_numeric<Loops>("neg", x, out, Neg());
    case UnaryOp::Abs: return unary_numeric<Loops>("abs", x, out, Abs());
    case UnaryOp::Sign: return unary_numeric<Loops>("sign", x, out, Sign());
    case UnaryOp::Exp: return unary_floating<Loops>("exp", x, out, Exp());
    case UnaryOp::Log: return unary_floating<Loops>("log", x, out, Log());
    case UnaryOp::Sqrt: return unary_floating<Loops>("sqrt", x, out, Sqrt());
    case UnaryOp::Log1p: return unary_floating<Loops>("log1p", x, out, Log1p());
    case UnaryOp::Expm1: return unary_floating<Loops>("expm1", x, out, Expm1());
    case UnaryOp::Sin: return unary_floating<Loops>("sin", x, out, Sin());
    case UnaryOp::Cos: return unary_floating<Loops>("cos", x, out, Cos());
    case UnaryOp::LogicalNot:
      return Loops::map1("logical_not", x.data<bool>(), out.data<bool>(), x.numel(), LogicalNot());
  }
}

template <class Loops>
void clamp_forward(const Tensor& x, double lo, double hi, bool has_lo, bool has_hi, Tensor& out) {
  KERNELS_DISPATCH_NUMERIC(x.dtype, "clamp", [&] {
    using T = scalar_t;
    Loops::map1("clamp", x.data<T>(), out.data<T>(), x.numel(),
                Clamp<T>{static_cast<T>(lo), static_cast<T>(hi), has_lo, has_hi});
  });
}

template <class Loops>
void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {
  KERNELS_DISPATCH_ALL(a.dtype, "where", [&] {
    Loops::template map3<bool, scalar_t, scalar_t, scalar_t>("where", cond, a, b, out, WhereSel());
  });
}

// ---- gradients ----

template <class Loops>
void binary_grad(BinaryGradOp op, const Tensor& g, const Tensor& a, const Tensor& b, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(g.dtype, "backward", [&] {
    using T = scalar_t;
    auto run = [&](const char* name, const auto& f) {
      Loops::template map3<T, T, T, T>(name, g, a, b, out, f);
    };
    switch (op) {
      case BinaryGradOp::MulA: return run("mul_backward", MulGradA());
      case BinaryGradOp::MulB: return run("mul_backward", MulGradB());
      case BinaryGradOp::DivA: return run("div_backward", DivGradA());
      case BinaryGradOp::DivB: return run("div_backward", DivGradB());
      case BinaryGradOp::PowA: return run("pow_backward", PowGradA());
      case BinaryGradOp::PowB: return run("pow_backward", PowGradB());
      case BinaryGradOp::MaxA: return run("maximum_backward", MaxGradA());
      case BinaryGradOp::MaxB: return run("maximum_backward", MaxGradB());
      case BinaryGradOp::MinA: return run("minimum_backward", MinGradA());
      case BinaryGradOp::MinB: return run("minimum_backward", MinGradB());
    }
  });
}

template <class Loops>
void where_grad(const Tensor& g, const Tensor& cond, bool to_a, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(g.dtype, "where_backward", [&] {
    using T = scalar_t;
    if (to_a)
      Loops::template map2<T, bool, T>("where_backward", g, cond, out, WhereGradA());
    else
      Loops::template map2<T, bool, T>("where_backward", g, cond, out, WhereGradB());
  });
}

template <class Loops>
void unary_backward(UnaryGradOp op, const Tensor& g, const Tensor& t, Tensor& dx) {
  const int64_t n = g.numel();
  KERNELS_DISPATCH_FLOAT(g.dtype, "backward", [&] {
    using T = scalar_t;
    const T* gp = g.data<T>();
    const T* tp = t.data<T>();
    T* o = dx.data<T>();
    switch (op) {
      case UnaryGradOp::Exp: return Loops::map2_same("exp_backward", gp, tp, o, n, ExpGrad());
      case UnaryGradOp::Log: return Loops::map2_same("log_backward", gp, tp, o, n, LogGrad());
      case UnaryGradOp::Sqrt: return Loops::map2_same("sqrt_backward", gp, tp, o, n, SqrtGrad());
      case UnaryGradOp::Abs: return Loops::map2_same("abs_backward", gp, tp, o, n, AbsGrad());
      case UnaryGradOp::Log1p: return Loops::map2_same("log1p_backward", gp, tp, o, n, Log1pGrad());
      case UnaryGradOp::Expm1: return Loops::map2_same("expm1_backward", gp, tp, o, n, Expm1Grad());
      case UnaryGradOp::Sin: return Loops::map2_same("sin_backward", gp, tp, o, n, SinGrad());
      case UnaryGradOp::Cos: return Loops::map2_same("cos_backward", gp, tp, o, n, CosGrad());
    }
  });
}

template <class Loops>
void clamp_backward(const Tensor& g, const Tensor& x, double lo, double hi, bool has_lo,
                    bool has_hi, Tensor& dx) {
  KERNELS_DISPATCH_FLOAT(g.dtype, "clamp_backward", [&] {
    using T = scalar_t;
    Loops::map2_same("clamp_backward", g.data<T>(), x.data<T>(), dx.data<T>(), g.numel(),
                     ClampGrad<T>{static_cast<T>(lo), static_cast<T>(hi), has_lo, has_hi});
  });
}

template <class Loops>
void scalar_backward(ScalarGradOp op, const Tensor& g, const Tensor& a, double s, Tensor& da) {
  const int64_t n = g.numel();
  KERNELS_DISPATCH_FLOAT(g.dtype, "backward", [&] {
    using T = scalar_t;
    const T* gp = g.data<T>();
    const T* ap = a.data<T>();
    T* o = da.data<T>();
    const T v = static_cast<T>(s);
    switch (op) {
      case ScalarGradOp::RDiv: return Loops::map2_same("rdiv_backward", gp, ap, o, n, RDivSGrad<T>{v});
      case ScalarGradOp::Pow: return Loops::map2_same("pow_backward", gp, ap, o, n, PowSGrad<T>{v});
      case ScalarGradOp::RPow: return Loops::map2_same("pow_backward", gp, ap, o, n, RPowSGrad<T>{v});
    }
  });
}

}  // namespace kernels::ew

// Defines the elementwise entry points of csrc/contracts/elementwise.h (all but sum_to) in the
// enclosing device namespace, each running the op -> functor dispatch above on LOOPS.
#define KERNELS_DEFINE_ELEMENTWISE_ENTRY_POINTS(LOOPS)                                             \
  void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {               \
    ew::binary_forward<LOOPS>(op, a, b, out);                                                     \
  }                                                                                               \
  void scalar_forward(ScalarOp op, const Tensor& a, double s, Tensor& out) {                      \
    ew::scalar_forward<LOOPS>(op, a, s, out);                                                     \
  }                                                                                               \
  void unary_forward(UnaryOp op, const Tensor& x, Tensor& out) { ew::unary_forward<LOOPS>(op, x, out); } \
  void clamp_forward(const Tensor& x, double lo, double hi, bool has_lo, bool has_hi, Tensor& out) { \
    ew::clamp_forward<LOOPS>(x, lo, hi, has_lo, has_hi, out);                                     \
  }                                                                                               \
  void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {         \
    ew::where_forward<LOOPS>(cond, a, b, out);                                                    \
  }                                                                                               \
  void binary_grad(BinaryGradOp op, const Tensor& g, const Tensor& a, const Tensor& b, Tensor& out) { \
    ew::binary_grad<LOOPS>(op, g, a, b, out);                                                     \
  }                                                                                               \
  void where_grad(const Tensor& g, const Tensor& cond, bool to_a, Tensor& out) {                  \
    ew::where_grad<LOOPS>(g, cond, to_a, out);                                                    \
  }                                                                                               \
  void unary_backward(UnaryGradOp op, const Tensor& g, const Tensor& t, Tensor& dx) {             \
    ew::unary_backward<LOOPS>(op, g, t, dx);                                                      \
  }                                                                                               \
  void clamp_backward(const Tensor& g, const Tensor& x, double lo, double hi, bool has_lo,        \
                      bool has_hi, Tensor& dx) {                                                  \
    ew::clamp_backward<LOOPS>(g, x, lo, hi, has_lo, has_hi, dx);                                  \
  }                                                                                               \
  void scalar_backward(ScalarGradOp op, const Tensor& g, const Tensor& a, double s, Tensor& da) { \
    ew::scalar_backward<LOOPS>(op, g, a, s, da);                                                  \
  }
