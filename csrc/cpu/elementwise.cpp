// Elementwise ops with NumPy broadcasting, their gradients, and sum_to.
//
// Shapes: a is (A...), b is (B...); out is (O...) = broadcast(A, B) (right-aligned, size-1 dims
// stretch). Below, a and b are read at out's index through their broadcast strides.
//
//   binary     out = a + b | a - b | a * b | a / b | a ^ b | maximum(a,b) | minimum(a,b)
//              out = a == b | != | < | <= | > | >=          (bool)
//              out = a && b | a || b                        (bool in, bool out)
//   scalar     out = a + s | a * s | s - a | a / s | s / a | a ^ s | s ^ a | a <cmp> s
//   unary      out = -x | exp x | log x | sqrt x | |x| | sign x | !x
//   clamp      out = min(max(x, lo), hi)   (either bound optional; NaN stays NaN)
//   where      out = cond ? a : b          (cond, a, b broadcast three ways)
//
// Gradients, at out's shape (then sum_to each operand's shape):
//   d(a*b):    da = g b,            db = g a
//   d(a/b):    da = g / b,          db = -g (a/b) / b
//   d(a^b):    da = g b a^(b-1)  (0 where b == 0),   db = g a^b log a  (0 where a == 0, b >= 0)
//   maximum:   da = g where a > b, g/2 where a == b, else 0;   db symmetric.  minimum likewise.
//   where:     da = g where cond,   db = g where !cond
//   exp:       dx = g y        log: dx = g / x      sqrt: dx = g / (2 y)     abs: dx = g sign(x)
//   log1p:     dx = g / (1 + x)     expm1: dx = g (y + 1)     sin: dx = g cos(x)     cos: dx = -g sin(x)
//   clamp:     dx = g where lo <= x <= hi, else 0
//   s / a:     da = -g s / a^2     a ^ s: da = g s a^(s-1) (0 if s == 0)
//   s ^ a:     da = g s^a log s (0 where s == 0 and a >= 0)
//
// sum_to: t is (T...), out is (S...) broadcast-compatible with T (len S <= len T, S_j == 1 or
//   S_j == T_j aligned right): out[o] = sum of t over every index that broadcasts onto o.
//
// Loops: a broadcast layout merges dims so that the innermost dim has unit or zero stride in each
// operand; work is split over the flat output range (OpenMP above kGrainElementwise) and each
// chunk is walked in runs along the innermost dim, with a contiguous, scalar-broadcast or
// constant inner loop that the compiler vectorises.
#include "../contracts/elementwise.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../common/broadcast.h"
#include "../common/dispatch.h"
#include "../common/elementwise_dispatch.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

// ---------------------------------------------------------------------------------------------
// Loop drivers: the `Loops` policy of csrc/common/elementwise_dispatch.h (its `op` argument names
// a CUDA launch for its error check; the CPU has no launch to check)
// ---------------------------------------------------------------------------------------------

// Split the flat output range [0, n) over threads; call body(pos, offsets, len) for each run of
// `len` outputs starting at `pos` that lies within one innermost row of the layout.
template <int N, class Body>
void for_each_run(const BroadcastLayout<N>& L, int64_t n, const Body& body) {
  const int nd = L.ndim;
  const int64_t inner = L.sizes[nd - 1];
  parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
    Odometer od[N];
    for (int k = 0; k < N; ++k) od[k].init(nd - 1, L.sizes, L.strides[k], b / inner);
    int64_t col = b % inner, pos = b;
    int64_t off[N];
    while (pos < e) {
      const int64_t len = std::min(inner - col, e - pos);
      for (int k = 0; k < N; ++k) off[k] = od[k].offset + col * L.strides[k][nd - 1];
      body(pos, off, len);
      pos += len;
      col = 0;
      for (int k = 0; k < N; ++k) od[k].next();
    }
  });
}

// Inner loop of a binary op; the innermost strides of a broadcast layout are always 0 or 1.
template <class A, class B, class Out, class F>
inline void inner2(Out* o, const A* a, int64_t sa, const B* b, int64_t sb, int64_t n, const F& f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (sa == 1) {
    const B bv = *b;
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (sb == 1) {
    const A av = *a;
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    const Out v = f(*a, *b);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  }
}

struct CpuLoops {
  // o[i] = f(a[i]) over contiguous same-shape memory.
  template <class In, class Out, class F>
  static void map1(const char*, const In* a, Out* o, int64_t n, const F& f) {
    parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(a[i]);
    });
  }

  // o[i] = f(a[i], b[i]) over contiguous same-shape memory.
  template <class A, class B, class Out, class F>
  static void map2_same(const char*, const A* a, const B* b, Out* o, int64_t n, const F& f) {
    parallel_for(n, kGrainElementwise, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(a[i], b[i]);
    });
  }

  // out = f(a, b) with a, b broadcast to out's shape.
  template <class A, class B, class Out, class F>
  static void map2(const char* op, const Tensor& ta, const Tensor& tb, Tensor& tout, const F& f) {
    const int64_t n = tout.numel();
    if (n == 0) return;
    const A* a = ta.data<A>();
    const B* b = tb.data<B>();
    Out* o = tout.data<Out>();
    if (ta.shape == tout.shape && tb.shape == tout.shape) return map2_same(op, a, b, o, n, f);
    const auto L = make_broadcast_layout<2>(tout.shape, {&ta.shape, &tb.shape}, "elementwise");
    const int nd = L.ndim;
    const int64_t sa = L.strides[0][nd - 1], sb = L.strides[1][nd - 1];
    for_each_run<2>(L, n, [&](int64_t pos, const int64_t* off, int64_t len) {
      inner2(o + pos, a + off[0], sa, b + off[1], sb, len, f);
    });
  }

  // out = f(a, b, c) with a, b, c broadcast to out's shape.
  template <class A, class B, class C, class Out, class F>
  static void map3(const char*, const Tensor& ta, const Tensor& tb, const Tensor& tc, Tensor& tout,
                   const F& f) {
    const int64_t n = tout.numel();
    if (n == 0) return;
    const A* a = ta.data<A>();
    const B* b = tb.data<B>();
    const C* c = tc.data<C>();
    Out* o = tout.data<Out>();
    const auto L =
        make_broadcast_layout<3>(tout.shape, {&ta.shape, &tb.shape, &tc.shape}, "elementwise");
    const int nd = L.ndim;
    const int64_t sa = L.strides[0][nd - 1], sb = L.strides[1][nd - 1], sc = L.strides[2][nd - 1];
    for_each_run<3>(L, n, [&](int64_t pos, const int64_t* off, int64_t len) {
      Out* op = o + pos;
      const A* ap = a + off[0];
      const B* bp = b + off[1];
      const C* cp = c + off[2];
      if (sa == 1 && sb == 1 && sc == 1) {
        for (int64_t i = 0; i < len; ++i) op[i] = f(ap[i], bp[i], cp[i]);
      } else {
        for (int64_t i = 0; i < len; ++i) op[i] = f(ap[i * sa], bp[i * sb], cp[i * sc]);
      }
    });
  }
};

// ---------------------------------------------------------------------------------------------
// sum_to
// ---------------------------------------------------------------------------------------------

template <class T> struct AccOf { using type = double; };
template <> struct AccOf<int64_t> { using type = int64_t; };

// Sum of n contiguous values with 8 independent accumulators (vectorisable without reassociation
// flags) in the accumulation type.
template <class T, class A>
A contiguous_sum(const T* p, int64_t n) {
  A lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) lanes[k] += static_cast<A>(p[i + k]);
  A s = 0;
  for (; i < n; ++i) s += static_cast<A>(p[i]);
  return s + (((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
              ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])));
}

// Sum over flat reduced indices [rb, re) from `base`, when the innermost reduced dim has stride 1.
template <class T, class A>
A sum_reduced_range(const T* base, const ReduceLayout& L, int64_t rb, int64_t re) {
  const int64_t S = L.rsizes[L.nr - 1];
  Odometer od;
  od.init(L.nr - 1, L.rsizes, L.rstrides, rb / S);
  int64_t col = rb % S, pos = rb;
  A acc = 0;
  while (pos < re) {
    const int64_t len = std::min(S - col, re - pos);
    acc += contiguous_sum<T, A>(base + od.offset + col, len);
    pos += len;
    col = 0;
    od.next();
  }
  return acc;
}

template <class T>
void sum_to_impl(const T* in, T* out, const ReduceLayout& L) {
  using A = typename AccOf<T>::type;
  const int64_t M = L.kept, R = L.reduced;
  const int nt = max_threads();
  const bool small = M * R < 2 * kGrainElementwise;
  if (!L.inner_kept) {
    // Innermost dim reduced: every output is a sum of contiguous runs.
    if (M >= nt || small) {
      parallel_for(M, std::max<int64_t>(1, kGrainElementwise / R), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) {
          const T* base = in + Odometer::offset_of(L.nk, L.ksizes, L.kstrides, o);
          out[o] = static_cast<T>(sum_reduced_range<T, A>(base, L, 0, R));
        }
      });
      return;
    }
    // Few outputs, long sums: split each sum into per-thread partials.
    const int64_t C = std::min<int64_t>(nt, (R + kGrainElementwise - 1) / kGrainElementwise);
    std::vector<A> part(C);
    for (int64_t o = 0; o < M; ++o) {
      const T* base = in + Odometer::offset_of(L.nk, L.ksizes, L.kstrides, o);
      parallel_for(C, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) part[c] = sum_reduced_range<T, A>(base, L, R * c / C, R * (c + 1) / C);
      });
      A s = 0;
      for (int64_t c = 0; c < C; ++c) s += part[c];
      out[o] = static_cast<T>(s);
    }
    return;
  }
  // Innermost dim kept (length S, stride 1): each output row of S values accumulates the input
  // rows that broadcast onto it, streaming through them in memory order.
  const int64_t S = L.ksizes[L.nk - 1], Mo = M / S;
  // Adds input rows [rb, re) (flat over the reduced dims) of output row `oo`, columns [c0, c1),
  // into acc[0, c1 - c0).
  auto accumulate = [&](A* acc, int64_t oo, int64_t rb, int64_t re, int64_t c0, int64_t c1) {
    const T* base = in + Odometer::offset_of(L.nk - 1, L.ksizes, L.kstrides, oo) + c0;
    const int64_t w = c1 - c0;
    Odometer od;
    od.init(L.nr, L.rsizes, L.rstrides, rb);
    for (int64_t r = rb; r < re; ++r) {
      const T* p = base + od.offset;
      for (int64_t j = 0; j < w; ++j) acc[j] += static_cast<A>(p[j]);
      od.next();
    }
  };
  if (Mo >= nt || small) {
    // Many output rows: one task per row.
    parallel_for(Mo, std::max<int64_t>(1, kGrainElementwise / (R * S)), [&](int64_t b, int64_t e) {
      std::vector<A> acc(static_cast<size_t>(S));
      for (int64_t oo = b; oo < e; ++oo) {
        std::fill(acc.begin(), acc.end(), A(0));
        accumulate(acc.data(), oo, 0, R, 0, S);
        T* dst = out + oo * S;
        for (int64_t j = 0; j < S; ++j) dst[j] = static_cast<T>(acc[j]);
      }
    });
    return;
  }
  const int64_t C = std::min<int64_t>(nt, (M * R + kGrainElementwise - 1) / kGrainElementwise);
  if (M <= (int64_t(1) << 18)) {
    // Few, short output rows and a long reduction (a bias gradient): each thread sums a slice of
    // the reduction into its own partial rows, which are added at the end.
    std::vector<A> part(static_cast<size_t>(C * M), A(0));
    parallel_for(C, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c)
        for (int64_t oo = 0; oo < Mo; ++oo)
          accumulate(part.data() + c * M + oo * S, oo, R * c / C, R * (c + 1) / C, 0, S);
    });
    for (int64_t m = 0; m < M; ++m) {
      A s = 0;
      for (int64_t c = 0; c < C; ++c) s += part[c * M + m];
      out[m] = static_cast<T>(s);
    }
    return;
  }
  // Few but very long output rows: split each row into wide column blocks.
  const int64_t blk = std::max<int64_t>(4096, (S + 4 * nt - 1) / (4 * nt));
  const int64_t nblk = (S + blk - 1) / blk;
  parallel_for(Mo * nblk, 1, [&](int64_t b, int64_t e) {
    std::vector<A> acc(static_cast<size_t>(blk));
    for (int64_t t = b; t < e; ++t) {
      const int64_t oo = t / nblk, c0 = (t % nblk) * blk, c1 = std::min(S, c0 + blk);
      std::fill(acc.begin(), acc.end(), A(0));
      accumulate(acc.data(), oo, 0, R, c0, c1);
      T* dst = out + oo * S;
      for (int64_t j = c0; j < c1; ++j) dst[j] = static_cast<T>(acc[j - c0]);
    }
  });
}

}  // namespace

// Entry points: the op -> functor dispatch of csrc/common/elementwise_dispatch.h on the CPU loops.
KERNELS_DEFINE_ELEMENTWISE_ENTRY_POINTS(CpuLoops)

void sum_to(const Tensor& t, Tensor& out) {
  if (out.numel() == 0) return;
  const ReduceLayout L = make_reduce_layout(t.shape, out.shape);
  KERNELS_DISPATCH_NUMERIC(t.dtype, "sum_to", [&] {
    using T = scalar_t;
    if (t.numel() == 0) {  // summing nothing gives zeros
      std::fill(out.data<T>(), out.data<T>() + out.numel(), T(0));
    } else if (L.nr == 0) {  // nothing to sum: the same elements in the same order
      std::memcpy(out.raw_data(), t.raw_data(), t.nbytes());
    } else {
      sum_to_impl(t.data<T>(), out.data<T>(), L);
    }
  });
}

}  // namespace kernels::cpu
