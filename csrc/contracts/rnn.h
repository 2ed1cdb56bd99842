// Recurrent layers (one layer, every direction); the cells are a layer of one step. The entry
// points both devices implement.
// Shapes, with G gates (1 rnn, 4 lstm, 3 gru), D directions, R rows in all:
//   x (R, I) rows of the input: dense (T,B,I) / (B,T,I) or packed (sum of lengths, I)
//   w[4d .. 4d+3] = w_ih (G*H, I), w_hh (G*H, H), b_ih (G*H) or undefined, b_hh likewise
//   h0, hn, dh0, dhn (D, B, H);  c0, cn, dc0, dcn (D, B, H), LSTM only
//   y, dy (R, D*H): direction d writes columns [d*H, (d+1)*H)
//   ws[3d .. 3d+2] (saved for backward) = gates (R, G*H) activations, extra (R, H) c (lstm) or
//   hn (gru) or undefined (rnn), hprev (R, H) the hidden state each row's step started from.
#pragma once
#include <cstdint>
#include <vector>

#include "../common/rnn_math.h"
#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// Where step t of batch entry b lives among the rows: row = row_t[t] + b * row_b, for
// b < bs[t]. bs is non-increasing (packed sequences are sorted by length), so the entries still
// running at a step are a prefix of the batch and a finished entry keeps its state.
struct RnnSteps {
  int64_t T = 0, B = 0, R = 0;
  int64_t row_b = 1;
  std::vector<int64_t> bs, row_t;

  int64_t row(int64_t t, int64_t b) const { return row_t[t] + b * row_b; }
  // The step processed just before t (t-1 forward, t+1 reverse), or -1 at the start.
  int64_t prev_step(int64_t t, bool reverse) const {
    const int64_t p = reverse ? t + 1 : t - 1;
    return (p < 0 || p >= T) ? -1 : p;
  }
  // Dense (T, B) time-major, or (B, T) with batch_first.
  static RnnSteps dense(int64_t T, int64_t B, bool batch_first);
  // Packed: step t holds batch_sizes[t] consecutive rows.
  static RnnSteps packed(const std::vector<int64_t>& batch_sizes);
};

struct RnnLayer {
  RnnMode mode = RnnMode::Lstm;
  int64_t I = 0, H = 0, D = 1;
  RnnSteps s;
  int64_t G() const { return rnn_num_gates(mode); }
};

inline RnnSteps RnnSteps::dense(int64_t T, int64_t B, bool batch_first) {
  RnnSteps s;
  s.T = T;
  s.B = B;
  s.R = T * B;
  s.row_b = batch_first ? T : 1;
  s.bs.assign(T, B);
  s.row_t.resize(T);
  for (int64_t t = 0; t < T; ++t) s.row_t[t] = batch_first ? t : t * B;
  return s;
}

inline RnnSteps RnnSteps::packed(const std::vector<int64_t>& batch_sizes) {
  RnnSteps s;
  s.T = static_cast<int64_t>(batch_sizes.size());
  s.B = s.T ? batch_sizes[0] : 0;
  s.bs = batch_sizes;
  s.row_t.resize(s.T);
  int64_t r = 0;
  for (int64_t t = 0; t < s.T; ++t) {
    s.row_t[t] = r;
    r += batch_sizes[t];
  }
  s.R = r;
  s.row_b = 1;
  return s;
}

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/rnn.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_RNN_ENTRY_POINTS                                                                    \
  void rnn_layer_forward(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,          \
                         const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,     \
                         std::vector<Tensor>& ws);                                                  \
  /* dy, dhn, dcn may be undefined (zero). dx is skipped when undefined, dw[k] likewise; dh0 and */ \
  /* dc0 (LSTM) are always written. */                                                              \
  void rnn_layer_backward(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,         \
                          const Tensor& c0, const std::vector<Tensor>& ws, const Tensor& dy,        \
                          const Tensor& dhn, const Tensor& dcn, Tensor& dx, Tensor& dh0,            \
                          Tensor& dc0, std::vector<Tensor>& dw);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_RNN_ENTRY_POINTS)
