// The pointwise maths of the recurrent cells, written once for the CPU loops (csrc/cpu/rnn.cpp)
// and the CUDA kernels (csrc/cuda/rnn.cu). One call handles one hidden unit j of one batch row:
// the G gate pre-activations of that unit sit at columns j, H+j, ... of the projected rows.
//
// Per row, gx holds x W_ih^T (without bias) and gh holds h_prev W_hh^T (without bias); biases are
// added here (b_ih / b_hh are never null: zeros for a layer without bias, so that the CPU loops
// have no conditional loads and vectorise). Gate orders and formulas are torch's:
//   rnn_tanh / rnn_relu  h = act(gx + b_ih + gh + b_hh)                       saved: h
//   lstm  (i,f,g,o)      i,f,o = sigmoid(.), g = tanh(.) of gx + b_ih + gh + b_hh
//                        c = f c_prev + i g,  h = o tanh(c)                   saved: i,f,g,o; c
//   gru   (r,z,n)        r,z = sigmoid(gx + b_ih + gh + b_hh)
//                        hn = gh_n + b_hn,  n = tanh(gx_n + b_in + r hn)
//                        h = (1 - z) n + z h_prev                             saved: r,z,n; hn
// The saved activations overwrite gx in place (G per row), plus one extra value (c or hn).
//
// Backward, with dh the total gradient reaching h (output + recurrence) and dc the one reaching c:
//   rnn    dpre = dh (1 - h^2)  |  dh [h > 0]
//   lstm   tc = tanh(c),  dc += dh o (1 - tc^2)
//          dG = (dc g i(1-i), dc c_prev f(1-f), dc i (1-g^2), dh tc o(1-o)),  dc_prev = dc f
//   gru    dn = dh (1-z) (1-n^2),  dz = dh (h_prev - n) z(1-z),  dr = dn hn r(1-r)
//          dGx = (dr, dz, dn),  dGh = (dr, dz, dn r),  dh_prev (direct part) = dh z
// dGx is the gradient of the input projection, dGh of the hidden one (the same array except
// for the GRU); dh_prev = dGh W_hh (+ the direct part) is done by the caller's GEMM.
#pragma once
#include <cstdint>

#include "activation_math.h"

namespace kernels {

enum class RnnMode : int { RnnTanh = 0, RnnRelu = 1, Lstm = 2, Gru = 3 };

inline int rnn_num_gates(RnnMode m) { return m == RnnMode::Lstm ? 4 : m == RnnMode::Gru ? 3 : 1; }
inline bool rnn_has_extra(RnnMode m) { return m == RnnMode::Lstm || m == RnnMode::Gru; }
inline const char* rnn_mode_name(RnnMode m) {
  switch (m) {
    case RnnMode::RnnTanh: return "rnn_tanh";
    case RnnMode::RnnRelu: return "rnn_relu";
    case RnnMode::Lstm: return "lstm";
    case RnnMode::Gru: return "gru";
  }
  return "rnn";
}

namespace rnn {

// The nonlinearities, as a policy so that the CPU can swap in vectorisable versions
// (csrc/cpu/rnn_avx2.cpp) while the maths below stays written once.
struct ActMath {
  template <class T>
  static KERNELS_HD T sigmoid(T x) {
    return act::k_sigmoid(x);
  }
  template <class T>
  static KERNELS_HD T tanh(T x) {
    return act::k_tanh(x);
  }
};

// ---------------------------------------------------------------- forward, one unit
// gx: the row's G*H projections (overwritten by the saved activations); gh: the hidden ones.

template <class T, bool Relu, class M = ActMath>
KERNELS_HD T rnn_fwd(T* gx, const T* gh, const T* bih, const T* bhh, int64_t j) {
  const T pre = gx[j] + bih[j] + gh[j] + bhh[j];
  const T h = Relu ? (pre > T(0) ? pre : T(0)) : M::tanh(pre);
  gx[j] = h;
  return h;
}

template <class T, class M = ActMath>
KERNELS_HD T lstm_fwd(T* gx, const T* gh, const T* bih, const T* bhh, int64_t H, int64_t j,
                      T c_prev, T& c_out) {
  T a[4];
  for (int q = 0; q < 4; ++q) {
    const int64_t k = q * H + j;
    a[q] = gx[k] + bih[k] + gh[k] + bhh[k];
  }
  const T i = M::sigmoid(a[0]), f = M::sigmoid(a[1]), g = M::tanh(a[2]), o = M::sigmoid(a[3]);
  gx[j] = i;
  gx[H + j] = f;
  gx[2 * H + j] = g;
  gx[3 * H + j] = o;
  const T c = f * c_prev + i * g;
  c_out = c;
  return o * M::tanh(c);
}

template <class T, class M = ActMath>
KERNELS_HD T gru_fwd(T* gx, const T* gh, const T* bih, const T* bhh, int64_t H, int64_t j, T h_prev,
                     T& hn_out) {
  const T r = M::sigmoid(gx[j] + bih[j] + gh[j] + bhh[j]);
  const T z = M::sigmoid(gx[H + j] + bih[H + j] + gh[H + j] + bhh[H + j]);
  const T hn = gh[2 * H + j] + bhh[2 * H + j];
  const T n = M::tanh(gx[2 * H + j] + bih[2 * H + j] + r * hn);
  gx[j] = r;
  gx[H + j] = z;
  gx[2 * H + j] = n;
  hn_out = hn;
  return (T(1) - z) * n + z * h_prev;
}

// ---------------------------------------------------------------- backward, one unit
// sv: the row's saved activations; dgx / dgh: the row's gradients of the projections.

template <class T, bool Relu>
KERNELS_HD void rnn_bwd(const T* sv, T dh, int64_t j, T* dg) {
  const T h = sv[j];
  dg[j] = Relu ? (h > T(0) ? dh : T(0)) : dh * (T(1) - h * h);
}

// Returns dc_prev.
template <class T, class M = ActMath>
KERNELS_HD T lstm_bwd(const T* sv, T c, T c_prev, T dh, T dc, int64_t H, int64_t j, T* dg) {
  const T i = sv[j], f = sv[H + j], g = sv[2 * H + j], o = sv[3 * H + j];
  const T tc = M::tanh(c);
  dc += dh * o * (T(1) - tc * tc);
  dg[j] = dc * g * i * (T(1) - i);
  dg[H + j] = dc * c_prev * f * (T(1) - f);
  dg[2 * H + j] = dc * i * (T(1) - g * g);
  dg[3 * H + j] = dh * tc * o * (T(1) - o);
  return dc * f;
}

// Returns the direct part of dh_prev (dh z).
template <class T>
KERNELS_HD T gru_bwd(const T* sv, T hn, T h_prev, T dh, int64_t H, int64_t j, T* dgx, T* dgh) {
  const T r = sv[j], z = sv[H + j], n = sv[2 * H + j];
  const T dn = dh * (T(1) - z) * (T(1) - n * n);
  const T dz = dh * (h_prev - n) * z * (T(1) - z);
  const T dr = dn * hn * r * (T(1) - r);
  dgx[j] = dr;
  dgx[H + j] = dz;
  dgx[2 * H + j] = dn;
  dgh[j] = dr;
  dgh[H + j] = dz;
  dgh[2 * H + j] = dn * r;
  return dh * z;
}

}  // namespace rnn
}  // namespace kernels
