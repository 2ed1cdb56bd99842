// Recurrent layers on CUDA: the same schedule as csrc/cpu/rnn.cpp (shapes in csrc/contracts/rnn.h,
// pointwise maths in csrc/common/rnn_math.h). Per direction: one GEMM for the input projection
// of every step, then per step a hidden GEMM (plain_gemm) and one fused pointwise kernel (one
// thread per (batch row, hidden unit)); backward walks the steps back with one fused pointwise
// kernel and one GEMM each, then the weight gradients as one GEMM each over all rows and the
// bias gradients as column sums. The step loop runs on the host; everything is queued on the
// default stream, so nothing synchronises inside the loop.
#include <type_traits>

#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "gemm.cuh"
#include "../contracts/rnn.h"

namespace kernels::cuda {

namespace {

template <class T>
struct FwdStep {
  T* G;          // (R, GH): projections in, activations out
  const T* Gh;   // (n, GH) hidden projections of this step
  const T* bih;  // (GH), zeros when the layer has no bias
  const T* bhh;
  T* h;          // (B, H) carried state
  T* c;          // (B, H) carried cell state (lstm)
  T* E;          // (R, H) extra saved value (lstm c, gru hn)
  T* HP;         // (R, H) state each row started from
  T* Y;          // (R, DH)
  int64_t row0, row_b, n, H, GH, DH, ycol;
};

template <class T, RnnMode M>
__global__ void fwd_step_kernel(FwdStep<T> a) {
  CUDA_KERNEL_LOOP(i, a.n * a.H) {
    const int64_t b = i / a.H, j = i % a.H;
    const int64_t r = a.row0 + b * a.row_b;
    T* g = a.G + r * a.GH;
    const T* gh = a.Gh + b * a.GH;
    const T hp = a.h[i];
    a.HP[r * a.H + j] = hp;
    T h;
    if constexpr (M == RnnMode::RnnTanh) {
      h = rnn::rnn_fwd<T, false>(g, gh, a.bih, a.bhh, j);
    } else if constexpr (M == RnnMode::RnnRelu) {
      h = rnn::rnn_fwd<T, true>(g, gh, a.bih, a.bhh, j);
    } else if constexpr (M == RnnMode::Lstm) {
      T c;
      h = rnn::lstm_fwd<T>(g, gh, a.bih, a.bhh, a.H, j, a.c[i], c);
      a.c[i] = c;
      a.E[r * a.H + j] = c;
    } else {
      h = rnn::gru_fwd<T>(g, gh, a.bih, a.bhh, a.H, j, hp, a.E[r * a.H + j]);
    }
    a.h[i] = h;
    a.Y[r * a.DH + a.ycol + j] = h;
  }
}

template <class T>
struct BwdStep {
  const T* G;   // (R, GH) saved activations
  const T* E;   // (R, H) saved c (lstm) / hn (gru)
  const T* HP;  // (R, H)
  const T* dY;  // (R, DH) or null
  const T* C0;  // (B, H) initial cell state (lstm)
  T* dh;        // (B, H) carried dh
  T* dc;        // (B, H) carried dc (lstm)
  T* dGx;       // (R, GH)
  T* dGh;       // (R, GH) (the same as dGx except for the gru)
  int64_t row0, row_b, n, prow0, pn, H, GH, DH, ycol;
};

template <class T, RnnMode M>
__global__ void bwd_step_kernel(BwdStep<T> a) {
  CUDA_KERNEL_LOOP(i, a.n * a.H) {
    const int64_t b = i / a.H, j = i % a.H;
    const int64_t r = a.row0 + b * a.row_b;
    const T* g = a.G + r * a.GH;
    const T dh = a.dh[i] + (a.dY ? a.dY[r * a.DH + a.ycol + j] : T(0));
    if constexpr (M == RnnMode::RnnTanh) {
      rnn::rnn_bwd<T, false>(g, dh, j, a.dGx + r * a.GH);
    } else if constexpr (M == RnnMode::RnnRelu) {
      rnn::rnn_bwd<T, true>(g, dh, j, a.dGx + r * a.GH);
    } else if constexpr (M == RnnMode::Lstm) {
      const T cp = b < a.pn ? a.E[(a.prow0 + b * a.row_b) * a.H + j] : a.C0[i];
      a.dc[i] = rnn::lstm_bwd<T>(g, a.E[r * a.H + j], cp, dh, a.dc[i], a.H, j, a.dGx + r * a.GH);
    } else {
      a.dh[i] = rnn::gru_bwd<T>(g, a.E[r * a.H + j], a.HP[r * a.H + j], dh, a.H, j, a.dGx + r * a.GH,
                                a.dGh + r * a.GH);
    }
  }
}

// dst[c] = sum_r src[r * cols + c]; consecutive threads on consecutive columns.
template <class T>
__global__ void column_sums_kernel(const T* src, int64_t rows, int64_t cols, T* dst) {
  CUDA_KERNEL_LOOP(c, cols) {
    T acc = T(0);
    for (int64_t r = 0; r < rows; ++r) acc += src[r * cols + c];
    dst[c] = acc;
  }
}

// C (M,N) = alpha op(A) op(B) + beta C, plain row-major.
template <class T>
void plain_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
                int64_t ldb, double beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  cuda::gemm<T>(GemmSpec::plain(ta, tb, M, N, K, lda, ldb, ldc, beta), A, B, C);
}

template <class T>
void copy_or_zero(T* dst, const Tensor& src, int64_t offset, int64_t n) {
  if (n <= 0) return;
  if (src.defined())
    CUDA_CHECK(cudaMemcpyAsync(dst, src.data<T>() + offset, sizeof(T) * n, cudaMemcpyDeviceToDevice));
  else
    CUDA_CHECK(cudaMemsetAsync(dst, 0, sizeof(T) * n));
}

template <class T, RnnMode M>
void forward_direction(const RnnLayer& L, int64_t d, const Tensor& x, const std::vector<Tensor>& w,
                       const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,
                       std::vector<Tensor>& ws) {
  const RnnSteps& s = L.s;
  const int64_t H = L.H, I = L.I, GH = L.G() * H, B = s.B;
  const bool reverse = d == 1;
  FwdStep<T> a;
  a.G = ws[3 * d].data<T>();
  Tensor zeros = Tensor::empty({GH}, x.dtype, x.device());
  CUDA_CHECK(cudaMemsetAsync(zeros.raw_data(), 0, zeros.nbytes()));
  a.bih = w[4 * d + 2].defined() ? w[4 * d + 2].data<T>() : zeros.data<T>();
  a.bhh = w[4 * d + 3].defined() ? w[4 * d + 3].data<T>() : zeros.data<T>();
  a.h = hn.data<T>() + d * B * H;
  a.c = M == RnnMode::Lstm ? cn.data<T>() + d * B * H : nullptr;
  a.E = ws[3 * d + 1].defined() ? ws[3 * d + 1].data<T>() : nullptr;
  a.HP = ws[3 * d + 2].data<T>();
  a.Y = y.data<T>();
  a.row_b = s.row_b;
  a.H = H;
  a.GH = GH;
  a.DH = L.D * H;
  a.ycol = d * H;
  copy_or_zero(a.h, h0, d * B * H, B * H);
  if (a.c) copy_or_zero(a.c, c0, d * B * H, B * H);
  const T* w_hh = w[4 * d + 1].data<T>();
  plain_gemm<T>(false, true, s.R, GH, I, x.data<T>(), I, w[4 * d].data<T>(), I, 0.0, a.G, GH);
  Tensor gh = Tensor::empty({B, GH}, x.dtype, x.device());
  a.Gh = gh.data<T>();
  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = reverse ? s.T - 1 - k : k;
    a.n = s.bs[t];
    if (a.n <= 0) continue;
    a.row0 = s.row_t[t];
    plain_gemm<T>(false, true, a.n, GH, H, a.h, H, w_hh, H, 0.0, gh.data<T>(), GH);
    fwd_step_kernel<T, M><<<cuda::grid_for(a.n * H), cuda::kBlock>>>(a);
    cuda::check_launch(rnn_mode_name(M));
  }
}

template <class T, RnnMode M>
void backward_direction(const RnnLayer& L, int64_t d, const Tensor& x, const std::vector<Tensor>& w,
                        const Tensor& c0, const std::vector<Tensor>& ws, const Tensor& dy,
                        const Tensor& dhn, const Tensor& dcn, Tensor& dx, Tensor& dh0, Tensor& dc0,
                        std::vector<Tensor>& dw) {
  const RnnSteps& s = L.s;
  const int64_t H = L.H, I = L.I, GH = L.G() * H, B = s.B, R = s.R;
  const bool reverse = d == 1;
  const char* op = rnn_mode_name(M);
  Tensor dgx = Tensor::empty({R, GH}, x.dtype, x.device());
  Tensor dgh = M == RnnMode::Gru ? Tensor::empty({R, GH}, x.dtype, x.device()) : dgx;
  BwdStep<T> a;
  a.G = ws[3 * d].data<T>();
  a.E = ws[3 * d + 1].defined() ? ws[3 * d + 1].data<T>() : nullptr;
  a.HP = ws[3 * d + 2].data<T>();
  a.dY = dy.data_or_null<T>();
  a.C0 = M == RnnMode::Lstm ? c0.data<T>() + d * B * H : nullptr;
  a.dh = dh0.data<T>() + d * B * H;
  a.dc = M == RnnMode::Lstm ? dc0.data<T>() + d * B * H : nullptr;
  a.dGx = dgx.data<T>();
  a.dGh = dgh.data<T>();
  a.row_b = s.row_b;
  a.H = H;
  a.GH = GH;
  a.DH = L.D * H;
  a.ycol = d * H;
  copy_or_zero(a.dh, dhn, d * B * H, B * H);
  if (a.dc) copy_or_zero(a.dc, dcn, d * B * H, B * H);
  const T* w_hh = w[4 * d + 1].data<T>();
  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = reverse ? k : s.T - 1 - k;
    a.n = s.bs[t];
    if (a.n <= 0) continue;
    const int64_t tp = s.prev_step(t, reverse);
    a.row0 = s.row_t[t];
    a.prow0 = tp < 0 ? 0 : s.row_t[tp];
    a.pn = tp < 0 ? 0 : s.bs[tp];
    bwd_step_kernel<T, M><<<cuda::grid_for(a.n * H), cuda::kBlock>>>(a);
    cuda::check_launch(op);
    // dh[0:n] (+)= dGh rows of step t @ W_hh
    plain_gemm<T>(false, false, a.n, H, GH, a.dGh + a.row0 * GH, s.row_b * GH, w_hh, H,
            M == RnnMode::Gru ? 1.0 : 0.0, a.dh, H);
  }
  if (dw[4 * d].defined()) plain_gemm<T>(true, false, GH, I, R, a.dGx, GH, x.data<T>(), I, 0.0, dw[4 * d].data<T>(), I);
  if (dw[4 * d + 1].defined()) plain_gemm<T>(true, false, GH, H, R, a.dGh, GH, a.HP, H, 0.0, dw[4 * d + 1].data<T>(), H);
  for (int k = 2; k < 4; ++k) {
    if (!dw[4 * d + k].defined()) continue;
    column_sums_kernel<<<cuda::grid_for(GH), cuda::kBlock>>>(k == 2 ? a.dGx : a.dGh, R, GH,
                                                             dw[4 * d + k].data<T>());
    cuda::check_launch(op);
  }
  if (dx.defined())
    plain_gemm<T>(false, false, R, I, GH, a.dGx, GH, w[4 * d].data<T>(), I, d > 0 ? 1.0 : 0.0, dx.data<T>(), I);
}

// Calls f.template operator()<RnnMode>() for the layer's mode.
template <class F>
void by_mode(RnnMode m, const F& f) {
  switch (m) {
    case RnnMode::RnnTanh: f(std::integral_constant<RnnMode, RnnMode::RnnTanh>()); break;
    case RnnMode::RnnRelu: f(std::integral_constant<RnnMode, RnnMode::RnnRelu>()); break;
    case RnnMode::Lstm: f(std::integral_constant<RnnMode, RnnMode::Lstm>()); break;
    case RnnMode::Gru: f(std::integral_constant<RnnMode, RnnMode::Gru>()); break;
  }
}

}  // namespace

void rnn_layer_forward(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                            const Tensor& h0, const Tensor& c0, Tensor& y, Tensor& hn, Tensor& cn,
                            std::vector<Tensor>& ws) {
  KERNELS_DISPATCH_FLOAT(x.dtype, rnn_mode_name(L.mode), [&] {
    by_mode(L.mode, [&](auto mode) {
      for (int64_t d = 0; d < L.D; ++d)
        forward_direction<scalar_t, decltype(mode)::value>(L, d, x, w, h0, c0, y, hn, cn, ws);
    });
  });
}

void rnn_layer_backward(const RnnLayer& L, const Tensor& x, const std::vector<Tensor>& w,
                             const Tensor& c0, const std::vector<Tensor>& ws, const Tensor& dy,
                             const Tensor& dhn, const Tensor& dcn, Tensor& dx, Tensor& dh0,
                             Tensor& dc0, std::vector<Tensor>& dw) {
  KERNELS_DISPATCH_FLOAT(x.dtype, rnn_mode_name(L.mode), [&] {
    by_mode(L.mode, [&](auto mode) {
      for (int64_t d = 0; d < L.D; ++d)
        backward_direction<scalar_t, decltype(mode)::value>(L, d, x, w, c0, ws, dy, dhn, dcn, dx, dh0, dc0, dw);
    });
  });
}

}  // namespace kernels::cuda
