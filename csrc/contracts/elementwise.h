// Elementwise ops and their gradients (broadcasting binary ops, ops with a scalar, unary ops,
// clamp, where, sum_to): the entry points both devices implement. Arguments are checked by
// csrc/ops/elementwise.cpp, which allocates the outputs with the broadcast shape; the maths is in
// csrc/cpu/elementwise.cpp's header comment, the functors in csrc/common/elementwise_math.h.
#pragma once
#include "../common/elementwise_math.h"
#include "../common/tensor.h"
#include "entry_points.h"

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/elementwise.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_ELEMENTWISE_ENTRY_POINTS                                                                \
  /* out = op(a, b), a and b broadcast to out's shape; `out` may be `a` itself (in-place ops). */       \
  void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);                      \
  /* out = op(a, s) (or op(s, a) for the R* ops), s passed by value; `out` may be `a`. */               \
  void scalar_forward(ScalarOp op, const Tensor& a, double s, Tensor& out);                             \
  void unary_forward(UnaryOp op, const Tensor& x, Tensor& out);                                         \
  void clamp_forward(const Tensor& x, double lo, double hi, bool has_lo, bool has_hi, Tensor& out);     \
  void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out);                \
  /* Gradient of one operand of a binary op at the output's (= g's) shape, before sum_to. */            \
  void binary_grad(BinaryGradOp op, const Tensor& g, const Tensor& a, const Tensor& b, Tensor& out);    \
  /* g masked by cond (to_a) or by !cond, at g's shape, before sum_to. */                               \
  void where_grad(const Tensor& g, const Tensor& cond, bool to_a, Tensor& out);                         \
  /* dx from g and t (the input x or the output y, see UnaryGradOp), all one shape. */                  \
  void unary_backward(UnaryGradOp op, const Tensor& g, const Tensor& t, Tensor& dx);                    \
  void clamp_backward(const Tensor& g, const Tensor& x, double lo, double hi, bool has_lo,              \
                      bool has_hi, Tensor& dx);                                                         \
  void scalar_backward(ScalarGradOp op, const Tensor& g, const Tensor& a, double s, Tensor& da);        \
  /* out (shape broadcast-compatible with t's) = t summed over the dims that broadcasting stretched. */ \
  void sum_to(const Tensor& t, Tensor& out);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_ELEMENTWISE_ENTRY_POINTS)
