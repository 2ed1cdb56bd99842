// Convolution on CUDA: im2col + the project's batched GEMM (gemm, csrc/cuda/matmul.cu). The
// maths is in csrc/cpu/conv2d.cpp's header comment:
//   x (N, C, H, W), w (O, Cg, kH, kW), y (N, O, OH, OW); Cg = C/G, Og = O/G, Kg = Cg*kH*kW,
//   P = OH*OW; per image n and group g, col (Kg, P):
//   y[n, g] = Wg @ col + bias,  dWg = sum_n dy[n, g] @ col^T,  dx[n, g] = col2im(Wg^T @ dy[n, g]).
//
// Images go in chunks of nb (the column matrices of a chunk fill at most kColBudget elements of a
// workspace from the caching allocator). The column matrix of image b, group g sits at
// col + (b*G + g)*Kg*P, i.e. col[((b*C + c)*kH + i)*kW + j][p] for global channel c, so one
// GemmSpec with batch dims (image, group) covers the chunk:
//   forward  z = (b, g):  y[n0+b, g] (Og, P)  = Wg (Og, Kg) @ col[b, g] (Kg, P)
//   dx       z = (b, g):  dcol[b, g] (Kg, P)  = Wg^T @ dy[n0+b, g] (Og, P), then col2im
//   dW       z = g, r = b (summed in the GEMM block, no atomics):
//                          dWg (Og, Kg) += sum_b dy[n0+b, g] @ col[b, g]^T
// im2col: one thread per column entry. col2im gathers: one thread per dx element sums the column
// entries that read it (no atomics, deterministic). A 1x1 / stride-1 / unpadded conv uses x (and
// writes dx) directly. dbias: one block per channel, a block reduction in double.
// conv_transpose2d is dx of the conv (plus a bias per channel), its backward a conv forward and
// the conv's dW with (dy, x) = (input, dout).
#include <algorithm>

#include "../common/dispatch.h"
#include "block_reduce.cuh"
#include "../contracts/conv2d.h"
#include "cuda_utils.cuh"
#include "gemm.cuh"

namespace kernels::cuda {

namespace {

constexpr int64_t kColBudget = int64_t(1) << 25;  // workspace elements per chunk (128 MB float)

template <class T>
__global__ void im2col_kernel(ConvGeom g, const T* __restrict__ x, T* __restrict__ col,
                              int64_t total) {
  const int64_t P = g.OH * g.OW;
  CUDA_KERNEL_LOOP(e, total) {
    const int64_t p = e % P;
    int64_t t = e / P;
    const int64_t j = t % g.kW;
    t /= g.kW;
    const int64_t i = t % g.kH;
    t /= g.kH;  // b*C + c
    const int64_t oh = p / g.OW, ow = p % g.OW;
    const int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
    col[e] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? x[(t * g.H + ih) * g.W + iw] : T(0);
  }
}

// dx[b, c, ih, iw] = sum of the column entries read from there.
template <class T>
__global__ void col2im_kernel(ConvGeom g, const T* __restrict__ col, T* __restrict__ dx,
                              int64_t total) {
  const int64_t P = g.OH * g.OW;
  CUDA_KERNEL_LOOP(e, total) {
    const int64_t iw = e % g.W;
    int64_t t = e / g.W;
    const int64_t ih = t % g.H;
    t /= g.H;  // b*C + c
    T acc = T(0);
    for (int64_t i = 0; i < g.kH; ++i) {
      const int64_t hh = ih + g.ph - i * g.dh;
      if (hh < 0 || hh % g.sh) continue;
      const int64_t oh = hh / g.sh;
      if (oh >= g.OH) continue;
      for (int64_t j = 0; j < g.kW; ++j) {
        const int64_t ww = iw + g.pw - j * g.dw;
        if (ww < 0 || ww % g.sw) continue;
        const int64_t ow = ww / g.sw;
        if (ow >= g.OW) continue;
        acc += col[((t * g.kH + i) * g.kW + j) * P + oh * g.OW + ow];
      }
    }
    dx[e] = acc;
  }
}

// out[n, c, p] += bias[c]; out is (N, C, P).
template <class T>
__global__ void add_bias_kernel(T* out, const T* __restrict__ bias, int64_t C, int64_t P,
                                int64_t total) {
  CUDA_KERNEL_LOOP(e, total) out[e] += bias[(e / P) % C];
}

// dbias[c] = sum over n, p of d[n, c, p]; one block per channel.
template <class T>
__global__ void channel_sum_kernel(const T* __restrict__ d, int64_t N, int64_t C, int64_t P,
                                   T* __restrict__ dbias) {
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    double acc = 0;
    for (int64_t e = threadIdx.x; e < N * P; e += blockDim.x)
      acc += static_cast<double>(d[((e / P) * C + c) * P + e % P]);
    acc = cuda::block_reduce(acc, cuda::SumOp{}, 0.0);
    if (threadIdx.x == 0) dbias[c] = static_cast<T>(acc);
  }
}

// Images per chunk, so that the chunk's column matrices fit kColBudget.
int64_t chunk_images(const ConvGeom& g) {
  const int64_t per_image = std::max<int64_t>(1, g.C * g.kH * g.kW * g.OH * g.OW);
  return std::max<int64_t>(1, std::min<int64_t>(g.N, kColBudget / per_image));
}

// Batch dims (image, group) of a chunk of nb images.
void set_image_group_batch(GemmSpec& s, int64_t nb, int64_t G, int64_t za_b, int64_t za_g,
                           int64_t zb_b, int64_t zb_g) {
  s.nz = 2;
  s.zsize[0] = nb;
  s.za[0] = za_b;
  s.zb[0] = zb_b;
  s.zsize[1] = G;
  s.za[1] = za_g;
  s.zb[1] = zb_g;
  s.zcount = nb * G;
}

template <class T>
void im2col(const ConvGeom& g, const T* x, T* col, int64_t nb) {
  const int64_t total = nb * g.C * g.kH * g.kW * g.OH * g.OW;
  im2col_kernel<T><<<cuda::grid_for(total), cuda::kBlock>>>(g, x, col, total);
  cuda::check_launch("conv2d im2col");
}

// y = conv(x, w) (+ bias when non-null).
template <class T>
void forward_impl(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y, DType dtype,
                  Device dev) {
  if (g.N == 0 || g.O == 0) return;
  const int64_t G = g.G, Cg = g.C / G, Og = g.O / G, Kg = Cg * g.kH * g.kW, P = g.OH * g.OW;
  const int64_t HW = g.H * g.W;
  const bool direct = g.kH == 1 && g.kW == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
                      g.OH == g.H && g.OW == g.W;
  const int64_t nb_max = chunk_images(g);
  Tensor ws;
  if (!direct) ws = Tensor::empty({nb_max * g.C * g.kH * g.kW * P}, dtype, dev);
  for (int64_t n0 = 0; n0 < g.N; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.N - n0);
    const T* cm = x + n0 * g.C * HW;
    if (!direct) {
      im2col(g, cm, ws.data<T>(), nb);
      cm = ws.data<T>();
    }
    GemmSpec s = GemmSpec::plain(false, false, Og, P, Kg, Kg, P, P, 0.0);
    set_image_group_batch(s, nb, G, 0, Og * Kg, g.C * g.kH * g.kW * P, Kg * P);
    s.c_stride = Og * P;
    gemm<T>(s, w, cm, y + n0 * g.O * P);
  }
  if (bias) {
    const int64_t total = g.N * g.O * P;
    add_bias_kernel<T><<<cuda::grid_for(total), cuda::kBlock>>>(y, bias, g.O, P, total);
    cuda::check_launch("conv2d bias");
  }
}

// dx (when non-null) and dw (when non-null; overwritten) from dy.
template <class T>
void backward_impl(const ConvGeom& g, const T* dy, const T* x, const T* w, T* dx, T* dw,
                   DType dtype, Device dev) {
  const int64_t G = g.G, Cg = g.C / G, Og = g.O / G, Kg = Cg * g.kH * g.kW, P = g.OH * g.OW;
  const int64_t HW = g.H * g.W, CK = g.C * g.kH * g.kW;
  if (dw && g.N == 0) CUDA_CHECK(cudaMemset(dw, 0, static_cast<size_t>(g.O * Kg) * sizeof(T)));
  if (g.N == 0 || (!dx && !dw)) return;
  const bool direct = g.kH == 1 && g.kW == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
                      g.OH == g.H && g.OW == g.W;
  const int64_t nb_max = chunk_images(g);
  Tensor ws;
  if (!direct) ws = Tensor::empty({nb_max * CK * P}, dtype, dev);
  for (int64_t n0 = 0; n0 < g.N; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.N - n0);
    const T* dyc = dy + n0 * g.O * P;
    if (dw) {
      const T* cm = x + n0 * g.C * HW;
      if (!direct) {
        im2col(g, cm, ws.data<T>(), nb);
        cm = ws.data<T>();
      }
      // dWg (Og, Kg) = sum_b dy[b, g] (Og, P) @ col[b, g]^T (P, Kg)
      GemmSpec s = GemmSpec::plain(false, true, Og, Kg, P, P, P, Kg, n0 == 0 ? 0.0 : 1.0);
      s.nz = 1;
      s.zsize[0] = G;
      s.za[0] = Og * P;
      s.zb[0] = Kg * P;
      s.zcount = G;
      s.nr = 1;
      s.rsize[0] = nb;
      s.ra[0] = g.O * P;
      s.rb[0] = CK * P;
      s.rcount = nb;
      s.c_stride = Og * Kg;
      gemm<T>(s, dyc, cm, dw);
    }
    if (dx) {
      // dcol[b, g] (Kg, P) = Wg^T (Kg, Og) @ dy[b, g] (Og, P)
      T* dcol = direct ? dx + n0 * g.C * HW : ws.data<T>();
      GemmSpec s = GemmSpec::plain(true, false, Kg, P, Og, Kg, P, P, 0.0);
      set_image_group_batch(s, nb, G, 0, Og * Kg, g.O * P, Og * P);
      s.c_stride = Kg * P;
      gemm<T>(s, w, dyc, dcol);
      if (!direct) {
        const int64_t total = nb * g.C * HW;
        col2im_kernel<T><<<cuda::grid_for(total), cuda::kBlock>>>(g, dcol, dx + n0 * g.C * HW, total);
        cuda::check_launch("conv2d col2im");
      }
    }
  }
}

template <class T>
void channel_sum(const T* d, int64_t N, int64_t C, int64_t P, T* dbias) {
  if (C == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(C, 65535));
  channel_sum_kernel<T><<<blocks, cuda::kBlock>>>(d, N, C, P, dbias);
  cuda::check_launch("conv2d bias gradient");
}

}  // namespace

void conv2d_forward(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias,
                         Tensor& y) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "conv2d", [&] {
    using T = scalar_t;
    forward_impl<T>(g, x.data<T>(), w.data<T>(), bias.data_or_null<T>(), y.data<T>(), x.dtype,
                    x.device());
  });
}

void conv2d_backward(const ConvGeom& g, const Tensor& dy, const Tensor& x, const Tensor& w,
                          Tensor& dx, Tensor& dw, Tensor& dbias) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "conv2d_backward", [&] {
    using T = scalar_t;
    backward_impl<T>(g, dy.data<T>(), x.data<T>(), w.data<T>(), dx.data_or_null<T>(),
                     dw.data_or_null<T>(), x.dtype, x.device());
    if (dbias.defined()) channel_sum<T>(dy.data<T>(), g.N, g.O, g.OH * g.OW, dbias.data<T>());
  });
}

void conv_transpose2d_forward(const ConvGeom& g, const Tensor& input, const Tensor& w,
                                   const Tensor& bias, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "conv_transpose2d", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    backward_impl<T>(g, input.data<T>(), nullptr, w.data<T>(), o, nullptr, input.dtype,
                     input.device());
    if (bias.defined()) {
      const int64_t total = g.N * g.C * g.H * g.W;
      add_bias_kernel<T><<<cuda::grid_for(total), cuda::kBlock>>>(o, bias.data<T>(), g.C,
                                                                   g.H * g.W, total);
      cuda::check_launch("conv_transpose2d bias");
    }
  });
}

void conv_transpose2d_backward(const ConvGeom& g, const Tensor& dout, const Tensor& input,
                                    const Tensor& w, Tensor& dinput, Tensor& dw, Tensor& dbias) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "conv_transpose2d_backward", [&] {
    using T = scalar_t;
    if (dinput.defined())
      forward_impl<T>(g, dout.data<T>(), w.data<T>(), nullptr, dinput.data<T>(), input.dtype,
                      input.device());
    if (dw.defined())
      backward_impl<T>(g, input.data<T>(), dout.data<T>(), w.data<T>(), nullptr, dw.data<T>(),
                       input.dtype, input.device());
    if (dbias.defined()) channel_sum<T>(dout.data<T>(), g.N, g.C, g.H * g.W, dbias.data<T>());
  });
}

}  // namespace kernels::cuda
