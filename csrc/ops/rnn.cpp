// Recurrent layers and cells: every argument checked once here (shapes named in the messages),
// then the device kernels of csrc/cpu/rnn.cpp / csrc/cuda/rnn.cu. A cell is a layer of one step
// and one direction, so both share the kernels.
#include "rnn.h"

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/rnn.h"

namespace kernels {

namespace {

struct Parsed {
  RnnLayer L;
  Tensor x;               // (R, I) rows
  std::vector<Tensor> w;  // 4 per direction, undefined biases when absent
  std::vector<int64_t> out_shape;
};

const char* dir_suffix(int64_t d) { return d ? "_reverse" : ""; }

void check_like(const char* op, const Tensor& t, const Tensor& input, const char* name,
                const std::string& suffix = "") {
  KCHECK_TYPE(t.dtype == input.dtype, op, ": ", name, suffix, " is ", t.desc(), " but the input is ",
              input.desc(), "; use one dtype");
  KCHECK(t.device() == input.device(), op, ": ", name, suffix, " is on ", t.device().str(),
         " but the input is on ", input.device().str(), " (", name, suffix, " ", shape_str(t.shape),
         ", input ", shape_str(input.shape), ")");
}

std::vector<int64_t> read_batch_sizes(const char* op, const Tensor& bs, const Tensor& input) {
  KCHECK_TYPE(bs.dtype == DType::Int64, op, ": batch_sizes must be an int64 tensor, got ", bs.desc());
  KCHECK(!bs.is_cuda(), op, ": batch_sizes must be on the CPU (as PackedSequence keeps it), got ",
         bs.desc());
  KCHECK(bs.dim() == 1, op, ": batch_sizes must be 1-D, got shape ", shape_str(bs.shape));
  KCHECK(bs.numel() > 0, op, ": packed input has an empty sequence (batch_sizes is empty)");
  const int64_t* p = bs.data<int64_t>();
  std::vector<int64_t> v(p, p + bs.numel());
  int64_t total = 0;
  for (size_t t = 0; t < v.size(); ++t) {
    KCHECK(v[t] > 0, op, ": batch_sizes must be positive, got ", v[t], " at step ", t);
    KCHECK(t == 0 || v[t] <= v[t - 1], op, ": batch_sizes must be non-increasing (sequences sorted by ",
           "length), got ", v[t - 1], " then ", v[t], " at step ", t);
    total += v[t];
  }
  KCHECK(total == input.shape[0], op, ": packed input has ", input.shape[0],
         " rows but batch_sizes sum to ", total);
  return v;
}

// `shown` is the shape the caller passed (a cell's (B, I) input runs as (1, B, I)).
Parsed parse_layer(const char* op, RnnMode mode, const Tensor& input, const OptTensor& batch_sizes,
                   bool batch_first, const TensorList& weights, const std::vector<int64_t>* shown = nullptr) {
  check_defined(op, input, "input");
  check_floating(op, input);
  Parsed P;
  RnnLayer& L = P.L;
  L.mode = mode;
  const int64_t G = L.G();
  const bool packed = batch_sizes && batch_sizes->defined();
  if (packed) {
    KCHECK(input.dim() == 2, op, ": packed input must have shape (sum of lengths, input_size), got ",
           shape_str(input.shape));
    L.s = RnnSteps::packed(read_batch_sizes(op, *batch_sizes, input));
  } else {
    KCHECK(input.dim() == 3, op, ": input must have shape ", batch_first ? "(B, T, input_size)" : "(T, B, input_size)",
           ", got ", shape_str(input.shape));
    const int64_t T = input.shape[batch_first ? 1 : 0], B = input.shape[batch_first ? 0 : 1];
    KCHECK(T > 0, op, ": input ", shape_str(input.shape), " has an empty sequence (T=0)");
    L.s = RnnSteps::dense(T, B, batch_first);
  }
  L.I = input.shape.back();
  KCHECK(weights.size() == 4 || weights.size() == 8, op,
         ": expected weights for 1 or 2 directions (4 or 8 tensors: w_ih, w_hh, b_ih, b_hh each), got ",
         weights.size());
  L.D = static_cast<int64_t>(weights.size() / 4);
  for (int64_t d = 0; d < L.D; ++d) {
    const std::string sfx = dir_suffix(d);
    const OptTensor& wih = weights[4 * d];
    const OptTensor& whh = weights[4 * d + 1];
    KCHECK(wih && wih->defined() && whh && whh->defined(), op, ": weight_ih", sfx, " and weight_hh", sfx,
           " are required");
    check_like(op, *wih, input, "weight_ih", sfx);
    check_like(op, *whh, input, "weight_hh", sfx);
    KCHECK(whh->dim() == 2 && whh->shape[1] > 0 && whh->shape[0] == G * whh->shape[1], op, ": weight_hh", sfx,
           " must have shape (", G, "*hidden_size, hidden_size), got ", shape_str(whh->shape));
    const int64_t H = whh->shape[1];
    if (d == 0) L.H = H;
    KCHECK(H == L.H, op, ": weight_hh", sfx, " ", shape_str(whh->shape), " has hidden_size ", H,
           " but weight_hh ", shape_str(weights[1]->shape), " has ", L.H);
    KCHECK(wih->dim() == 2 && wih->shape[0] == G * H, op, ": weight_ih", sfx, " must have shape (", G * H,
           ", input_size) for hidden_size ", H, ", got ", shape_str(wih->shape));
    KCHECK(wih->shape[1] == L.I, op, ": input ", shape_str(shown ? *shown : input.shape), " has ", L.I,
           " features but weight_ih", sfx, " ", shape_str(wih->shape), " expects ", wih->shape[1]);
    P.w.push_back(*wih);
    P.w.push_back(*whh);
    for (int k = 2; k < 4; ++k) {
      const OptTensor& b = weights[4 * d + k];
      const char* name = k == 2 ? "bias_ih" : "bias_hh";
      if (b && b->defined()) {
        check_like(op, *b, input, name, sfx);
        KCHECK(b->dim() == 1 && b->shape[0] == G * H, op, ": ", name, sfx, " must have shape (", G * H,
               ",), got ", shape_str(b->shape));
        P.w.push_back(*b);
      } else {
        P.w.push_back(Tensor());
      }
    }
  }
  P.x = contiguous(input).view({L.s.R, L.I});  // the kernels read rows of a contiguous input
  P.out_shape = input.shape;
  P.out_shape.back() = L.D * L.H;
  return P;
}

// A state or gradient that must have exactly the shape `want` (and the input's dtype and device).
void check_state(const char* op, const Tensor& t, const Tensor& input, const char* name,
                 const std::vector<int64_t>& want) {
  check_defined(op, t, name);
  check_like(op, t, input, name);
  KCHECK(t.shape == want, op, ": ", name, " must have shape ", shape_str(want), " for input ",
         shape_str(input.shape), ", got ", shape_str(t.shape));
}

TensorList to_list(const std::vector<Tensor>& v) {
  TensorList out;
  for (const Tensor& t : v) out.push_back(t.defined() ? OptTensor(t) : std::nullopt);
  return out;
}

std::vector<Tensor> alloc_workspace(const RnnLayer& L, const Tensor& input) {
  std::vector<Tensor> ws;
  const int64_t R = L.s.R, H = L.H;
  for (int64_t d = 0; d < L.D; ++d) {
    ws.push_back(Tensor::empty({R, L.G() * H}, input.dtype, input.device()));
    ws.push_back(rnn_has_extra(L.mode) ? Tensor::empty({R, H}, input.dtype, input.device()) : Tensor());
    ws.push_back(Tensor::empty({R, H}, input.dtype, input.device()));
  }
  return ws;
}

std::vector<Tensor> check_workspace(const char* op, const RnnLayer& L, const TensorList& workspace,
                                    const Tensor& input) {
  KCHECK(static_cast<int64_t>(workspace.size()) == 3 * L.D, op, ": expected the workspace of ", 3 * L.D,
         " tensors that the forward returned, got ", workspace.size());
  std::vector<Tensor> ws;
  const int64_t R = L.s.R, H = L.H;
  for (int64_t d = 0; d < L.D; ++d) {
    const std::vector<int64_t> shapes[3] = {{R, L.G() * H}, {R, H}, {R, H}};
    for (int k = 0; k < 3; ++k) {
      const OptTensor& t = workspace[3 * d + k];
      if (k == 1 && !rnn_has_extra(L.mode)) {
        ws.push_back(Tensor());
        continue;
      }
      KCHECK(t && t->defined() && t->shape == shapes[k], op, ": workspace tensor ", 3 * d + k,
             " does not match this layer (expected shape ", shape_str(shapes[k]), "); pass the forward's");
      check_like(op, *t, input, "workspace");
      ws.push_back(*t);
    }
  }
  return ws;
}

std::tuple<Tensor, Tensor, Tensor, TensorList> layer_forward(RnnMode mode, const Tensor& input,
                                                             const OptTensor& batch_sizes, bool batch_first,
                                                             const Tensor& h0, const Tensor& c0,
                                                             const TensorList& weights) {
  const char* op = rnn_mode_name(mode);
  Parsed P = parse_layer(op, mode, input, batch_sizes, batch_first, weights);
  const RnnLayer& L = P.L;
  const std::vector<int64_t> state = {L.D, L.s.B, L.H};
  check_state(op, h0, input, "h0", state);
  if (mode == RnnMode::Lstm) check_state(op, c0, input, "c0", state);
  Tensor y = Tensor::empty(P.out_shape, input.dtype, input.device());
  Tensor y2 = y.view({L.s.R, L.D * L.H});
  Tensor hn = Tensor::empty(state, input.dtype, input.device());
  Tensor cn = mode == RnnMode::Lstm ? Tensor::empty(state, input.dtype, input.device()) : Tensor();
  std::vector<Tensor> ws = alloc_workspace(L, input);
  KERNELS_ROUTE(input, op, rnn_layer_forward, L, P.x, P.w, h0, c0, y2, hn, cn, ws);
  return {y, hn, cn, to_list(ws)};
}

std::tuple<OptTensor, Tensor, Tensor, TensorList> layer_backward(
    RnnMode mode, const OptTensor& grad_output, const OptTensor& grad_hn, const OptTensor& grad_cn,
    const Tensor& input, const OptTensor& batch_sizes, bool batch_first, const Tensor& c0,
    const TensorList& weights, const TensorList& workspace, const std::vector<bool>& output_mask) {
  const std::string name = std::string(rnn_mode_name(mode)) + "_backward";
  const char* op = name.c_str();
  Parsed P = parse_layer(op, mode, input, batch_sizes, batch_first, weights);
  const RnnLayer& L = P.L;
  KCHECK(output_mask.size() == 2, op, ": output_mask must have 2 entries (input, weights), got ",
         output_mask.size());
  const std::vector<int64_t> state = {L.D, L.s.B, L.H};
  if (mode == RnnMode::Lstm) check_state(op, c0, input, "c0", state);
  std::vector<Tensor> ws = check_workspace(op, L, workspace, input);
  Tensor dy, dhn, dcn;
  if (grad_output && grad_output->defined()) {
    check_state(op, *grad_output, input, "grad_output", P.out_shape);
    dy = contiguous(*grad_output).view({L.s.R, L.D * L.H});
  }
  if (grad_hn && grad_hn->defined()) {
    check_state(op, *grad_hn, input, "grad_hn", state);
    dhn = contiguous(*grad_hn);
  }
  if (mode == RnnMode::Lstm && grad_cn && grad_cn->defined()) {
    check_state(op, *grad_cn, input, "grad_cn", state);
    dcn = contiguous(*grad_cn);
  }
  Tensor dx = output_mask[0] ? Tensor::empty(input.shape, input.dtype, input.device()) : Tensor();
  Tensor dx2 = dx.defined() ? dx.view({L.s.R, L.I}) : Tensor();
  Tensor dh0 = Tensor::empty(state, input.dtype, input.device());
  Tensor dc0 = mode == RnnMode::Lstm ? Tensor::empty(state, input.dtype, input.device()) : Tensor();
  std::vector<Tensor> dw;
  for (const Tensor& w : P.w)
    dw.push_back(output_mask[1] && w.defined() ? Tensor::empty(w.shape, w.dtype, w.device()) : Tensor());
  KERNELS_ROUTE(input, op, rnn_layer_backward, L, P.x, P.w, c0, ws, dy, dhn, dcn, dx2, dh0, dc0, dw);
  return {dx.defined() ? OptTensor(dx) : std::nullopt, dh0, dc0, to_list(dw)};
}

// ---------------------------------------------------------------- cells: a layer of one step

std::string cell_name(RnnMode mode, const char* suffix = "") {
  return std::string(rnn_mode_name(mode)) + "_cell" + suffix;
}

TensorList cell_weights(const Tensor& w_ih, const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh) {
  return {OptTensor(w_ih), OptTensor(w_hh), b_ih, b_hh};
}

void check_cell_input(const char* op, const Tensor& input) {
  check_defined(op, input, "input");
  KCHECK(input.dim() == 2, op, ": input must have shape (B, input_size), got ", shape_str(input.shape));
}

std::tuple<Tensor, Tensor, TensorList> cell_forward(RnnMode mode, const Tensor& input, const Tensor& hx,
                                                    const Tensor& cx, const Tensor& w_ih, const Tensor& w_hh,
                                                    const OptTensor& b_ih, const OptTensor& b_hh) {
  const std::string name = cell_name(mode);
  const char* op = name.c_str();
  check_cell_input(op, input);
  const int64_t B = input.shape[0];
  const Tensor x3 = contiguous(input).view({1, B, input.shape[1]});
  Parsed P = parse_layer(op, mode, x3, std::nullopt, false, cell_weights(w_ih, w_hh, b_ih, b_hh), &input.shape);
  const RnnLayer& L = P.L;
  check_state(op, hx, input, "hx", {B, L.H});
  if (mode == RnnMode::Lstm) check_state(op, cx, input, "cx", {B, L.H});
  const std::vector<int64_t> state = {1, B, L.H};
  Tensor hy = Tensor::empty({B, L.H}, input.dtype, input.device());
  Tensor hn = Tensor::empty(state, input.dtype, input.device());
  Tensor cy = mode == RnnMode::Lstm ? Tensor::empty(state, input.dtype, input.device()) : Tensor();
  const Tensor h0 = hx.view(state), c0 = cx.defined() ? cx.view(state) : Tensor();
  std::vector<Tensor> ws = alloc_workspace(L, input);
  KERNELS_ROUTE(input, op, rnn_layer_forward, L, P.x, P.w, h0, c0, hy, hn, cy, ws);
  return {hy, cy.defined() ? cy.view({B, L.H}) : Tensor(), to_list(ws)};
}

std::tuple<OptTensor, Tensor, Tensor, TensorList> cell_backward(
    RnnMode mode, const OptTensor& grad_hy, const OptTensor& grad_cy, const Tensor& input, const Tensor& cx,
    const Tensor& w_ih, const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
    const TensorList& workspace, const std::vector<bool>& output_mask) {
  const std::string name = cell_name(mode, "_backward");
  const char* op = name.c_str();
  check_cell_input(op, input);
  KCHECK(output_mask.size() == 5, op, ": output_mask must have 5 entries (input, w_ih, w_hh, b_ih, b_hh), got ",
         output_mask.size());
  const int64_t B = input.shape[0];
  const Tensor x3 = contiguous(input).view({1, B, input.shape[1]});
  Parsed P = parse_layer(op, mode, x3, std::nullopt, false, cell_weights(w_ih, w_hh, b_ih, b_hh), &input.shape);
  const RnnLayer& L = P.L;
  const std::vector<int64_t> state = {1, B, L.H};
  std::vector<Tensor> ws = check_workspace(op, L, workspace, input);
  Tensor c0, dy, dcn;
  if (mode == RnnMode::Lstm) {
    check_state(op, cx, input, "cx", {B, L.H});
    c0 = contiguous(cx).view(state);
    if (grad_cy && grad_cy->defined()) {
      check_state(op, *grad_cy, input, "grad_cy", {B, L.H});
      dcn = contiguous(*grad_cy).view(state);
    }
  }
  if (grad_hy && grad_hy->defined()) {
    check_state(op, *grad_hy, input, "grad_hy", {B, L.H});
    dy = contiguous(*grad_hy);
  }
  Tensor dx = output_mask[0] ? Tensor::empty(input.shape, input.dtype, input.device()) : Tensor();
  Tensor dh0 = Tensor::empty(state, input.dtype, input.device());
  Tensor dc0 = mode == RnnMode::Lstm ? Tensor::empty(state, input.dtype, input.device()) : Tensor();
  std::vector<Tensor> dw;
  for (size_t k = 0; k < 4; ++k)
    dw.push_back(output_mask[k + 1] && P.w[k].defined() ? Tensor::empty(P.w[k].shape, input.dtype, input.device())
                                                        : Tensor());
  KERNELS_ROUTE(input, op, rnn_layer_backward, L, P.x, P.w, c0, ws, dy, Tensor(), dcn, dx, dh0, dc0, dw);
  return {dx.defined() ? OptTensor(dx) : std::nullopt, dh0.view({B, L.H}),
          dc0.defined() ? dc0.view({B, L.H}) : Tensor(), to_list(dw)};
}

CellGrads simple_cell_backward(RnnMode mode, const Tensor& grad_hy, const Tensor& input, const Tensor& w_ih,
                               const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
                               const TensorList& workspace, const std::vector<bool>& output_mask) {
  auto [dx, dhx, dcx, dw] =
      cell_backward(mode, grad_hy, std::nullopt, input, Tensor(), w_ih, w_hh, b_ih, b_hh, workspace, output_mask);
  (void)dcx;
  return {dx, dhx, dw[0], dw[1], dw[2], dw[3]};
}

}  // namespace

// ---------------------------------------------------------------- layers

std::tuple<Tensor, Tensor, Tensor, TensorList> lstm_forward(const Tensor& input, const OptTensor& batch_sizes,
                                                            bool batch_first, const Tensor& h0,
                                                            const Tensor& c0, const TensorList& weights) {
  return layer_forward(RnnMode::Lstm, input, batch_sizes, batch_first, h0, c0, weights);
}

std::tuple<OptTensor, Tensor, Tensor, TensorList> lstm_backward(
    const OptTensor& grad_output, const OptTensor& grad_hn, const OptTensor& grad_cn, const Tensor& input,
    const OptTensor& batch_sizes, bool batch_first, const Tensor& c0, const TensorList& weights,
    const TensorList& workspace, const std::vector<bool>& output_mask) {
  return layer_backward(RnnMode::Lstm, grad_output, grad_hn, grad_cn, input, batch_sizes, batch_first, c0,
                        weights, workspace, output_mask);
}

#define KERNELS_SIMPLE_LAYER(NAME, MODE)                                                                  \
  std::tuple<Tensor, Tensor, TensorList> NAME##_forward(const Tensor& input, const OptTensor& batch_sizes, \
                                                        bool batch_first, const Tensor& h0,               \
                                                        const TensorList& weights) {                      \
    auto [y, hn, cn, ws] = layer_forward(MODE, input, batch_sizes, batch_first, h0, Tensor(), weights);    \
    (void)cn;                                                                                              \
    return {y, hn, ws};                                                                                    \
  }                                                                                                        \
  std::tuple<OptTensor, Tensor, TensorList> NAME##_backward(                                               \
      const OptTensor& grad_output, const OptTensor& grad_hn, const Tensor& input,                         \
      const OptTensor& batch_sizes, bool batch_first, const TensorList& weights,                           \
      const TensorList& workspace, const std::vector<bool>& output_mask) {                                 \
    auto [dx, dh0, dc0, dw] = layer_backward(MODE, grad_output, grad_hn, std::nullopt, input, batch_sizes, \
                                             batch_first, Tensor(), weights, workspace, output_mask);      \
    (void)dc0;                                                                                             \
    return {dx, dh0, dw};                                                                                  \
  }

KERNELS_SIMPLE_LAYER(gru, RnnMode::Gru)
KERNELS_SIMPLE_LAYER(rnn_tanh, RnnMode::RnnTanh)
KERNELS_SIMPLE_LAYER(rnn_relu, RnnMode::RnnRelu)
#undef KERNELS_SIMPLE_LAYER

// ---------------------------------------------------------------- cells

std::tuple<Tensor, Tensor, TensorList> lstm_cell_forward(const Tensor& input, const Tensor& hx,
                                                         const Tensor& cx, const Tensor& w_ih,
                                                         const Tensor& w_hh, const OptTensor& b_ih,
                                                         const OptTensor& b_hh) {
  return cell_forward(RnnMode::Lstm, input, hx, cx, w_ih, w_hh, b_ih, b_hh);
}

std::tuple<OptTensor, Tensor, Tensor, OptTensor, OptTensor, OptTensor, OptTensor> lstm_cell_backward(
    const OptTensor& grad_hy, const OptTensor& grad_cy, const Tensor& input, const Tensor& cx,
    const Tensor& w_ih, const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,
    const TensorList& workspace, const std::vector<bool>& output_mask) {
  auto [dx, dhx, dcx, dw] =
      cell_backward(RnnMode::Lstm, grad_hy, grad_cy, input, cx, w_ih, w_hh, b_ih, b_hh, workspace, output_mask);
  return {dx, dhx, dcx, dw[0], dw[1], dw[2], dw[3]};
}

#define KERNELS_SIMPLE_CELL(NAME, MODE)                                                                       \
  std::tuple<Tensor, TensorList> NAME##_cell_forward(const Tensor& input, const Tensor& hx, const Tensor& w_ih, \
                                                     const Tensor& w_hh, const OptTensor& b_ih,                \
                                                     const OptTensor& b_hh) {                                  \
    auto [hy, cy, ws] = cell_forward(MODE, input, hx, Tensor(), w_ih, w_hh, b_ih, b_hh);                     \
    (void)cy;                                                                                                  \
    return {hy, ws};                                                                                           \
  }                                                                                                            \
  CellGrads NAME##_cell_backward(const Tensor& grad_hy, const Tensor& input, const Tensor& w_ih,               \
                                 const Tensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh,             \
                                 const TensorList& workspace, const std::vector<bool>& output_mask) {          \
    return simple_cell_backward(MODE, grad_hy, input, w_ih, w_hh, b_ih, b_hh, workspace, output_mask);        \
  }

KERNELS_SIMPLE_CELL(gru, RnnMode::Gru)
KERNELS_SIMPLE_CELL(rnn_tanh, RnnMode::RnnTanh)
KERNELS_SIMPLE_CELL(rnn_relu, RnnMode::RnnRelu)
#undef KERNELS_SIMPLE_CELL

}  // namespace kernels
