#pragma once
#include "../common/tensor.h"
#include "../cpu/reduce.h"  // ReduceGeom: the (outer, R, inner) view shared by both devices

namespace kernels {
void sum_forward_cuda(const Tensor& x, const ReduceGeom& g, Tensor& out);
void mean_forward_cuda(const Tensor& x, const ReduceGeom& g, Tensor& out);
void var_forward_cuda(const Tensor& x, const ReduceGeom& g, double correction, bool take_sqrt,
                      Tensor& out);
void max_forward_cuda(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices);
void min_forward_cuda(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices);
void sum_backward_cuda(const Tensor& grad, const ReduceGeom& g, double scale, Tensor& dx);
void var_backward_cuda(const Tensor& grad, const Tensor& x, const Tensor& std_out, const ReduceGeom& g,
                       double correction, Tensor& dx);
void index_backward_cuda(const Tensor& grad, const Tensor& indices, const ReduceGeom& g, Tensor& dx);
void extremum_backward_cuda(const Tensor& grad, const Tensor& x, const Tensor& out,
                            const ReduceGeom& g, bool nan_ties, Tensor& dx);
}  // namespace kernels
