// The scalar maths of every elementwise op and gradient, written once as small functors that the
// CPU loops (csrc/cpu/elementwise.cpp) and the CUDA kernels (csrc/cuda/elementwise.cu) both call,
// so the two devices compute the same thing. The formulas are listed in csrc/cpu/elementwise.cpp.
#pragma once
#include <math.h>

#include <cstdint>

#include "scalar_math.h"
#include "strided.h"  // KERNELS_HD

namespace kernels::ew {

using namespace ::kernels::scalar_math;  // k_exp, k_log, k_sqrt, k_pow (scalar_math.h)
using ::kernels::scalar_math::k_pow;     // the float/double overloads beside the int64 one below
// Integer power by squaring; a negative exponent gives 1/x^-e truncated (1, -1 or 0), as torch.
KERNELS_HD int64_t k_pow(int64_t x, int64_t e) {
  if (e < 0) return x == 1 ? 1 : (x == -1 ? ((e & 1) ? -1 : 1) : 0);
  int64_t r = 1;
  while (e) {
    if (e & 1) r *= x;
    x *= x;
    e >>= 1;
  }
  return r;
}
template <class T>
KERNELS_HD bool k_isnan(T x) { return x != x; }
// A tensor to a scalar power as torch computes it: the common exponents by their own formulas
// (sqrt, rsqrt, square, cube, reciprocal), which differ from pow() at -0, -inf and NaN
// (pow(-inf, 0.5) is +inf, sqrt(-inf) is NaN) and in the last bit elsewhere.
KERNELS_HD int64_t k_pow_scalar(int64_t x, int64_t e) { return k_pow(x, e); }
template <class T>
KERNELS_HD T k_pow_scalar(T x, T e) {
  if (e == T(0.5)) return k_sqrt(x);
  if (e == T(-0.5)) return T(1) / k_sqrt(x);
  if (e == T(2)) return x * x;
  if (e == T(3)) return x * x * x;
  if (e == T(-1)) return T(1) / x;
  if (e == T(-2)) return T(1) / (x * x);
  return k_pow(x, e);
}

// ---- binary (a, b) -> out, shapes broadcast ----
struct Add { template <class T> KERNELS_HD T operator()(T a, T b) const { return a + b; } };
struct Sub { template <class T> KERNELS_HD T operator()(T a, T b) const { return a - b; } };
struct Mul { template <class T> KERNELS_HD T operator()(T a, T b) const { return a * b; } };
struct Div { template <class T> KERNELS_HD T operator()(T a, T b) const { return a / b; } };
struct Pow { template <class T> KERNELS_HD T operator()(T a, T b) const { return k_pow(a, b); } };
// NaN in either operand gives NaN (torch.maximum), unlike fmax.
struct Maximum {
  template <class T> KERNELS_HD T operator()(T a, T b) const {
    return k_isnan(a) ? a : (k_isnan(b) ? b : (a > b ? a : b));
  }
};
struct Minimum {
  template <class T> KERNELS_HD T operator()(T a, T b) const {
    return k_isnan(a) ? a : (k_isnan(b) ? b : (a < b ? a : b));
  }
};
struct Eq { template <class T> KERNELS_HD bool operator()(T a, T b) const { return a == b; } };
struct Ne { template <class T> KERNELS_HD bool operator()(T a, T b) const { return a != b; } };
struct Lt { template <class T> KERNELS_HD bool operator()(T a, T b) const { return a < b; } };
struct Le { template <class T> KERNELS_HD bool operator()(T a, T b) const { return a <= b; } };
struct Gt { template <class T> KERNELS_HD bool operator()(T a, T b) const { return a > b; } };
struct Ge { template <class T> KERNELS_HD bool operator()(T a, T b) const { return a >= b; } };
struct LogicalAnd { KERNELS_HD bool operator()(bool a, bool b) const { return a && b; } };
struct LogicalOr { KERNELS_HD bool operator()(bool a, bool b) const { return a || b; } };

// ---- unary ----
struct Neg { template <class T> KERNELS_HD T operator()(T x) const { return -x; } };
struct Exp { template <class T> KERNELS_HD T operator()(T x) const { return k_exp(x); } };
struct Log { template <class T> KERNELS_HD T operator()(T x) const { return k_log(x); } };
struct Sqrt { template <class T> KERNELS_HD T operator()(T x) const { return k_sqrt(x); } };
struct Log1p { template <class T> KERNELS_HD T operator()(T x) const { return k_log1p(x); } };
struct Expm1 { template <class T> KERNELS_HD T operator()(T x) const { return k_expm1(x); } };
struct Sin { template <class T> KERNELS_HD T operator()(T x) const { return k_sin(x); } };
struct Cos { template <class T> KERNELS_HD T operator()(T x) const { return k_cos(x); } };
struct Abs { template <class T> KERNELS_HD T operator()(T x) const { return x < T(0) ? -x : x; } };
struct Sign {  // sign(NaN) = 0, as torch's (0 < x) - (x < 0)
  template <class T> KERNELS_HD T operator()(T x) const { return T((x > T(0)) - (x < T(0))); }
};
struct LogicalNot { KERNELS_HD bool operator()(bool x) const { return !x; } };

// ---- tensor-scalar: the scalar is held by value (already in the tensor's type, or as double
// for comparisons against integer tensors) ----
template <class T> struct AddS { T s; KERNELS_HD T operator()(T a) const { return a + s; } };
template <class T> struct MulS { T s; KERNELS_HD T operator()(T a) const { return a * s; } };
template <class T> struct RSubS { T s; KERNELS_HD T operator()(T a) const { return s - a; } };
template <class T> struct DivS { T s; KERNELS_HD T operator()(T a) const { return a / s; } };
template <class T> struct RDivS { T s; KERNELS_HD T operator()(T a) const { return s / a; } };
template <class T> struct PowS { T s; KERNELS_HD T operator()(T a) const { return k_pow_scalar(a, s); } };
template <class T> struct RPowS { T s; KERNELS_HD T operator()(T a) const { return k_pow(s, a); } };
// Comparisons: C is the type both sides are compared in.
template <class C, class Op> struct CmpS {
  C s;
  template <class T> KERNELS_HD bool operator()(T a) const { return Op()(static_cast<C>(a), s); }
};
// clamp: min(max(x, lo), hi) with NaN passed through; a missing bound is disabled by a flag.
template <class T> struct Clamp {
  T lo, hi;
  bool has_lo, has_hi;
  KERNELS_HD T operator()(T x) const {
    if (has_lo && x < lo) x = lo;
    if (has_hi && x > hi) x = hi;
    return x;
  }
};

// ---- gradients ----
// Binary-op gradients, (g, a, b) -> the gradient of one operand at the output's shape.
struct MulGradA { template <class T> KERNELS_HD T operator()(T g, T, T b) const { return g * b; } };
struct MulGradB { template <class T> KERNELS_HD T operator()(T g, T a, T) const { return g * a; } };
struct DivGradA { template <class T> KERNELS_HD T operator()(T g, T, T b) const { return g / b; } };
struct DivGradB {
  template <class T> KERNELS_HD T operator()(T g, T a, T b) const { return -g * ((a / b) / b); }
};
// d(a^b)/da = b a^(b-1), 0 where b == 0; d(a^b)/db = a^b log a, 0 where a == 0 and b >= 0.
struct PowGradA {
  template <class T> KERNELS_HD T operator()(T g, T a, T b) const {
    return b == T(0) ? T(0) : g * b * k_pow(a, b - T(1));
  }
};
struct PowGradB {
  template <class T> KERNELS_HD T operator()(T g, T a, T b) const {
    return (a == T(0) && b >= T(0)) ? T(0) : g * k_pow(a, b) * k_log(a);
  }
};
// maximum/minimum: the larger (smaller) operand takes the gradient; ties split it in half.
struct MaxGradA {
  template <class T> KERNELS_HD T operator()(T g, T a, T b) const {
    return a == b ? g / T(2) : (a < b ? T(0) : g);
  }
};
struct MaxGradB {
  template <class T> KERNELS_HD T operator()(T g, T a, T b) const {
    return a == b ? g / T(2) : (a > b ? T(0) : g);
  }
};
struct MinGradA {
  template <class T> KERNELS_HD T operator()(T g, T a, T b) const {
    return a == b ? g / T(2) : (a > b ? T(0) : g);
  }
};
struct MinGradB {
  template <class T> KERNELS_HD T operator()(T g, T a, T b) const {
    return a == b ? g / T(2) : (a < b ? T(0) : g);
  }
};
// where: (g, cond) -> g where cond (to a) / where !cond (to b).
struct WhereGradA { template <class T> KERNELS_HD T operator()(T g, bool c) const { return c ? g : T(0); } };
struct WhereGradB { template <class T> KERNELS_HD T operator()(T g, bool c) const { return c ? T(0) : g; } };
struct WhereSel {
  template <class T> KERNELS_HD T operator()(bool c, T a, T b) const { return c ? a : b; }
};

// Unary gradients, (g, t) -> dx where t is the input x or the output y as noted.
struct ExpGrad { template <class T> KERNELS_HD T operator()(T g, T y) const { return g * y; } };
struct LogGrad { template <class T> KERNELS_HD T operator()(T g, T x) const { return g / x; } };
struct SqrtGrad { template <class T> KERNELS_HD T operator()(T g, T y) const { return g / (T(2) * y); } };
struct Log1pGrad { template <class T> KERNELS_HD T operator()(T g, T x) const { return g / (T(1) + x); } };
struct Expm1Grad { template <class T> KERNELS_HD T operator()(T g, T y) const { return g * (y + T(1)); } };
struct SinGrad { template <class T> KERNELS_HD T operator()(T g, T x) const { return g * k_cos(x); } };
struct CosGrad { template <class T> KERNELS_HD T operator()(T g, T x) const { return -g * k_sin(x); } };
struct AbsGrad {
  template <class T> KERNELS_HD T operator()(T g, T x) const {
    return x > T(0) ? g : (x < T(0) ? -g : T(0));
  }
};
template <class T> struct ClampGrad {
  T lo, hi;
  bool has_lo, has_hi;
  KERNELS_HD T operator()(T g, T x) const {
    return ((!has_lo || x >= lo) && (!has_hi || x <= hi)) ? g : T(0);
  }
};
// Tensor-scalar gradients, (g, a) -> da.
template <class T> struct RDivSGrad {
  T s;
  KERNELS_HD T operator()(T g, T a) const { return -g * s / (a * a); }
};
template <class T> struct PowSGrad {
  T s;
  KERNELS_HD T operator()(T g, T a) const { return s == T(0) ? T(0) : g * (s * k_pow_scalar(a, s - T(1))); }
};
template <class T> struct RPowSGrad {
  T s;
  KERNELS_HD T operator()(T g, T a) const {
    return (s == T(0) && a >= T(0)) ? T(0) : g * k_pow(s, a) * k_log(s);
  }
};

}  // namespace kernels::ew

namespace kernels {

// Which functor a device entry point (csrc/contracts/elementwise.h) runs.
enum class BinaryOp : int {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,   // numeric -> same dtype (Div: floating only)
  Eq, Ne, Lt, Le, Gt, Ge,                      // any dtype -> bool
  LogicalAnd, LogicalOr                        // bool -> bool
};
enum class UnaryOp : int { Neg, Exp, Log, Sqrt, Abs, Sign, LogicalNot, Log1p, Expm1, Sin, Cos };
enum class ScalarOp : int { Add, Mul, RSub, Div, RDiv, Pow, RPow, Eq, Ne, Lt, Le, Gt, Ge };
enum class BinaryGradOp : int { MulA, MulB, DivA, DivB, PowA, PowB, MaxA, MaxB, MinA, MinB };
enum class UnaryGradOp : int { Exp, Log, Sqrt, Abs, Log1p, Expm1, Sin, Cos };
enum class ScalarGradOp : int { RDiv, Pow, RPow };

inline bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq && op <= BinaryOp::Ge; }
inline bool is_comparison(ScalarOp op) { return op >= ScalarOp::Eq; }

}  // namespace kernels
