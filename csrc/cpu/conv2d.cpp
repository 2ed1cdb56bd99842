// Convolution on the CPU: im2col + the project's GEMM (gemm, csrc/cpu/gemm.h), and the dispatch to
// the other paths. Which path runs each direction is decided by plan_conv2d (conv2d_plan.h).
//
// x (N, C, H, W), w (O, Cg, kH, kW), y (N, O, OH, OW); G groups, Cg = C/G, Og = O/G,
// Kg = Cg*kH*kW, P = OH*OW. For image n and group g the column matrix col (Kg, P) is
//   col[(c*kH + i)*kW + j, oh*OW + ow] = x[n, g*Cg + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
// (0 where that falls in the padding), and with Wg = w[g*Og : (g+1)*Og] viewed as (Og, Kg):
//   y[n, g]   = Wg @ col + bias                 (Og, P)
//   dWg      += dy[n, g] @ col^T                 (Og, Kg), summed over images
//   dcol      = Wg^T @ dy[n, g]                  (Kg, P);  dx[n, g] = col2im(dcol), the adjoint
//                                                 of im2col (each entry added back where it came from)
//   dbias[o]  = sum over n, p of dy[n, o, p]
// conv_transpose2d(input, w) is exactly dx of that conv with dy = input, plus a bias per channel
// of x; its input-gradient is conv2d(dout, w) and its weight-gradient the conv's dW with
// (dy, x) = (input, dout).
//
// Threads: chunks of images are shared out between the threads, each running im2col and
// single-threaded GEMMs (gemm inside a parallel region does not thread) on its own
// workspace; dW is summed from per-chunk partials in a fixed order (ConvWalk). The per-image
// GEMMs are small, and a threaded GEMM repacks its shared operand per thread, so splitting images
// beats threading each GEMM; with fewer images than threads, images run in turn and the GEMM and
// im2col/col2im thread themselves. Small outputs (P < 128) put several images in one GEMM,
// their columns side by side in a (Kg, nb*P) matrix, so the GEMM stays wide enough to run well.
// A 1x1, stride-1, unpadded conv uses x itself as the column matrix, and a kernel covering the
// whole unpadded input (LeNet's 5x5 -> 1x1) is a linear layer: one GEMM for the whole batch.
// The other paths (conv2d_plan.h lists them and when each applies): dense (one GEMM for the batch
// when the kernel covers the whole input), the implicit GEMMs of conv2d_packed.cpp, and the
// direct AVX2 kernels of conv2d_small_avx2.cpp and conv2d_direct_avx2.cpp.
#include "../contracts/conv2d.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "../common/dispatch.h"
#include "conv2d_direct.h"
#include "conv2d_plan.h"
#include "conv2d_packed.h"
#include "conv2d_small.h"
#include "gemm.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

// Host scratch freed at scope exit.
struct Scratch {
  void* p = nullptr;
  explicit Scratch(size_t bytes) : p(bytes ? host_alloc(bytes) : nullptr) {}
  ~Scratch() { host_free(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

template <class T>
void dense_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t Og = g.Og(), Kg = g.Kg(), ldx = g.C * g.HW();
  T beta = T(0);
  if (bias) {
    for (int64_t n = 0; n < g.N; ++n) std::memcpy(y + n * g.O, bias, static_cast<size_t>(g.O) * sizeof(T));
    beta = T(1);
  }
  for (int64_t gi = 0; gi < g.G; ++gi)  // y[:, g] (N, Og) = x[:, g] (N, Kg) @ Wg^T
    gemm<T>(false, true, g.N, Og, Kg, T(1), x + gi * Kg, ldx, w + gi * Og * Kg, Kg, beta,
                y + gi * Og, g.O);
}

template <class T>
void dense_backward(const ConvGeom& g, const T* dy, const T* x, const T* w, T* dx, T* dw) {
  const int64_t Og = g.Og(), Kg = g.Kg(), ldx = g.C * g.HW();
  for (int64_t gi = 0; gi < g.G; ++gi) {
    if (dw)  // dWg (Og, Kg) = dy[:, g]^T (Og, N) @ x[:, g] (N, Kg)
      gemm<T>(true, false, Og, Kg, g.N, T(1), dy + gi * Og, g.O, x + gi * Kg, ldx, T(0),
                  dw + gi * Og * Kg, Kg);
    if (dx)  // dx[:, g] (N, Kg) = dy[:, g] (N, Og) @ Wg (Og, Kg)
      gemm<T>(false, false, g.N, Kg, Og, T(1), dy + gi * Og, g.O, w + gi * Og * Kg, Kg, T(0),
                  dx + gi * Kg, ldx);
  }
}

// Output columns [lo, hi) whose input column iw = ow*s + x0 lies in [0, W).
inline void valid_range(int64_t x0, int64_t s, int64_t W, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = x0 >= 0 ? 0 : std::min(OW, (-x0 + s - 1) / s);
  hi = W - 1 - x0 < 0 ? 0 : std::min(OW, (W - 1 - x0) / s + 1);
  hi = std::max(hi, lo);
}

// Rows [r0, r1) of one image-group's column matrix. x is (Cg, H, W); col rows have stride ldc.
template <class T>
void im2col_rows(const ConvGeom& g, const T* x, T* col, int64_t ldc, int64_t r0, int64_t r1) {
  const int64_t kk = g.kH * g.kW;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / kk, i = r % kk / g.kW, j = r % g.kW;
    const T* xc = x + c * g.HW();
    T* dst = col + r * ldc;
    const int64_t x0 = j * g.dw - g.pw;
    int64_t lo, hi;
    valid_range(x0, g.sw, g.W, g.OW, lo, hi);
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t ih = oh * g.sh - g.ph + i * g.dh;
      T* d = dst + oh * g.OW;
      if (ih < 0 || ih >= g.H) {
        std::fill(d, d + g.OW, T(0));
        continue;
      }
      const T* xr = xc + ih * g.W;
      std::fill(d, d + lo, T(0));
      if (g.sw == 1) {
        if (hi > lo) std::memcpy(d + lo, xr + lo + x0, static_cast<size_t>(hi - lo) * sizeof(T));
      } else {
        for (int64_t ow = lo; ow < hi; ++ow) d[ow] = xr[ow * g.sw + x0];
      }
      std::fill(d + hi, d + g.OW, T(0));
    }
  }
}

// dx channels [c0, c1) of one image-group (dx is (Cg, H, W)) from its column matrix: zero, then
// add every column entry back at the input position it was read from.
template <class T>
void col2im_channels(const ConvGeom& g, const T* col, int64_t ldc, T* dx, int64_t c0, int64_t c1) {
  for (int64_t c = c0; c < c1; ++c) {
    T* dxc = dx + c * g.HW();
    std::fill(dxc, dxc + g.HW(), T(0));
    for (int64_t i = 0; i < g.kH; ++i) {
      for (int64_t j = 0; j < g.kW; ++j) {
        const T* src = col + ((c * g.kH + i) * g.kW + j) * ldc;
        const int64_t x0 = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_range(x0, g.sw, g.W, g.OW, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          T* xr = dxc + ih * g.W + x0;  // xr[ow*sw] is the input column of output column ow
          const T* s = src + oh * g.OW;
          if (g.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) xr[ow] += s[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) xr[ow * g.sw] += s[ow];
          }
        }
      }
    }
  }
}

// The column matrix (Kg, nb*P) of images n0..n0+nb-1, group gi; threaded over rows when `inner`.
template <class T>
void build_columns(const ConvGeom& g, const T* x, int64_t n0, int64_t nb, int64_t gi, T* col,
                   bool inner) {
  const int64_t P = g.P(), cols = nb * P, Kg = g.Kg();
  for (int64_t b = 0; b < nb; ++b) {
    const T* xb = x + ((n0 + b) * g.C + gi * g.Cg()) * g.HW();
    T* cb = col + b * P;
    if (inner)
      parallel_for(Kg, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(P, 1)),
                   [&](int64_t r0, int64_t r1) { im2col_rows(g, xb, cb, cols, r0, r1); });
    else
      im2col_rows(g, xb, cb, cols, 0, Kg);
  }
}

// Scatter-add a (Kg, nb*P) column matrix into dx of images n0..n0+nb-1, group gi.
template <class T>
void scatter_columns(const ConvGeom& g, const T* col, int64_t n0, int64_t nb, int64_t gi, T* dx,
                     bool inner) {
  const int64_t P = g.P(), cols = nb * P, Cg = g.Cg();
  for (int64_t b = 0; b < nb; ++b) {
    T* dxb = dx + ((n0 + b) * g.C + gi * Cg) * g.HW();
    const T* cb = col + b * P;
    if (inner)
      parallel_for(Cg, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(g.kH * g.kW * P, 1)),
                   [&](int64_t c0, int64_t c1) { col2im_channels(g, cb, cols, dxb, c0, c1); });
    else
      col2im_channels(g, cb, cols, dxb, 0, Cg);
  }
}

// y for images n0..n0+nb-1. col: Kg*nb*P scratch, tmp: Og*nb*P scratch (used when nb > 1).
template <class T>
void forward_block(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y, int64_t n0,
                   int64_t nb, T* col, T* tmp, bool inner) {
  const int64_t Og = g.Og(), Kg = g.Kg(), P = g.P(), cols = nb * P;
  for (int64_t gi = 0; gi < g.G; ++gi) {
    const T* wg = w + gi * Og * Kg;
    const T* cm = col;
    if (nb == 1 && g.pointwise())
      cm = x + (n0 * g.C + gi * g.Cg()) * g.HW();
    else
      build_columns(g, x, n0, nb, gi, col, inner);
    if (nb == 1) {
      T* yg = y + (n0 * g.O + gi * Og) * P;
      T beta = T(0);
      if (bias) {  // rows start as the bias and the GEMM accumulates onto them
        for (int64_t o = 0; o < Og; ++o) std::fill(yg + o * P, yg + (o + 1) * P, bias[gi * Og + o]);
        beta = T(1);
      }
      gemm<T>(false, false, Og, P, Kg, T(1), wg, Kg, cm, P, beta, yg, P);
    } else {
      gemm<T>(false, false, Og, cols, Kg, T(1), wg, Kg, cm, cols, T(0), tmp, cols);
      for (int64_t b = 0; b < nb; ++b)
        for (int64_t o = 0; o < Og; ++o) {
          const T bo = bias ? bias[gi * Og + o] : T(0);
          const T* s = tmp + o * cols + b * P;
          T* d = y + ((n0 + b) * g.O + gi * Og + o) * P;
          for (int64_t p = 0; p < P; ++p) d[p] = s[p] + bo;
        }
    }
  }
}

// For images n0..n0+nb-1: dw_acc += their dW (when dw_acc), dx = their input gradient (when dx).
template <class T>
void backward_block(const ConvGeom& g, const T* dy, const T* x, const T* w, T* dx, T* dw_acc,
                    int64_t n0, int64_t nb, T* col, T* tmp, bool inner) {
  const int64_t Og = g.Og(), Kg = g.Kg(), P = g.P(), cols = nb * P;
  const bool direct = nb == 1 && g.pointwise();
  for (int64_t gi = 0; gi < g.G; ++gi) {
    const T* wg = w + gi * Og * Kg;
    const T* dyg = dy + (n0 * g.O + gi * Og) * P;  // (Og, P) when nb == 1
    if (nb > 1) {  // gather the images' dy rows side by side: (Og, nb*P)
      for (int64_t o = 0; o < Og; ++o)
        for (int64_t b = 0; b < nb; ++b)
          std::memcpy(tmp + o * cols + b * P, dy + ((n0 + b) * g.O + gi * Og + o) * P,
                      static_cast<size_t>(P) * sizeof(T));
      dyg = tmp;
    }
    if (dw_acc) {
      const T* cm = col;
      if (direct)
        cm = x + (n0 * g.C + gi * g.Cg()) * g.HW();
      else
        build_columns(g, x, n0, nb, gi, col, inner);
      gemm<T>(false, true, Og, Kg, cols, T(1), dyg, cols, cm, cols, T(1), dw_acc + gi * Og * Kg,
                  Kg);
    }
    if (dx) {
      if (direct) {
        gemm<T>(true, false, Kg, P, Og, T(1), wg, Kg, dyg, P, T(0),
                    dx + (n0 * g.C + gi * g.Cg()) * g.HW(), P);
      } else {  // col is free again: dcol goes there
        gemm<T>(true, false, Kg, cols, Og, T(1), wg, Kg, dyg, cols, T(0), col, cols);
        scatter_columns(g, col, n0, nb, gi, dx, inner);
      }
    }
  }
}

// Runs body(t, chunk, n_begin, n_end, inner) for every chunk of images, t being the thread;
// `inner` (the GEMMs thread themselves) only when the chunks run one after another.
template <class F>
void for_image_chunks(const ConvGeom& g, const ConvWalk& plan, const F& body) {
  const bool inner = plan.nt <= 1 && plan.inner;
  parallel_chunks(plan.chunks, plan.nt, [&](int t, int64_t c) {
    body(t, c, g.N * c / plan.chunks, g.N * (c + 1) / plan.chunks, inner);
  });
}

template <class T>
void forward_impl(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  if (g.N == 0 || g.O == 0) return;
  const ConvPlan cp = plan_conv2d(g, std::is_same_v<T, float>);
  if (cp.forward == ConvPath::Dense) return dense_forward(g, x, w, bias, y);
  if constexpr (std::is_same_v<T, float>) {
    if (cp.forward == ConvPath::SmallAvx2) return conv_detail::small_forward(g, x, w, bias, y);
    if (cp.forward == ConvPath::DirectAvx2) return conv_detail::direct_forward(g, x, w, bias, y);
    if (cp.forward == ConvPath::DirectAvx512) return conv_detail::direct_forward_avx512(g, x, w, bias, y);
  }
  const ConvWalk& plan = cp.walk;
  if (cp.forward == ConvPath::PackedGemm) {
    Scratch wp(conv_detail::packed_weight_size<T>(g) * sizeof(T));
    T* Ap = static_cast<T*>(wp.p);
    conv_detail::pack_conv_weights<T>(g, w, Ap);
    const size_t per = conv_detail::packed_workspace_size<T>(g);
    Scratch ws(per * plan.nt * sizeof(T));
    for_image_chunks(g, plan, [&](int t, int64_t, int64_t b, int64_t e, bool) {
      for (int64_t n = b; n < e; ++n)
        conv_detail::packed_forward_image<T>(g, x + n * g.C * g.HW(), Ap, bias, y + n * g.O * g.P(),
                                             static_cast<T*>(ws.p) + per * t);
    });
    return;
  }
  const size_t col_n = static_cast<size_t>(g.Kg() * plan.nb * g.P());
  const size_t tmp_n = plan.nb > 1 ? static_cast<size_t>(g.Og() * plan.nb * g.P()) : 0;
  const size_t per = col_n + tmp_n;
  Scratch ws(per * plan.nt * sizeof(T));
  for_image_chunks(g, plan, [&](int t, int64_t, int64_t b, int64_t e, bool inner) {
    T* col = static_cast<T*>(ws.p) + per * t;
    for (int64_t n = b; n < e; n += plan.nb)
      forward_block(g, x, w, bias, y, n, std::min(plan.nb, e - n), col, col + col_n, inner);
  });
}

// dx (when non-null) and dw (when non-null; overwritten) from dy.
template <class T>
void backward_impl(const ConvGeom& g, const T* dy, const T* x, const T* w, T* dx, T* dw) {
  const int64_t wn = g.O * g.Kg();
  if (dw) std::fill(dw, dw + wn, T(0));
  if (g.N == 0 || (!dx && !dw)) return;
  const ConvPlan cp = plan_conv2d(g, std::is_same_v<T, float>);
  // Each gradient by its own path; a path that serves both runs once for both.
  T* dense_dx = cp.input_grad == ConvPath::Dense ? dx : nullptr;
  T* dense_dw = cp.weight_grad == ConvPath::Dense ? dw : nullptr;
  if (dense_dx || dense_dw) dense_backward(g, dy, x, w, dense_dx, dense_dw);
  if (dense_dx) dx = nullptr;
  if (dense_dw) dw = nullptr;
  if constexpr (std::is_same_v<T, float>) {
    // dx as a direct conv of dy (the full correlation with the flipped weights).
    if (dx && cp.input_grad == ConvPath::DirectAvx2) {
      conv_detail::direct_input_grad(g, dy, w, dx);
      dx = nullptr;
    }
    if (dx && cp.input_grad == ConvPath::DirectAvx512) {
      conv_detail::direct_input_grad_avx512(g, dy, w, dx);
      dx = nullptr;
    }
    // The small kernels' channels-as-lanes tiles need no column matrix either.
    T* small_dx = cp.input_grad == ConvPath::SmallAvx2 ? dx : nullptr;
    T* small_dw = cp.weight_grad == ConvPath::SmallAvx2 ? dw : nullptr;
    if (small_dx || small_dw) conv_detail::small_backward(g, dy, x, w, small_dx, small_dw);
    if (small_dx) dx = nullptr;
    if (small_dw) dw = nullptr;
  }
  if (!dx && !dw) return;
  const ConvWalk& plan = cp.walk;
  // Implicit GEMMs (conv2d_packed.cpp) go one image per GEMM: dW without a column matrix, and dx
  // with the col2im fused into the GEMM's tiles.
  const bool packed = cp.weight_grad == ConvPath::PackedGemm || cp.input_grad == ConvPath::PackedGemm;
  const bool packed_dw = dw && cp.weight_grad == ConvPath::PackedGemm;
  const bool packed_dx = dx && cp.input_grad == ConvPath::PackedGemm;
  Scratch wt(packed_dx ? conv_detail::packed_dgrad_weight_size<T>(g) * sizeof(T) : 0);
  if (packed_dx) conv_detail::pack_conv_weights_transposed<T>(g, w, static_cast<T*>(wt.p));
  const bool direct = plan.nb == 1 && g.pointwise();
  const bool need_col = !direct && ((dw && !packed_dw) || (dx && !packed_dx));
  const size_t wg_n = packed_dw ? conv_detail::packed_wgrad_workspace_size<T>(g) : 0;
  const size_t dg_n = packed_dx ? conv_detail::packed_dgrad_workspace_size<T>(g) : 0;
  const size_t col_n = need_col ? static_cast<size_t>(g.Kg() * plan.nb * g.P()) : 0;
  const size_t tmp_n = plan.nb > 1 ? static_cast<size_t>(g.Og() * plan.nb * g.P()) : 0;
  // Per thread, rounded to 64 bytes: the micro-kernels load their B slivers (at the start of the
  // wgrad and dgrad parts, whose sizes are rounded too) with aligned loads.
  const size_t per = (wg_n + dg_n + col_n + tmp_n + 15) / 16 * 16;
  Scratch ws(per * plan.nt * sizeof(T));
  // dW partials of chunks 1..chunks-1 (chunk 0 sums into dw itself).
  Scratch parts(dw ? static_cast<size_t>(wn * (plan.chunks - 1)) * sizeof(T) : 0);
  auto part = [&](int64_t c) { return c == 0 ? dw : static_cast<T*>(parts.p) + wn * (c - 1); };
  for_image_chunks(g, plan, [&](int t, int64_t chunk, int64_t b, int64_t e, bool inner) {
    T* base = static_cast<T*>(ws.p) + per * t;
    T* col = base + wg_n + dg_n;
    T* dw_acc = dw ? part(chunk) : nullptr;
    if (dw_acc && chunk != 0) std::fill(dw_acc, dw_acc + wn, T(0));
    if (packed) {  // one image at a time; a gradient not on the packed path takes the columns
      for (int64_t n = b; n < e; ++n) {
        if (packed_dw)
          conv_detail::packed_weight_grad_image<T>(g, x + n * g.C * g.HW(), dy + n * g.O * g.P(),
                                                   dw_acc, base);
        if (packed_dx)
          conv_detail::packed_input_grad_image<T>(g, dy + n * g.O * g.P(), static_cast<T*>(wt.p),
                                                  dx + n * g.C * g.HW(), base + wg_n);
        T* col_dx = packed_dx ? nullptr : dx;
        T* col_dw = packed_dw ? nullptr : dw_acc;
        if (col_dx || col_dw) backward_block(g, dy, x, w, col_dx, col_dw, n, 1, col, col + col_n, inner);
      }
      return;
    }
    for (int64_t n = b; n < e; n += plan.nb)
      backward_block(g, dy, x, w, dx, dw_acc, n, std::min(plan.nb, e - n), col, col + col_n, inner);
  });
  if (dw && plan.chunks > 1) {
    parallel_for(wn, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t c = 1; c < plan.chunks; ++c) {
        const T* pc = part(c);
        for (int64_t i = b; i < e; ++i) dw[i] += pc[i];
      }
    });
  }
}

// Sum of n values with eight independent partial sums (vectorisable without reassociation).
template <class T>
double row_sum(const T* v, int64_t n) {
  T part[8] = {};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) part[l] += v[k + l];
  double acc = ((double(part[0]) + part[1]) + (double(part[2]) + part[3])) +
               ((double(part[4]) + part[5]) + (double(part[6]) + part[7]));
  for (; k < n; ++k) acc += v[k];
  return acc;
}

// dbias[c] = sum over n, p of d[n, c, p]; d is (N, C, P).
template <class T>
void channel_sum(const T* d, int64_t N, int64_t C, int64_t P, T* dbias) {
  parallel_for(C, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(N * P, 1)),
               [&](int64_t c0, int64_t c1) {
                 for (int64_t c = c0; c < c1; ++c) {
                   double acc = 0;
                   for (int64_t n = 0; n < N; ++n) acc += row_sum(d + (n * C + c) * P, P);
                   dbias[c] = static_cast<T>(acc);
                 }
               });
}

// out[n, c, :] += bias[c]; out is (N, C, P).
template <class T>
void add_channel_bias(T* out, const T* bias, int64_t N, int64_t C, int64_t P) {
  parallel_for(N * C, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(P, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t r = b; r < e; ++r) {
                   const T v = bias[r % C];
                   T* o = out + r * P;
                   for (int64_t p = 0; p < P; ++p) o[p] += v;
                 }
               });
}

}  // namespace

void conv2d_forward(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias,
                        Tensor& y) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "conv2d", [&] {
    using T = scalar_t;
    forward_impl<T>(g, x.data<T>(), w.data<T>(), bias.data_or_null<T>(), y.data<T>());
  });
}

void conv2d_backward(const ConvGeom& g, const Tensor& dy, const Tensor& x, const Tensor& w,
                         Tensor& dx, Tensor& dw, Tensor& dbias) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "conv2d_backward", [&] {
    using T = scalar_t;
    backward_impl<T>(g, dy.data<T>(), x.data<T>(), w.data<T>(), dx.data_or_null<T>(),
                     dw.data_or_null<T>());
    if (dbias.defined()) channel_sum<T>(dy.data<T>(), g.N, g.O, g.P(), dbias.data<T>());
  });
}

void conv_transpose2d_forward(const ConvGeom& g, const Tensor& input, const Tensor& w,
                                  const Tensor& bias, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "conv_transpose2d", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    backward_impl<T>(g, input.data<T>(), nullptr, w.data<T>(), o, nullptr);
    if (bias.defined()) add_channel_bias<T>(o, bias.data<T>(), g.N, g.C, g.HW());
  });
}

void conv_transpose2d_backward(const ConvGeom& g, const Tensor& dout, const Tensor& input,
                                   const Tensor& w, Tensor& dinput, Tensor& dw, Tensor& dbias) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "conv_transpose2d_backward", [&] {
    using T = scalar_t;
    if (dinput.defined()) forward_impl<T>(g, dout.data<T>(), w.data<T>(), nullptr, dinput.data<T>());
    if (dw.defined()) backward_impl<T>(g, input.data<T>(), dout.data<T>(), w.data<T>(), nullptr, dw.data<T>());
    if (dbias.defined()) channel_sum<T>(dout.data<T>(), g.N, g.C, g.HW(), dbias.data<T>());
  });
}

}  // namespace kernels::cpu
