// Recurrent cells and layers: argument checks, then routing to csrc/cpu/rnn.cpp or
// csrc/cuda/rnn.cu. Gate orders, parameter shapes and formulas are torch's (see
// csrc/common/rnn_math.h). `weights` holds w_ih, w_hh, b_ih, b_hh for each direction (biases None
// when the layer has none). The workspace returned by a forward goes back, unchanged, to its
// backward.
#pragma once
#include <optional>
#include <tuple>
#include <vector>

#include "../common/tensor.h"

namespace kernels {

using OptTensor = std::optional<Tensor>;
using TensorList = std::vector<OptTensor>;

// ---------------------------------------------------------------- layers (one layer, D directions)
// input: (T, B, I), (B, T, I) with batch_first, or packed (sum of lengths, I) with batch_sizes
// (T,) int64 on the CPU, non-increasing. h0 / c0: (D, B, H).
// Forward returns (output (..., D*H) in the input's layout, h_n, c_n (LSTM), workspace).
// Backward takes the gradients of output / h_n / c_n (each may be None) and returns
// (dinput or None, dh0, dc0 (LSTM), dweights); output_mask = [input, weights].
std::tuple<Tensor, Tensor, Tensor, TensorList> lstm_forward(const Tensor& input, const OptTensor& batch_sizes,
                                                            bool batch_first, const Tensor& h0,
                                                            const Tensor& c0, const TensorList& weights);
std::tuple<OptTensor, Tensor, Tensor, TensorList> lstm_backward(
    const OptTensor& grad_output, const OptTensor& grad_hn, const OptTensor& grad_cn, const Tensor& input,
    const OptTensor& batch_sizes, bool batch_first, const Tensor& c0, const TensorList& weights,
    const TensorList& workspace, const std::vector<bool>& output_mask);

// GRU and Elman RNNs: no cell state.
std::tuple<Tensor, Tensor, TensorList> gru_forward(const Tensor& input, const OptTensor& batch_sizes,
                                                   bool batch_first, const Tensor& h0,
                                                   const TensorList& weights);
std::tuple<OptTensor, Tensor, TensorList> gru_backward(const OptTensor& grad_output, const OptTensor& grad_hn,
                                                       const Tensor& input, const OptTensor& batch_sizes,
                                                       bool batch_first, const TensorList& weights,
                                                       const TensorList& workspace,
                                                       const std::vector<bool>& output_mask);
std::tuple<Tensor, Tensor, TensorList> rnn_tanh_forward(const Tensor& input, const OptTensor& batch_sizes,
                                                        bool batch_first, const Tensor& h0,
                                                        const TensorList& weights);
std::tuple<OptTensor, Tensor, TensorList> rnn_tanh_backward(
    const OptTensor& grad_output, const OptTensor& grad_hn, const Tensor& input, const OptTensor& batch_sizes,
    bool batch_first, const TensorList& weights, const TensorList& workspace,
    const std::vector<bool>& output_mask);
std::tuple<Tensor, Tensor, TensorList> rnn_relu_forward(const Tensor& input, const OptTensor& batch_sizes,
                                                        bool batch_first, const Tensor& h0,
                                                        const TensorList& weights);
std::tuple<OptTensor, Tensor, TensorList> rnn_relu_backward(
    const OptTensor& grad_output, const OptTensor& grad_hn, const Tensor& input, const OptTensor& batch_sizes,
    bool batch_first, const TensorList& weights, const TensorList& workspace,
    const std::vector<bool>& output_mask);

// ---------------------------------------------------------------- cells (one step)
// input (B, I), hx / cx (B, H). Backward output_mask = [input, w_ih, w_hh, b_ih, b_hh]; the
// gradient of hx (and cx) is always returned.
std::tuple<Tensor, Tensor, TensorList> lstm_cell_forward(const Tensor& input, const Tensor& hx,
                                                         const Tensor& cx, const Tensor& w_ih,
                                                         const Tensor& w_hh, const OptTensor& b_ih,
                                                         const OptTensor& b_hh);
// Returns (dinput, dhx, dcx, dw_ih, dw_hh, db_ih, db_hh).
std::tuple<OptTensor, Tensor, Tensor, OptTensor, OptTensor, OptTensor, OptTensor> lstm_cell_backward(
    const OptTensor& grad_hy, const OptTensor& grad_cy, const Tensor& input, const Tensor& cx,
    const Tensor& w_ih, const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
    const TensorList& workspace, const std::vector<bool>& output_mask);

// gru_cell / rnn_tanh_cell / rnn_relu_cell: forward returns (hy, workspace), backward
// (dinput, dhx, dw_ih, dw_hh, db_ih, db_hh).
using CellGrads = std::tuple<OptTensor, Tensor, OptTensor, OptTensor, OptTensor, OptTensor>;
std::tuple<Tensor, TensorList> gru_cell_forward(const Tensor& input, const Tensor& hx, const Tensor& w_ih,
                                                const Tensor& w_hh, const OptTensor& b_ih,
                                                const OptTensor& b_hh);
CellGrads gru_cell_backward(const Tensor& grad_hy, const Tensor& input, const Tensor& w_ih,
                            const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
                            const TensorList& workspace, const std::vector<bool>& output_mask);
std::tuple<Tensor, TensorList> rnn_tanh_cell_forward(const Tensor& input, const Tensor& hx,
                                                     const Tensor& w_ih, const Tensor& w_hh,
                                                     const OptTensor& b_ih, const OptTensor& b_hh);
CellGrads rnn_tanh_cell_backward(const Tensor& grad_hy, const Tensor& input, const Tensor& w_ih,
                                 const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
                                 const TensorList& workspace, const std::vector<bool>& output_mask);
std::tuple<Tensor, TensorList> rnn_relu_cell_forward(const Tensor& input, const Tensor& hx,
                                                     const Tensor& w_ih, const Tensor& w_hh,
                                                     const OptTensor& b_ih, const OptTensor& b_hh);
CellGrads rnn_relu_cell_backward(const Tensor& grad_hy, const Tensor& input, const Tensor& w_ih,
                                 const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
                                 const TensorList& workspace, const std::vector<bool>& output_mask);

}  // namespace kernels
