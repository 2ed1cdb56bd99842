// CPU elementwise kernels (csrc/cuda/elementwise.h declares the same entry points for CUDA, with
// these contracts). Arguments are checked by csrc/ops/elementwise.cpp; outputs are
// allocated there with the broadcast shape. The maths is in elementwise.cpp's header comment.
#pragma once
#include "../common/elementwise_math.h"
#include "../common/tensor.h"

namespace kernels {
// out = op(a, b), a and b broadcast to out's shape; `out` may be `a` itself (in-place ops).
void binary_forward_cpu(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
// out = op(a, s) (or op(s, a) for the R* ops), s passed by value; `out` may be `a`.
void scalar_forward_cpu(ScalarOp op, const Tensor& a, double s, Tensor& out);
void unary_forward_cpu(UnaryOp op, const Tensor& x, Tensor& out);
void clamp_forward_cpu(const Tensor& x, double lo, double hi, bool has_lo, bool has_hi, Tensor& out);
void where_forward_cpu(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out);

// Gradient of one operand of a binary op at the output's (= g's) shape, before sum_to.
void binary_grad_cpu(BinaryGradOp op, const Tensor& g, const Tensor& a, const Tensor& b, Tensor& out);
// g masked by cond (to_a) or by !cond, at g's shape, before sum_to.
void where_grad_cpu(const Tensor& g, const Tensor& cond, bool to_a, Tensor& out);
// dx from g and t (the input x or the output y, see UnaryGradOp), all one shape.
void unary_backward_cpu(UnaryGradOp op, const Tensor& g, const Tensor& t, Tensor& dx);
void clamp_backward_cpu(const Tensor& g, const Tensor& x, double lo, double hi, bool has_lo,
                        bool has_hi, Tensor& dx);
void scalar_backward_cpu(ScalarGradOp op, const Tensor& g, const Tensor& a, double s, Tensor& da);

// out (shape broadcast-compatible with t's) = t summed over the dims that broadcasting stretched.
void sum_to_cpu(const Tensor& t, Tensor& out);
}  // namespace kernels
