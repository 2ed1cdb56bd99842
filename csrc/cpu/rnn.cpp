// Recurrent layers on the CPU (shapes in rnn.h, pointwise maths in csrc/common/rnn_math.h).
//
// Forward, per direction:
//   Gx = X W_ih^T                     one GEMM over all R rows (every step at once)
//   for each step t (T-1..0 when reversed), with n = bs[t] rows still running:
//     Gh = h[0:n] W_hh^T              GEMM (n, G*H) on the running rows
//     one fused pointwise pass        gates, c and h; activations saved over Gx in place
// Backward, per direction, walking the steps in the opposite order:
//     one fused pointwise pass        dGx, dGh from dy + the carried dh (and dc)
//     dh[0:n] = dGh_t W_hh            GEMM (+ the direct part dh z for the GRU)
//   then once over all rows:  dW_ih = dGx^T X,  dW_hh = dGh^T Hprev,  db = column sums,
//   dX (+)= dGx W_ih.
// Rows of a step are b * row_b apart, so a step's block of Gh / dGh is one strided GEMM operand.
#include "rnn.h"

#include <algorithm>
#include <cstring>

#include "../common/dispatch.h"
#include "matmul.h"
#include "parallel.h"

namespace kernels {

RnnSteps RnnSteps::dense(int64_t T, int64_t B, bool batch_first) {
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

RnnSteps RnnSteps::packed(const std::vector<int64_t>& batch_sizes) {
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

namespace {

// Rows per parallel chunk of a pointwise pass: ~4k units, the cost of a fork/join.
int64_t row_grain(int64_t H) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(H, 1)); }

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// dst[c] = sum_r src[r * ld + c] over rows, columns split over threads.
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

template <class T>
void forward_direction(const RnnLayer& L, int64_t d, const Tensor& x, const std::vector<Tensor>& w,
                       const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,
                       std::vector<Tensor>& ws) {
  const RnnSteps& s = L.s;
  const RnnMode mode = L.mode;
  const int64_t H = L.H, I = L.I, GH = L.G() * H, DH = L.D * H, B = s.B;
  const bool reverse = d == 1;
  const T* X = x.data<T>();
  const T* w_ih = w[4 * d].data<T>();
  const T* w_hh = w[4 * d + 1].data<T>();
  const T* b_ih = ptr_or_null<T>(w[4 * d + 2]);
  const T* b_hh = ptr_or_null<T>(w[4 * d + 3]);
  T* G = ws[3 * d].data<T>();
  T* E = ws[3 * d + 1].defined() ? ws[3 * d + 1].data<T>() : nullptr;
  T* HP = ws[3 * d + 2].data<T>();
  T* Y = y.data<T>();
  T* h = hn.data<T>() + d * B * H;  // the carried state lives in hn / cn
  T* c = mode == RnnMode::Lstm ? cn.data<T>() + d * B * H : nullptr;
  std::memcpy(h, h0.data<T>() + d * B * H, sizeof(T) * B * H);
  if (c) std::memcpy(c, c0.data<T>() + d * B * H, sizeof(T) * B * H);

  gemm_cpu<T>(false, true, s.R, GH, I, T(1), X, I, w_ih, I, T(0), G, GH);
  Tensor gh_t = Tensor::empty({B, GH}, x.dtype, x.device());
  T* Gh = gh_t.data<T>();

  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = reverse ? s.T - 1 - k : k;
    const int64_t n = s.bs[t];
    if (n <= 0) continue;
    gemm_cpu<T>(false, true, n, GH, H, T(1), h, H, w_hh, H, T(0), Gh, GH);
    parallel_for(n, row_grain(H), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t r = s.row(t, b);
        T* g = G + r * GH;
        const T* gh = Gh + b * GH;
        T* hb = h + b * H;
        T* hp = HP + r * H;
        T* yr = Y + r * DH + d * H;
        std::memcpy(hp, hb, sizeof(T) * H);
        switch (mode) {
          case RnnMode::RnnTanh:
            for (int64_t j = 0; j < H; ++j) yr[j] = hb[j] = rnn::rnn_fwd<T, false>(g, gh, b_ih, b_hh, j);
            break;
          case RnnMode::RnnRelu:
            for (int64_t j = 0; j < H; ++j) yr[j] = hb[j] = rnn::rnn_fwd<T, true>(g, gh, b_ih, b_hh, j);
            break;
          case RnnMode::Lstm: {
            T* cb = c + b * H;
            T* e = E + r * H;
            for (int64_t j = 0; j < H; ++j) {
              yr[j] = hb[j] = rnn::lstm_fwd<T>(g, gh, b_ih, b_hh, H, j, cb[j], cb[j]);
              e[j] = cb[j];
            }
            break;
          }
          case RnnMode::Gru: {
            T* e = E + r * H;
            for (int64_t j = 0; j < H; ++j) yr[j] = hb[j] = rnn::gru_fwd<T>(g, gh, b_ih, b_hh, H, j, hp[j], e[j]);
            break;
          }
        }
      }
    });
  }
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
  const T* w_hh = w[4 * d + 1].data<T>();
  const T* G = ws[3 * d].data<T>();
  const T* E = ws[3 * d + 1].defined() ? ws[3 * d + 1].data<T>() : nullptr;
  const T* HP = ws[3 * d + 2].data<T>();
  const T* dY = ptr_or_null<T>(dy);
  const T* C0 = mode == RnnMode::Lstm ? c0.data<T>() + d * B * H : nullptr;

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

  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = reverse ? k : s.T - 1 - k;
    const int64_t n = s.bs[t];
    if (n <= 0) continue;
    const int64_t tp = s.prev_step(t, reverse);
    const int64_t np = tp < 0 ? 0 : s.bs[tp];
    parallel_for(n, row_grain(H), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t r = s.row(t, b);
        const T* g = G + r * GH;
        T* db = dh + b * H;
        const T* dyr = dY ? dY + r * DH + d * H : nullptr;
        switch (mode) {
          case RnnMode::RnnTanh:
          case RnnMode::RnnRelu:
            for (int64_t j = 0; j < H; ++j) {
              const T dhj = db[j] + (dyr ? dyr[j] : T(0));
              if (mode == RnnMode::RnnTanh)
                rnn::rnn_bwd<T, false>(g, dhj, j, dGx + r * GH);
              else
                rnn::rnn_bwd<T, true>(g, dhj, j, dGx + r * GH);
            }
            break;
          case RnnMode::Lstm: {
            const T* e = E + r * H;
            const T* cp = b < np ? E + s.row(tp, b) * H : C0 + b * H;
            T* dcb = dc + b * H;
            for (int64_t j = 0; j < H; ++j) {
              const T dhj = db[j] + (dyr ? dyr[j] : T(0));
              dcb[j] = rnn::lstm_bwd<T>(g, e[j], cp[j], dhj, dcb[j], H, j, dGx + r * GH);
            }
            break;
          }
          case RnnMode::Gru: {
            const T* e = E + r * H;
            const T* hp = HP + r * H;
            for (int64_t j = 0; j < H; ++j) {
              const T dhj = db[j] + (dyr ? dyr[j] : T(0));
              db[j] = rnn::gru_bwd<T>(g, e[j], hp[j], dhj, H, j, dGx + r * GH, dGh + r * GH);
            }
            break;
          }
        }
      }
    });
    // dh[0:n] (+)= dGh rows of step t @ W_hh
    const T beta = mode == RnnMode::Gru ? T(1) : T(0);
    gemm_cpu<T>(false, false, n, H, GH, T(1), dGh + s.row(t, 0) * GH, s.row_b * GH, w_hh, H, beta,
                dh, H);
  }

  if (dw[4 * d].defined()) gemm_cpu<T>(true, false, GH, I, R, T(1), dGx, GH, X, I, T(0), dw[4 * d].data<T>(), I);
  if (dw[4 * d + 1].defined())
    gemm_cpu<T>(true, false, GH, H, R, T(1), dGh, GH, HP, H, T(0), dw[4 * d + 1].data<T>(), H);
  if (dw[4 * d + 2].defined()) column_sums(dGx, R, GH, dw[4 * d + 2].data<T>());
  if (dw[4 * d + 3].defined()) column_sums(dGh, R, GH, dw[4 * d + 3].data<T>());
  if (dx.defined())
    gemm_cpu<T>(false, false, R, I, GH, T(1), dGx, GH, w_ih, I, d > 0 ? T(1) : T(0), dx.data<T>(), I);
}

}  // namespace

void rnn_layer_forward_cpu(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                           const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,
                           std::vector<Tensor>& ws) {
  KERNELS_DISPATCH_FLOAT(x.dtype, rnn_mode_name(L.mode), [&] {
    for (int64_t d = 0; d < L.D; ++d) forward_direction<scalar_t>(L, d, x, w, h0, c0, y, hn, cn, ws);
  });
}

void rnn_layer_backward_cpu(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                            const Tensor& c0, const std::vector<Tensor>& ws, const Tensor& dy,
                            const Tensor& dhn, const Tensor& dcn, Tensor& dx, Tensor& dh0,
                            Tensor& dc0, std::vector<Tensor>& dw) {
  KERNELS_DISPATCH_FLOAT(x.dtype, rnn_mode_name(L.mode), [&] {
    for (int64_t d = 0; d < L.D; ++d)
      backward_direction<scalar_t>(L, d, x, w, c0, ws, dy, dhn, dcn, dx, dh0, dc0, dw);
  });
}

}  // namespace kernels
