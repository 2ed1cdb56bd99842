// Reductions (sum, mean, var/std, max/min, arg*, amax/amin) and their gradients: the (outer, R,
// inner) geometry and the entry points both devices implement.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

// Every reduction kernel sees its input as a contiguous (outer, R, inner) block: R is the product
// of the reduced dims, outer and inner the products of the kept dims before and after them (the
// ops layer moves non-adjacent reduced dims last first, so inner is 1 there). Outputs are
// (outer, inner), row-major; `col` below is o * inner + i.
namespace kernels {

struct ReduceGeom {
  int64_t outer = 1, R = 1, inner = 1;
  int64_t cols() const { return outer * inner; }
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/reduce.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_REDUCE_ENTRY_POINTS                                                                        \
  /* out dtype: x's, int64 for bool */                                                                     \
  void sum_forward(const Tensor& x, const ReduceGeom& g, Tensor& out);                                     \
  void mean_forward(const Tensor& x, const ReduceGeom& g, Tensor& out);                                    \
  /* take_sqrt: std instead of var. */                                                                     \
  void var_forward(const Tensor& x, const ReduceGeom& g, double correction, bool take_sqrt,                \
                   Tensor& out);                                                                           \
  /* values may be undefined (argmax/argmin); indices may be undefined (amax/amin). */                     \
  void max_forward(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices);                 \
  void min_forward(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices);                 \
  /* dx[o,r,i] = grad[o,i] * scale            (sum: scale 1, mean: scale 1/R) */                           \
  void sum_backward(const Tensor& grad, const ReduceGeom& g, double scale, Tensor& dx);                    \
  /* dx[o,r,i] = 2 (x[o,r,i] - mean[o,i]) grad[o,i] / max(0, R - correction); for std (std_out */          \
  /* defined) grad[o,i] is first divided by 2 std_out[o,i]. */                                             \
  void var_backward(const Tensor& grad, const Tensor& x, const Tensor& std_out, const ReduceGeom& g,       \
                    double correction, Tensor& dx);                                                        \
  /* dx = 0; dx[o, indices[o,i], i] = grad[o,i] */                                                         \
  void index_backward(const Tensor& grad, const Tensor& indices, const ReduceGeom& g, Tensor& dx);         \
  /* dx[o,r,i] = grad[o,i] / count[o,i] where x[o,r,i] == out[o,i] (NaN matches NaN), else 0 */            \
  void extremum_backward(const Tensor& grad, const Tensor& x, const Tensor& out,                           \
                         const ReduceGeom& g, bool nan_ties, Tensor& dx);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_REDUCE_ENTRY_POINTS)
