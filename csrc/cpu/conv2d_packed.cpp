// Convolution as implicit GEMMs on the project's AVX2 GEMM micro-kernels (csrc/cpu/gemm_avx2.cpp:
// C (MR x NR) = Ap * Bp + beta C over kc, Ap[k*MR + r], Bp[k*NR + lane]), one image at a time.
// With col[k, p] = x[g*Cg + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 in the padding),
// k = (c*kH + i)*kW + j < Kg, p = oh*OW + ow < P, and Wg (Og, Kg) the group's weights:
//
//   forward  y[g] (Og, P) = Wg @ col (+ bias): A = Wg in slivers of MR channels (packed once per
//            call), B = col in slivers of NR positions, built block by block straight from the
//            image (each row of k in an L1 buffer, then cut into slivers).
//   dW       dWg (Og, Kg) += dy[g] (Og, P) @ col^T: A = dy in slivers of MR channels, B = col^T in
//            slivers of NR kernel taps, written lane by lane straight from the image; reduced
//            over positions in blocks of kPC.
//   dx       dcol (Kg, P) = Wg^T @ dy[g]: A = Wg^T in slivers of MR taps (packed once per call),
//            B = dy in slivers of NR positions; each MR x NR tile is added into dx (col2im) as
//            soon as it is computed.
//
// Against im2col + gemm (conv2d.cpp) no Kg x P matrix is ever written to memory and read back
// to be packed, and the weights are packed once per call instead of once per image.
// Blocking (forward): output positions in blocks of kNC, k in blocks of kKC; the B panel
// (kc x kNC) stays in L2 and each sliver is used by all the group's A slivers while it is in L1.
// Tiles that stick out of the matrix are computed into a small buffer and only their valid part
// is used.
#include "conv2d_packed.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "gemm_avx2.h"

namespace kernels::cpu {

namespace conv_detail {

namespace {

template <class T>
struct Tile;
template <>
struct Tile<float> {
  static constexpr int MR = 6, NR = 16;
  static void kernel(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float beta) {
    gemm_detail::sgemm_kernel_6x16_avx2(kc, Ap, Bp, C, ldc, 1.0f, beta);
  }
};
template <>
struct Tile<double> {
  static constexpr int MR = 6, NR = 8;
  static void kernel(int64_t kc, const double* Ap, const double* Bp, double* C, int64_t ldc,
                     double beta) {
    gemm_detail::dgemm_kernel_6x8_avx2(kc, Ap, Bp, C, ldc, 1.0, beta);
  }
};

constexpr int64_t kKC = 256;  // k per block
constexpr int64_t kNC = 256;  // output positions per block (a multiple of NR)
constexpr int64_t kPC = 256;  // output positions per reduction block of the weight gradient

// out[t*S] = col[k, p0 + t] for t < np, with k = (c, i, j) and xc = x[c] (H, W): the output
// positions run along output rows, so each row's part is one contiguous (stride 1) or strided
// read of an input row, zero where it falls in the padding. S = 1 builds a row; S = NR writes
// one lane of a B sliver of the weight gradient (where k runs along the lanes).
template <class T, int S>
void im2col_segment(const ConvGeom& g, const T* xc, int64_t i, int64_t j, int64_t p0, int64_t np,
                    T* out) {
  int64_t oh = p0 / g.OW, ow = p0 % g.OW;
  for (int64_t t = 0; t < np; ++oh, ow = 0) {
    const int64_t n = std::min(np - t, g.OW - ow);
    T* d = out + t * S;
    t += n;
    const int64_t ih = oh * g.sh - g.ph + i * g.dh;
    if (ih < 0 || ih >= g.H) {
      for (int64_t u = 0; u < n; ++u) d[u * S] = T(0);
      continue;
    }
    const T* xr = xc + ih * g.W;
    const int64_t iw = ow * g.sw - g.pw + j * g.dw;  // input column of the segment's first value
    if (g.sw == 1) {
      const int64_t lo = std::min(n, std::max<int64_t>(0, -iw));
      const int64_t hi = std::max(lo, std::min(n, g.W - iw));
      for (int64_t u = 0; u < lo; ++u) d[u * S] = T(0);
      for (int64_t u = lo; u < hi; ++u) d[u * S] = xr[iw + u];
      for (int64_t u = hi; u < n; ++u) d[u * S] = T(0);
    } else {
      for (int64_t u = 0, w = iw; u < n; ++u, w += g.sw) d[u * S] = w >= 0 && w < g.W ? xr[w] : T(0);
    }
  }
}

// Advances (c, i, j) to the next k = (c*kH + i)*kW + j.
inline void next_k(const ConvGeom& g, int64_t& c, int64_t& i, int64_t& j) {
  if (++j == g.kW) {
    j = 0;
    if (++i == g.kH) {
      i = 0;
      ++c;
    }
  }
}

// The B panel of rows k0 .. k0+kc and positions p0 .. p0+np of one group (x is its (Cg, H, W)
// channels), as nq = ceil(np/NR) slivers: Bp[q*kc*NR + (k - k0)*NR + lane] = col[k, p0 + q*NR + lane]
// (0 past np). Each row of k is built in `row` (L1) and then cut into the slivers.
template <class T, int NR>
void pack_panel(const ConvGeom& g, const T* x, int64_t k0, int64_t kc, int64_t p0, int64_t np,
                T* row, T* Bp) {
  const int64_t kk = g.kH * g.kW, nq = (np + NR - 1) / NR;
  std::fill(row + np, row + nq * NR, T(0));
  int64_t c = k0 / kk, i = k0 % kk / g.kW, j = k0 % g.kW;
  for (int64_t k = 0; k < kc; ++k) {
    im2col_segment<T, 1>(g, x + c * g.H * g.W, i, j, p0, np, row);
    for (int64_t q = 0; q < nq; ++q) std::memcpy(Bp + (q * kc + k) * NR, row + q * NR, NR * sizeof(T));
    next_k(g, c, i, j);
  }
}

}  // namespace

template <class T>
size_t packed_weight_size(const ConvGeom& g) {
  constexpr int MR = Tile<T>::MR;
  return static_cast<size_t>(g.G * ((g.Og() + MR - 1) / MR) * MR * g.Kg());
}

template <class T>
size_t packed_workspace_size(const ConvGeom& g) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  const int64_t nc = std::min(kNC, (g.P() + NR - 1) / NR * NR);
  const int64_t n = std::min(kKC, g.Kg()) * nc + nc + MR * NR;  // B panel, one row, edge tile
  return static_cast<size_t>((n + 15) / 16 * 16);  // keeps every thread's part 64-byte aligned
}

template <class T>
void pack_conv_weights(const ConvGeom& g, const T* w, T* Ap) {
  constexpr int MR = Tile<T>::MR;
  const int64_t Og = g.Og(), Kg = g.Kg(), slivers = (Og + MR - 1) / MR;
  for (int64_t gi = 0; gi < g.G; ++gi)
    for (int64_t s = 0; s < slivers; ++s) {
      T* dst = Ap + (gi * slivers + s) * MR * Kg;
      for (int64_t k = 0; k < Kg; ++k)
        for (int r = 0; r < MR; ++r) {
          const int64_t o = s * MR + r;
          dst[k * MR + r] = o < Og ? w[(gi * Og + o) * Kg + k] : T(0);
        }
    }
}

template <class T>
void packed_forward_image(const ConvGeom& g, const T* x_n, const T* Ap, const T* bias, T* y_n,
                          T* workspace) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  const int64_t Og = g.Og(), Kg = g.Kg(), P = g.P(), slivers = (Og + MR - 1) / MR;
  const int64_t nc = std::min(kNC, (P + NR - 1) / NR * NR);
  T* Bp = workspace;  // 64-byte aligned: the micro-kernel loads B aligned
  T* row = Bp + std::min(kKC, Kg) * nc;
  T* tile = row + nc;
  for (int64_t gi = 0; gi < g.G; ++gi) {
    const T* xg = x_n + gi * g.Cg() * g.H * g.W;
    const T* Ag = Ap + gi * slivers * MR * Kg;
    T* yg = y_n + gi * Og * P;
    if (bias)  // rows start as the bias; every k block then accumulates
      for (int64_t o = 0; o < Og; ++o) std::fill(yg + o * P, yg + (o + 1) * P, bias[gi * Og + o]);
    for (int64_t p0 = 0; p0 < P; p0 += kNC) {
      const int64_t np = std::min(kNC, P - p0), nq = (np + NR - 1) / NR;
      for (int64_t k0 = 0; k0 < Kg; k0 += kKC) {
        const int64_t kc = std::min(kKC, Kg - k0);
        const bool first = k0 == 0 && !bias;  // no earlier value in y to add to
        pack_panel<T, NR>(g, xg, k0, kc, p0, np, row, Bp);
        for (int64_t q = 0; q < nq; ++q) {
          const int64_t lanes = std::min<int64_t>(NR, np - q * NR), p = p0 + q * NR;
          const T* bq = Bp + q * kc * NR;
          for (int64_t s = 0; s < slivers; ++s) {
            const T* a = Ag + s * MR * Kg + k0 * MR;
            const int64_t rows = std::min<int64_t>(MR, Og - s * MR);
            T* c = yg + s * MR * P + p;
            if (rows == MR && lanes == NR) {
              Tile<T>::kernel(kc, a, bq, c, P, first ? T(0) : T(1));
            } else {
              Tile<T>::kernel(kc, a, bq, tile, NR, T(0));
              for (int64_t r = 0; r < rows; ++r)
                for (int64_t t = 0; t < lanes; ++t)
                  c[r * P + t] = first ? tile[r * NR + t] : c[r * P + t] + tile[r * NR + t];
            }
          }
        }
      }
    }
  }
}

template <class T>
size_t packed_wgrad_workspace_size(const ConvGeom& g) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  const int64_t pc = std::min(kPC, g.P()), slivers = (g.Og() + MR - 1) / MR;
  const int64_t n = NR * pc + slivers * MR * pc + MR * NR;  // B sliver, A panel, edge tile
  return static_cast<size_t>((n + 15) / 16 * 16);
}

template <class T>
void packed_weight_grad_image(const ConvGeom& g, const T* x_n, const T* dy_n, T* dw,
                              T* workspace) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  const int64_t Og = g.Og(), Kg = g.Kg(), P = g.P(), slivers = (Og + MR - 1) / MR;
  const int64_t nq = (Kg + NR - 1) / NR, pc_max = std::min(kPC, P);
  T* Bq = workspace;  // first: 64-byte aligned for the micro-kernel's B loads
  T* Ap = Bq + NR * pc_max;
  T* tile = Ap + slivers * MR * pc_max;
  for (int64_t gi = 0; gi < g.G; ++gi) {
    const T* xg = x_n + gi * g.Cg() * g.H * g.W;
    const T* dyg = dy_n + gi * Og * P;
    T* dwg = dw + gi * Og * Kg;
    for (int64_t p0 = 0; p0 < P; p0 += kPC) {
      const int64_t pc = std::min(kPC, P - p0);
      // A slivers: MR output channels of dy interleaved, Ap[s][t*MR + r] = dy[s*MR + r, p0 + t].
      for (int64_t s = 0; s < slivers; ++s)
        for (int r = 0; r < MR; ++r) {
          const int64_t o = s * MR + r;
          T* d = Ap + s * MR * pc + r;
          if (o < Og) {
            const T* src = dyg + o * P + p0;
            for (int64_t t = 0; t < pc; ++t) d[t * MR] = src[t];
          } else {
            for (int64_t t = 0; t < pc; ++t) d[t * MR] = T(0);
          }
        }
      int64_t c = 0, i = 0, j = 0;
      for (int64_t q = 0; q < nq; ++q) {
        // B sliver: NR consecutive k as lanes, Bq[t*NR + l] = col[q*NR + l, p0 + t].
        const int64_t lanes = std::min<int64_t>(NR, Kg - q * NR);
        for (int64_t l = 0; l < lanes; ++l, next_k(g, c, i, j))
          im2col_segment<T, NR>(g, xg + c * g.H * g.W, i, j, p0, pc, Bq + l);
        for (int64_t l = lanes; l < NR; ++l)
          for (int64_t t = 0; t < pc; ++t) Bq[t * NR + l] = T(0);
        for (int64_t s = 0; s < slivers; ++s) {
          const int64_t rows = std::min<int64_t>(MR, Og - s * MR);
          T* cq = dwg + s * MR * Kg + q * NR;
          if (rows == MR && lanes == NR) {
            Tile<T>::kernel(pc, Ap + s * MR * pc, Bq, cq, Kg, T(1));
          } else {
            Tile<T>::kernel(pc, Ap + s * MR * pc, Bq, tile, NR, T(0));
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t l = 0; l < lanes; ++l) cq[r * Kg + l] += tile[r * NR + l];
          }
        }
      }
    }
  }
}

// The positions p0 .. p0+lanes-1 of one sliver as runs that each lie in one output row: lanes
// [lane, lane + n) are output row oh, columns ow .. ow + n - 1; ih0 = oh*sh - ph, iw0 = ow*sw - pw.
struct Runs {
  int count = 0;
  int64_t lane[16], n[16], ih0[16], iw0[16];
};

Runs sliver_runs(const ConvGeom& g, int64_t p, int64_t lanes) {
  Runs r;
  int64_t oh = p / g.OW, ow = p % g.OW;
  for (int64_t l = 0; l < lanes; ++oh, ow = 0) {
    const int64_t n = std::min(lanes - l, g.OW - ow);
    r.lane[r.count] = l;
    r.n[r.count] = n;
    r.ih0[r.count] = oh * g.sh - g.ph;
    r.iw0[r.count] = ow * g.sw - g.pw;
    ++r.count;
    l += n;
  }
  return r;
}

// Where kernel tap k = (c*kH + i)*kW + j reads: channel offset c*H*W and the offsets i*dh, j*dw.
struct Tap {
  int64_t off, di, dj;
};

// dx += the MR x NR tile of dcol for taps[0 .. rows) and the sliver's positions (runs):
// dx[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] += tile[r][lane], the col2im of the tile.
template <class T, int NR>
void scatter_tile(const ConvGeom& g, const T* tile, const Tap* taps, int64_t rows, const Runs& runs,
                  T* dx) {
  for (int64_t r = 0; r < rows; ++r) {
    T* dxc = dx + taps[r].off;
    const T* src = tile + r * NR;
    for (int q = 0; q < runs.count; ++q) {
      const int64_t ih = runs.ih0[q] + taps[r].di;
      if (ih < 0 || ih >= g.H) continue;
      T* xr = dxc + ih * g.W;
      const int64_t iw = runs.iw0[q] + taps[r].dj, n = runs.n[q];
      const T* sq = src + runs.lane[q];
      if (g.sw == 1) {
        const int64_t lo = std::min(n, std::max<int64_t>(0, -iw));
        const int64_t hi = std::max(lo, std::min(n, g.W - iw));
        T* xo = xr + iw;
        for (int64_t t = lo; t < hi; ++t) xo[t] += sq[t];
      } else {
        for (int64_t t = 0, w = iw; t < n; ++t, w += g.sw)
          if (w >= 0 && w < g.W) xr[w] += sq[t];
      }
    }
  }
}

template <class T>
size_t packed_dgrad_weight_size(const ConvGeom& g) {
  constexpr int MR = Tile<T>::MR;
  return static_cast<size_t>(g.G * ((g.Kg() + MR - 1) / MR) * MR * g.Og());
}

template <class T>
void pack_conv_weights_transposed(const ConvGeom& g, const T* w, T* Ap) {
  constexpr int MR = Tile<T>::MR;
  const int64_t Og = g.Og(), Kg = g.Kg(), slivers = (Kg + MR - 1) / MR;
  for (int64_t gi = 0; gi < g.G; ++gi)
    for (int64_t s = 0; s < slivers; ++s) {
      T* dst = Ap + (gi * slivers + s) * MR * Og;
      for (int64_t o = 0; o < Og; ++o)
        for (int r = 0; r < MR; ++r) {
          const int64_t k = s * MR + r;
          dst[o * MR + r] = k < Kg ? w[(gi * Og + o) * Kg + k] : T(0);
        }
    }
}

template <class T>
size_t packed_dgrad_workspace_size(const ConvGeom& g) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  const int64_t nc = std::min(kNC, (g.P() + NR - 1) / NR * NR);
  const int64_t n = g.Og() * nc + MR * NR;  // B panel of dy, one tile
  return static_cast<size_t>((n + 15) / 16 * 16);
}

template <class T>
void packed_input_grad_image(const ConvGeom& g, const T* dy_n, const T* Ap, T* dx_n, T* workspace) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  const int64_t Og = g.Og(), Kg = g.Kg(), P = g.P(), slivers = (Kg + MR - 1) / MR;
  const int64_t nc = std::min(kNC, (P + NR - 1) / NR * NR);
  T* Bp = workspace;  // 64-byte aligned
  T* tile = Bp + Og * nc;
  std::vector<Tap> taps(static_cast<size_t>(Kg));
  for (int64_t k = 0, c = 0, i = 0, j = 0; k < Kg; ++k, next_k(g, c, i, j))
    taps[k] = Tap{c * g.H * g.W, i * g.dh, j * g.dw};
  std::fill(dx_n, dx_n + g.C * g.H * g.W, T(0));
  for (int64_t gi = 0; gi < g.G; ++gi) {
    const T* dyg = dy_n + gi * Og * P;
    const T* Ag = Ap + gi * slivers * MR * Og;
    T* dxg = dx_n + gi * g.Cg() * g.H * g.W;
    for (int64_t p0 = 0; p0 < P; p0 += kNC) {
      const int64_t np = std::min(kNC, P - p0), nq = (np + NR - 1) / NR;
      // B slivers of dy: Bp[q*Og*NR + o*NR + lane] = dy[o, p0 + q*NR + lane] (0 past np)
      for (int64_t q = 0; q < nq; ++q) {
        const int64_t lanes = std::min<int64_t>(NR, np - q * NR);
        T* bq = Bp + q * Og * NR;
        for (int64_t o = 0; o < Og; ++o) {
          const T* src = dyg + o * P + p0 + q * NR;
          T* d = bq + o * NR;
          if (lanes == NR) {
            std::memcpy(d, src, NR * sizeof(T));
          } else {
            for (int64_t l = 0; l < NR; ++l) d[l] = l < lanes ? src[l] : T(0);
          }
        }
      }
      for (int64_t q = 0; q < nq; ++q) {
        const int64_t lanes = std::min<int64_t>(NR, np - q * NR);
        const Runs runs = sliver_runs(g, p0 + q * NR, lanes);
        const T* bq = Bp + q * Og * NR;
        for (int64_t s = 0; s < slivers; ++s) {
          Tile<T>::kernel(Og, Ag + s * MR * Og, bq, tile, NR, T(0));
          scatter_tile<T, NR>(g, tile, taps.data() + s * MR, std::min<int64_t>(MR, Kg - s * MR), runs,
                              dxg);
        }
      }
    }
  }
}

template size_t packed_weight_size<float>(const ConvGeom&);
template size_t packed_weight_size<double>(const ConvGeom&);
template size_t packed_workspace_size<float>(const ConvGeom&);
template size_t packed_workspace_size<double>(const ConvGeom&);
template void pack_conv_weights<float>(const ConvGeom&, const float*, float*);
template void pack_conv_weights<double>(const ConvGeom&, const double*, double*);
template void packed_forward_image<float>(const ConvGeom&, const float*, const float*, const float*,
                                          float*, float*);
template void packed_forward_image<double>(const ConvGeom&, const double*, const double*,
                                           const double*, double*, double*);
template size_t packed_dgrad_weight_size<float>(const ConvGeom&);
template size_t packed_dgrad_weight_size<double>(const ConvGeom&);
template void pack_conv_weights_transposed<float>(const ConvGeom&, const float*, float*);
template void pack_conv_weights_transposed<double>(const ConvGeom&, const double*, double*);
template size_t packed_dgrad_workspace_size<float>(const ConvGeom&);
template size_t packed_dgrad_workspace_size<double>(const ConvGeom&);
template void packed_input_grad_image<float>(const ConvGeom&, const float*, const float*, float*,
                                             float*);
template void packed_input_grad_image<double>(const ConvGeom&, const double*, const double*,
                                              double*, double*);
template size_t packed_wgrad_workspace_size<float>(const ConvGeom&);
template size_t packed_wgrad_workspace_size<double>(const ConvGeom&);
template void packed_weight_grad_image<float>(const ConvGeom&, const float*, const float*, float*,
                                              float*);
template void packed_weight_grad_image<double>(const ConvGeom&, const double*, const double*,
                                               double*, double*);

}  // namespace conv_detail
}  // namespace kernels::cpu
