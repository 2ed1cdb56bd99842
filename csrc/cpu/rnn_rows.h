// One batch row of the fused pointwise pass of a recurrent step (maths in
// csrc/common/rnn_math.h), as loops over the H hidden units that the compiler can vectorise.
// `M` is the nonlinearity policy: rnn::ActMath (libm) by default, a vectorisable one for float in
// rnn_avx2.cpp. The row pointers never alias each other.
#pragma once
#include <cstdint>
#include <type_traits>

#include "../common/rnn_math.h"

namespace kernels::cpu {

template <class T>
struct RnnFwdRow {
  T* g;             // (G*H) projections in, saved activations out
  const T* gh;      // (G*H) hidden projections
  const T* bih;     // (G*H), zeros when the layer has no bias
  const T* bhh;
  T* h;             // (H) carried state, updated
  T* c;             // (H) carried cell state (lstm), updated
  T* hp;            // (H) saved state the step started from
  T* e;             // (H) saved c (lstm) / hn (gru)
  T* y;             // (H) output
};

template <class T>
struct RnnBwdRow {
  const T* g;   // (G*H) saved activations
  const T* e;   // (H) saved c / hn
  const T* hp;  // (H) state the step started from
  const T* cp;  // (H) cell state the step started from (lstm)
  const T* dy;  // (H) output gradient (zeros when there is none)
  T* dh;        // (H) carried dh: in, and the direct part out (gru)
  T* dc;        // (H) carried dc (lstm), updated
  T* dgx;       // (G*H)
  T* dgh;       // (G*H) (the same as dgx except for the gru)
};

template <class T, class M>
void rnn_fwd_row_impl(RnnMode mode, int64_t H, const RnnFwdRow<T>& r) {
  T* __restrict g = r.g;
  const T* __restrict gh = r.gh;
  T* __restrict h = r.h;
  T* __restrict hp = r.hp;
  T* __restrict y = r.y;
  switch (mode) {
    case RnnMode::RnnTanh:
    case RnnMode::RnnRelu: {  // the plain RNN: the new state is also the output
      const auto rows = [&](auto relu) {
#pragma GCC ivdep
        for (int64_t j = 0; j < H; ++j) {
          hp[j] = h[j];
          const T v = rnn::rnn_fwd<T, decltype(relu)::value, M>(g, gh, r.bih, r.bhh, j);
          h[j] = v;
          y[j] = v;
        }
      };
      if (mode == RnnMode::RnnRelu) rows(std::true_type{});
      else rows(std::false_type{});
      break;
    }
    case RnnMode::Lstm: {
      T* __restrict c = r.c;
      T* __restrict e = r.e;
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) {
        hp[j] = h[j];
        T cn;
        const T v = rnn::lstm_fwd<T, M>(g, gh, r.bih, r.bhh, H, j, c[j], cn);
        c[j] = cn;
        e[j] = cn;
        h[j] = v;
        y[j] = v;
      }
      break;
    }
    case RnnMode::Gru: {
      T* __restrict e = r.e;
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) {
        const T prev = h[j];
        hp[j] = prev;
        T hn;
        const T v = rnn::gru_fwd<T, M>(g, gh, r.bih, r.bhh, H, j, prev, hn);
        e[j] = hn;
        h[j] = v;
        y[j] = v;
      }
      break;
    }
  }
}

template <class T, class M>
void rnn_bwd_row_impl(RnnMode mode, int64_t H, const RnnBwdRow<T>& r) {
  const T* __restrict g = r.g;
  const T* __restrict dy = r.dy;
  T* __restrict dh = r.dh;
  T* __restrict dgx = r.dgx;
  switch (mode) {
    case RnnMode::RnnTanh:
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) rnn::rnn_bwd<T, false>(g, dh[j] + dy[j], j, dgx);
      break;
    case RnnMode::RnnRelu:
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) rnn::rnn_bwd<T, true>(g, dh[j] + dy[j], j, dgx);
      break;
    case RnnMode::Lstm: {
      const T* __restrict e = r.e;
      const T* __restrict cp = r.cp;
      T* __restrict dc = r.dc;
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j)
        dc[j] = rnn::lstm_bwd<T, M>(g, e[j], cp[j], dh[j] + dy[j], dc[j], H, j, dgx);
      break;
    }
    case RnnMode::Gru: {
      const T* __restrict e = r.e;
      const T* __restrict hp = r.hp;
      T* __restrict dgh = r.dgh;
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j)
        dh[j] = rnn::gru_bwd<T>(g, e[j], hp[j], dh[j] + dy[j], H, j, dgx, dgh);
      break;
    }
  }
}

// float rows with vectorised nonlinearities (rnn_avx2.cpp); only call when the CPU has AVX2+FMA.
void rnn_fwd_row_avx2(RnnMode mode, int64_t H, const RnnFwdRow<float>& r);
void rnn_bwd_row_avx2(RnnMode mode, int64_t H, const RnnBwdRow<float>& r);

}  // namespace kernels::cpu
