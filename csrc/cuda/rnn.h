#pragma once
#include <vector>

#include "../common/tensor.h"
#include "../cpu/rnn.h"  // RnnLayer, RnnSteps; shapes documented there

namespace kernels {

void rnn_layer_forward_cuda(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                            const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,
                            std::vector<Tensor>& ws);
void rnn_layer_backward_cuda(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                             const Tensor& c0, const std::vector<Tensor>& ws, const Tensor& dy,
                             const Tensor& dhn, const Tensor& dcn, Tensor& dx, Tensor& dh0,
                             Tensor& dc0, std::vector<Tensor>& dw);

}  // namespace kernels
