// Recurrent layers on the CPU (shapes in rnn.h, pointwise maths in csrc/common/rnn_math.h).
//
// Forward, per direction:
//   Gx = X W_ih^T                     one GEMM over all R rows (every step at once)
//   for each step t (T-1..0 when reversed), with n = bs[t] rows still running:
//     Gh = h[0:n] W_hh^T              GEMM (n, G*H) on the running rows, W_hh packed once
//     one fused pointwise pass        gates, c and h; activations saved over Gx in place
// Backward, per direction, walking the steps in the opposite order:
//     one fused pointwise pass        dGx, dGh from dy + the carried dh (and dc)
//     dh[0:n] = dGh_t W_hh            GEMM (+ the direct part dh z for the GRU)
//   then once over all rows:  dW_ih = dGx^T X,  dW_hh = dGh^T Hprev,  db = column sums,
//   dX (+)= dGx W_ih  (dX sums the directions).
// Rows of a step are b * row_b apart, so a step's block of Gh / dGh is one strided GEMM operand.
// Threads: the big GEMMs thread themselves; the time loops split the batch (split_batch), each
// thread running every step on its own rows with single-threaded per-step GEMMs.
#include "../contracts/rnn.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "../common/dispatch.h"
#include "gemm.h"
#include "isa.h"
#include "parallel.h"
#include "rnn_gemm.h"
#include "rnn_rows.h"

namespace kernels::cpu {

namespace {

// dst[c] = sum_r src[r * cols + c] over rows, columns split over threads.
template <class T>
void column_sums(const T* src, int64_t rows, int64_t cols, T* dst) {
  parallel_for(cols, 64, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) dst[c] = T(0);
    for (int64_t r = 0; r < rows; ++r) {
      const T* s = src + r * cols;
      for (int64_t c = c0; c < c1; ++c) dst[c] += s[c];
    }
  });
}

// dW (GH, K) = dG^T A over all R rows: one TN GEMM straight into dW. With GH >= K its threads
// take row slices sharing one packed panel of A (matmul.cpp); that measured a little faster
// than computing (A^T dG)^T, whose column slices each pack all of A, plus a transpose pass.
template <class T>
void weight_grad(const T* A, int64_t K, const T* dG, int64_t R, int64_t GH, T* dW) {
  gemm<T>(true, false, GH, K, R, T(1), dG, GH, A, K, T(0), dW, K);
}


template <class T>
void fwd_row(RnnMode mode, int64_t H, const RnnFwdRow<T>& r) {
  if constexpr (std::is_same<T, float>::value) {
    if (use_avx2()) return rnn_fwd_row_avx2(mode, H, r);
  }
  rnn_fwd_row_impl<T, rnn::ActMath>(mode, H, r);
}

template <class T>
void bwd_row(RnnMode mode, int64_t H, const RnnBwdRow<T>& r) {
  if constexpr (std::is_same<T, float>::value) {
    if (use_avx2()) return rnn_bwd_row_avx2(mode, H, r);
  }
  rnn_bwd_row_impl<T, rnn::ActMath>(mode, H, r);
}

// The recurrence of one batch row never looks at another row, so threads split the batch and
// each runs the whole sequence on its rows: no synchronisation inside the time loop (a barrier
// per step would cost a scheduler time slice whenever the machine is shared). f(b0, b1).
template <class F>
void split_batch(int64_t B, const F& f) {
  parallel_for(B, 12, f);  // at least ~12 rows (two micro-kernel row tiles) per thread
}

template <class T>
void forward_direction(const RnnLayer& L, int64_t d, const Tensor& x, const std::vector<Tensor>& w,
                       const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,
                       std::vector<Tensor>& ws) {
  const RnnSteps& s = L.s;
  const RnnMode mode = L.mode;
  const int64_t H = L.H, I = L.I, GH = L.G() * H, DH = L.D * H, B = s.B;
  const bool reverse = d == 1;
  // a missing bias reads as zeros (no branch in the pointwise loops)
  Tensor zeros = Tensor::empty({GH}, x.dtype, x.device());
  std::fill(zeros.data<T>(), zeros.data<T>() + GH, T(0));
  const T* b_ih = w[4 * d + 2].defined() ? w[4 * d + 2].data<T>() : zeros.data<T>();
  const T* b_hh = w[4 * d + 3].defined() ? w[4 * d + 3].data<T>() : zeros.data<T>();
  T* G = ws[3 * d].data<T>();
  T* E = ws[3 * d + 1].defined() ? ws[3 * d + 1].data<T>() : nullptr;
  T* HP = ws[3 * d + 2].data<T>();
  T* Y = y.data<T>();
  T* h = hn.data<T>() + d * B * H;  // the carried state lives in hn / cn
  T* c = mode == RnnMode::Lstm ? cn.data<T>() + d * B * H : nullptr;
  std::memcpy(h, h0.data<T>() + d * B * H, sizeof(T) * B * H);
  if (c) std::memcpy(c, c0.data<T>() + d * B * H, sizeof(T) * B * H);

  // Gx = X W_ih^T for every step at once (threaded GEMM)
  gemm<T>(false, true, s.R, GH, I, T(1), x.data<T>(), I, w[4 * d].data<T>(), I, T(0), G, GH);
  // Gh_t = h W_hh^T: op(W) = W_hh^T is (H, GH)
  const PackedWeight<T> whh(true, w[4 * d + 1].data<T>(), H, H, GH);

  split_batch(B, [&](int64_t b0, int64_t b1) {
    const int64_t nb = b1 - b0;
    Tensor scratch = Tensor::empty({nb * GH + whh.work_size(nb)}, x.dtype, x.device());
    T* Gh = scratch.data<T>();
    T* work = Gh + nb * GH;
    for (int64_t k = 0; k < s.T; ++k) {
      const int64_t t = reverse ? s.T - 1 - k : k;
      const int64_t n = std::min(s.bs[t], b1) - b0;  // this thread's rows still running
      if (n <= 0) continue;
      whh.gemm(n, h + b0 * H, H, T(0), Gh, GH, work);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t b = b0 + i, r = s.row(t, b);
        fwd_row<T>(mode, H,
                   RnnFwdRow<T>{G + r * GH, Gh + i * GH, b_ih, b_hh, h + b * H, c ? c + b * H : nullptr,
                                HP + r * H, E ? E + r * H : nullptr, Y + r * DH + d * H});
      }
    }
  });
}

template <class T>
void backward_direction(const RnnLayer& L, int64_t d, const Tensor& x, const std::vector<Tensor>& w,
                        const Tensor& c0, const std::vector<Tensor>& ws, const Tensor& dy,
                        const Tensor& dhn, const Tensor& dcn, Tensor& dx, Tensor& dh0, Tensor& dc0,
                        std::vector<Tensor>& dw) {
  const RnnSteps& s = L.s;
  const RnnMode mode = L.mode;
  const int64_t H = L.H, I = L.I, GH = L.G() * H, DH = L.D * H, B = s.B, R = s.R;
  const bool reverse = d == 1;
  const T* X = x.data<T>();
  const T* w_ih = w[4 * d].data<T>();
  const T* G = ws[3 * d].data<T>();
  const T* E = ws[3 * d + 1].defined() ? ws[3 * d + 1].data<T>() : nullptr;
  const T* HP = ws[3 * d + 2].data<T>();
  const T* dY = dy.data_or_null<T>();
  const T* C0 = mode == RnnMode::Lstm ? c0.data<T>() + d * B * H : nullptr;
  Tensor zeros = Tensor::empty({H}, x.dtype, x.device());  // the output gradient when there is none
  std::fill(zeros.data<T>(), zeros.data<T>() + H, T(0));

  Tensor dgx_t = Tensor::empty({R, GH}, x.dtype, x.device());
  Tensor dgh_t = mode == RnnMode::Gru ? Tensor::empty({R, GH}, x.dtype, x.device()) : dgx_t;
  T* dGx = dgx_t.data<T>();
  T* dGh = dgh_t.data<T>();
  T* dh = dh0.data<T>() + d * B * H;  // carried gradients live in dh0 / dc0
  T* dc = mode == RnnMode::Lstm ? dc0.data<T>() + d * B * H : nullptr;
  if (dhn.defined())
    std::memcpy(dh, dhn.data<T>() + d * B * H, sizeof(T) * B * H);
  else
    std::fill(dh, dh + B * H, T(0));
  if (dc) {
    if (dcn.defined())
      std::memcpy(dc, dcn.data<T>() + d * B * H, sizeof(T) * B * H);
    else
      std::fill(dc, dc + B * H, T(0));
  }
  // dh_prev = dGh_t W_hh: op(W) = W_hh is (GH, H)
  const PackedWeight<T> whh(false, w[4 * d + 1].data<T>(), H, GH, H);
  const T beta = mode == RnnMode::Gru ? T(1) : T(0);  // the GRU adds to its direct part dh z

  split_batch(B, [&](int64_t b0, int64_t b1) {
    Tensor scratch = Tensor::empty({whh.work_size(b1 - b0)}, x.dtype, x.device());
    T* work = scratch.data<T>();
    for (int64_t k = 0; k < s.T; ++k) {
      const int64_t t = reverse ? k : s.T - 1 - k;
      const int64_t n = std::min(s.bs[t], b1) - b0;
      if (n <= 0) continue;
      const int64_t tp = s.prev_step(t, reverse);
      const int64_t np = tp < 0 ? 0 : s.bs[tp];  // rows that had a previous step
      for (int64_t i = 0; i < n; ++i) {
        const int64_t b = b0 + i, r = s.row(t, b);
        const T* cp = nullptr;
        if (C0) cp = b < np ? E + s.row(tp, b) * H : C0 + b * H;
        bwd_row<T>(mode, H,
                   RnnBwdRow<T>{G + r * GH, E ? E + r * H : nullptr, HP + r * H, cp,
                                dY ? dY + r * DH + d * H : zeros.data<T>(), dh + b * H, dc ? dc + b * H : nullptr,
                                dGx + r * GH, dGh + r * GH});
      }
      whh.gemm(n, dGh + s.row(t, b0) * GH, s.row_b * GH, beta, dh + b0 * H, H, work);
    }
  });

  if (dw[4 * d].defined()) weight_grad(X, I, dGx, R, GH, dw[4 * d].data<T>());
  if (dw[4 * d + 1].defined()) weight_grad(HP, H, dGh, R, GH, dw[4 * d + 1].data<T>());
  if (dw[4 * d + 2].defined()) column_sums(dGx, R, GH, dw[4 * d + 2].data<T>());
  if (dw[4 * d + 3].defined()) column_sums(dGh, R, GH, dw[4 * d + 3].data<T>());
  if (dx.defined())
    gemm<T>(false, false, R, I, GH, T(1), dGx, GH, w_ih, I, d > 0 ? T(1) : T(0), dx.data<T>(), I);
}

}  // namespace

void rnn_layer_forward(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                           const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,
                           std::vector<Tensor>& ws) {
  KERNELS_DISPATCH_FLOAT(x.dtype, rnn_mode_name(L.mode), [&] {
    for (int64_t d = 0; d < L.D; ++d) forward_direction<scalar_t>(L, d, x, w, h0, c0, y, hn, cn, ws);
  });
}

void rnn_layer_backward(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                            const Tensor& c0, const std::vector<Tensor>& ws, const Tensor& dy,
                            const Tensor& dhn, const Tensor& dcn, Tensor& dx, Tensor& dh0,
                            Tensor& dc0, std::vector<Tensor>& dw) {
  KERNELS_DISPATCH_FLOAT(x.dtype, rnn_mode_name(L.mode), [&] {
    for (int64_t d = 0; d < L.D; ++d)
      backward_direction<scalar_t>(L, d, x, w, c0, ws, dy, dhn, dcn, dx, dh0, dc0, dw);
  });
}

}  // namespace kernels::cpu
