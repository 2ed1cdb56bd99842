// Reductions over the middle dim of a contiguous (outer, R, inner) block; outputs are (outer, inner)
// and `col` = o * inner + i names one output.
//   sum:    out[col]  = sum_r x[o,r,i]                      (float32 accumulated in double)
//   mean:   out[col]  = sum[col] / R                        (R = 0 gives nan, as 0/0)
//   var:    m = mean[col];  out[col] = sum_r (x[o,r,i] - m)^2 / max(0, R - correction)
//           (two passes in double: mean first, then the squared deviations); std = sqrt(var)
//   max:    values[col] = max_r x[o,r,i], indices[col] = the FIRST r that attains it; NaN counts as
//           larger than everything, so the first NaN wins. min likewise with "smaller".
// Gradients (dx is (outer, R, inner) like x, grad is (outer, inner) like the output):
//   sum/mean:  dx[o,r,i] = grad[col] * scale                 (scale 1 or 1/R)
//   var:       dx[o,r,i] = 2 (x[o,r,i] - mean[col]) grad[col] / max(0, R - correction)
//   std:       as var with grad[col] replaced by grad[col] / (2 std[col])
//   max(dim):  dx = 0 except dx[o, indices[col], i] = grad[col]
//   amax:      dx[o,r,i] = grad[col] / count[col] where x[o,r,i] == out[col] (ties share evenly)
//
// Work split: when there are few outputs and a long R (a full reduction), R is cut into fixed
// chunks whose partial results are combined in chunk order, so the answer does not depend on the
// number of threads. Inner dims are walked in tiles of kTile columns held in a local accumulator
// array so the innermost loop is unit-stride and vectorisable.
#include "../contracts/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "../common/dispatch.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

constexpr int64_t kTile = 1024;         // inner columns per task (an 8 KB double accumulator)
constexpr int64_t kChunkWork = 65536;   // elements per chunk when R is split
constexpr int64_t kMinTasks = 64;       // split R until there are this many tasks (if R allows)

template <class T>
struct Acc {
  using type = double;
};
template <>
struct Acc<int64_t> {
  using type = int64_t;
};
template <>
struct Acc<bool> {
  using type = int64_t;
};

// How many chunks to cut R into. Depends only on the shape (not on the thread count), so results
// are reproducible across machines.
int64_t r_chunks_for(const ReduceGeom& g) {
  const int64_t width = std::min(g.inner, kTile);
  const int64_t units = g.outer * ((g.inner + kTile - 1) / kTile);  // tasks without splitting R
  const int64_t min_len = std::max<int64_t>(1, kChunkWork / width);  // rows per chunk at least
  if (units >= kMinTasks || g.R < 2 * min_len) return 1;
  return std::max<int64_t>(1, std::min((kMinTasks + units - 1) / units, g.R / min_len));
}

// out[col] = sum_r map(x[o,r,i], col) for every col, in accumulator type A.
template <class T, class A, class Map>
void sum_reduce(const T* x, const ReduceGeom& g, A* out, const Map& map) {
  const int64_t cols = g.cols(), R = g.R, inner = g.inner;
  if (cols == 0) return;
  const int64_t nch = r_chunks_for(g);
  const int64_t rlen = (R + nch - 1) / std::max<int64_t>(nch, 1);
  std::vector<A> partial_buf(nch > 1 ? static_cast<size_t>(nch * cols) : 0);
  A* part = nch > 1 ? partial_buf.data() : out;

  if (inner == 1) {
    const int64_t tasks = g.outer * nch;
    parallel_for(tasks, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(rlen, 1)),
                 [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / nch, c = t % nch;
        const int64_t r0 = std::min(R, c * rlen), r1 = std::min(R, r0 + rlen);
        const T* p = x + o * R;
        // Eight independent accumulators: a vectorisable loop and a shorter rounding chain.
        A a[8] = {};
        int64_t r = r0;
        for (; r + 8 <= r1; r += 8)
          for (int j = 0; j < 8; ++j) a[j] += map(p[r + j], o);
        for (; r < r1; ++r) a[0] += map(p[r], o);
        part[c * cols + o] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
      }
    });
  } else {
    const int64_t tiles = (inner + kTile - 1) / kTile;
    const int64_t tasks = g.outer * tiles * nch;
    const int64_t per_task = rlen * std::min(inner, kTile);
    parallel_for(tasks, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(per_task, 1)),
                 [&](int64_t b, int64_t e) {
      A acc[kTile];
      for (int64_t t = b; t < e; ++t) {
        const int64_t c = t % nch, ot = t / nch, tile = ot % tiles, o = ot / tiles;
        const int64_t i0 = tile * kTile, w = std::min(kTile, inner - i0);
        const int64_t r0 = std::min(R, c * rlen), r1 = std::min(R, r0 + rlen);
        const int64_t col0 = o * inner + i0;
        for (int64_t j = 0; j < w; ++j) acc[j] = A(0);
        for (int64_t r = r0; r < r1; ++r) {
          const T* p = x + (o * R + r) * inner + i0;
          for (int64_t j = 0; j < w; ++j) acc[j] += map(p[j], col0 + j);
        }
        std::memcpy(part + c * cols + col0, acc, static_cast<size_t>(w) * sizeof(A));
      }
    });
  }
  if (nch > 1) {
    for (int64_t col = 0; col < cols; ++col) {
      A s = part[col];
      for (int64_t c = 1; c < nch; ++c) s += part[c * cols + col];
      out[col] = s;
    }
  }
}

// Per-column mean in double.
template <class T>
std::vector<double> column_means(const T* x, const ReduceGeom& g) {
  std::vector<double> mean(static_cast<size_t>(g.cols()));
  sum_reduce<T, double>(x, g, mean.data(), [](T v, int64_t) { return static_cast<double>(v); });
  const double inv = 1.0 / static_cast<double>(g.R);
  for (auto& m : mean) m = g.R ? m * inv : std::numeric_limits<double>::quiet_NaN();
  return mean;
}

template <class T>
inline bool is_nan(T v) {
  return v != v;  // false for integers and bool
}

// Does v replace the current best? Strict comparison keeps the first of equal values; a NaN beats
// any number and a later NaN does not beat an earlier one.
template <bool IsMax, class T>
inline bool better(T v, T best) {
  // Written with & and | so the compiler can turn the update into selects.
  return (!is_nan(best)) & (is_nan(v) | (IsMax ? (v > best) : (v < best)));
}

// Order-independent merge of two (value, index) candidates: the better value, and on equal values
// (or two NaNs) the smaller index.
template <bool IsMax, class T>
inline bool prefer_second(T v1, int64_t i1, T v2, int64_t i2) {
  if (better<IsMax>(v2, v1)) return true;
  if (better<IsMax>(v1, v2)) return false;
  return i2 < i1;
}

// First best element of p[r0, r1) (r1 > r0), scanned in 8 interleaved lanes.
template <bool IsMax, class T>
inline void arg_scan_row(const T* p, int64_t r0, int64_t r1, T& best_v, int64_t& best_i) {
  constexpr int L = 8;
  if (r1 - r0 < 2 * L) {
    T bv = p[r0];
    int64_t bi = r0;
    for (int64_t r = r0 + 1; r < r1; ++r) {
      const bool take = better<IsMax>(p[r], bv);
      bv = take ? p[r] : bv;
      bi = take ? r : bi;
    }
    best_v = bv;
    best_i = bi;
    return;
  }
  T bv[L];
  int64_t bi[L];
  for (int j = 0; j < L; ++j) {
    bv[j] = p[r0 + j];
    bi[j] = r0 + j;
  }
  int64_t r = r0 + L;
  for (; r + L <= r1; r += L) {
    for (int j = 0; j < L; ++j) {
      const T v = p[r + j];
      const bool take = better<IsMax>(v, bv[j]);
      bv[j] = take ? v : bv[j];
      bi[j] = take ? r + j : bi[j];
    }
  }
  T v = bv[0];
  int64_t k = bi[0];
  for (int j = 1; j < L; ++j)
    if (prefer_second<IsMax>(v, k, bv[j], bi[j])) {
      v = bv[j];
      k = bi[j];
    }
  for (; r < r1; ++r)
    if (better<IsMax>(p[r], v)) {
      v = p[r];
      k = r;
    }
  best_v = v;
  best_i = k;
}

template <bool IsMax, class T>
void arg_reduce(const T* x, const ReduceGeom& g, T* values, int64_t* indices) {
  const int64_t cols = g.cols(), R = g.R, inner = g.inner;
  if (cols == 0 || R == 0) return;
  const int64_t nch = r_chunks_for(g);
  const int64_t rlen = (R + nch - 1) / nch;
  // (not std::vector<T>: vector<bool> packs bits)
  std::unique_ptr<T[]> pv(new T[static_cast<size_t>(nch * cols)]);
  std::unique_ptr<int64_t[]> pi(new int64_t[static_cast<size_t>(nch * cols)]);
  const int64_t nchunks_used = (R + rlen - 1) / rlen;  // every used chunk is non-empty

  const int64_t tiles = (inner + kTile - 1) / kTile;
  const int64_t tasks = g.outer * tiles * nchunks_used;
  const int64_t per_task = rlen * std::min(inner, kTile);
  parallel_for(tasks, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(per_task, 1)),
               [&](int64_t b, int64_t e) {
    T best[kTile];
    int64_t bi[kTile];
    for (int64_t t = b; t < e; ++t) {
      const int64_t c = t % nchunks_used, ot = t / nchunks_used, tile = ot % tiles, o = ot / tiles;
      const int64_t i0 = tile * kTile, w = std::min(kTile, inner - i0);
      const int64_t r0 = c * rlen, r1 = std::min(R, r0 + rlen);
      const int64_t col0 = o * inner + i0;
      if (inner == 1) {
        arg_scan_row<IsMax>(x + o * R, r0, r1, pv[c * cols + o], pi[c * cols + o]);
        continue;
      }
      const T* p0 = x + (o * R + r0) * inner + i0;
      for (int64_t j = 0; j < w; ++j) {
        best[j] = p0[j];
        bi[j] = r0;
      }
      for (int64_t r = r0 + 1; r < r1; ++r) {
        const T* p = x + (o * R + r) * inner + i0;
        for (int64_t j = 0; j < w; ++j) {
          const T v = p[j];
          const bool take = better<IsMax>(v, best[j]);
          best[j] = take ? v : best[j];
          bi[j] = take ? r : bi[j];
        }
      }
      for (int64_t j = 0; j < w; ++j) {
        pv[c * cols + col0 + j] = best[j];
        pi[c * cols + col0 + j] = bi[j];
      }
    }
  });
  for (int64_t col = 0; col < cols; ++col) {
    T v = pv[col];
    int64_t k = pi[col];
    for (int64_t c = 1; c < nchunks_used; ++c) {
      if (better<IsMax>(pv[c * cols + col], v)) {
        v = pv[c * cols + col];
        k = pi[c * cols + col];
      }
    }
    if (values) values[col] = v;
    if (indices) indices[col] = k;
  }
}

// Calls f(row, col0, i0) per row of `inner` elements of an (outer, R, inner) block, in parallel.
template <class F>
void for_each_row(const ReduceGeom& g, const F& f) {
  const int64_t rows = g.outer * g.R;
  parallel_for(rows, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(g.inner, 1)),
               [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) f(row, (row / g.R) * g.inner);
  });
}

}  // namespace

void sum_forward(const Tensor& x, const ReduceGeom& g, Tensor& out) {
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(x.dtype, "sum", [&] {
    using A = typename Acc<scalar_t>::type;
    using out_t = std::conditional_t<std::is_same_v<scalar_t, bool>, int64_t, scalar_t>;
    std::vector<A> acc(static_cast<size_t>(g.cols()));
    sum_reduce<scalar_t, A>(x.data<scalar_t>(), g, acc.data(),
                            [](scalar_t v, int64_t) { return static_cast<A>(v); });
    out_t* o = out.data<out_t>();
    for (int64_t c = 0; c < g.cols(); ++c) o[c] = static_cast<out_t>(acc[c]);
  });
}

void mean_forward(const Tensor& x, const ReduceGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "mean", [&] {
    const auto mean = column_means(x.data<scalar_t>(), g);
    scalar_t* o = out.data<scalar_t>();
    for (int64_t c = 0; c < g.cols(); ++c) o[c] = static_cast<scalar_t>(mean[c]);
  });
}

void var_forward(const Tensor& x, const ReduceGeom& g, double correction, bool take_sqrt,
                     Tensor& out) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "var", [&] {
    const scalar_t* xp = x.data<scalar_t>();
    const auto mean = column_means(xp, g);
    std::vector<double> ss(static_cast<size_t>(g.cols()));
    const double* m = mean.data();
    sum_reduce<scalar_t, double>(xp, g, ss.data(), [m](scalar_t v, int64_t col) {
      const double d = static_cast<double>(v) - m[col];
      return d * d;
    });
    const double denom = std::max(0.0, static_cast<double>(g.R) - correction);
    scalar_t* o = out.data<scalar_t>();
    for (int64_t c = 0; c < g.cols(); ++c) {
      const double v = ss[c] / denom;
      o[c] = static_cast<scalar_t>(take_sqrt ? std::sqrt(v) : v);
    }
  });
}

void max_forward(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices) {
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(x.dtype, "max", [&] {
    arg_reduce<true>(x.data<scalar_t>(), g, values.data_or_null<scalar_t>(),
                     indices.data_or_null<int64_t>());
  });
}

void min_forward(const Tensor& x, const ReduceGeom& g, Tensor& values, Tensor& indices) {
  KERNELS_DISPATCH_NUMERIC_OR_BOOL(x.dtype, "min", [&] {
    arg_reduce<false>(x.data<scalar_t>(), g, values.data_or_null<scalar_t>(),
                      indices.data_or_null<int64_t>());
  });
}

void sum_backward(const Tensor& grad, const ReduceGeom& g, double scale, Tensor& dx) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "sum_backward", [&] {
    const scalar_t* gp = grad.data<scalar_t>();
    scalar_t* d = dx.data<scalar_t>();
    const scalar_t s = static_cast<scalar_t>(scale);
    const int64_t inner = g.inner;
    for_each_row(g, [&](int64_t row, int64_t col0) {
      scalar_t* dr = d + row * inner;
      const scalar_t* gr = gp + col0;
      for (int64_t i = 0; i < inner; ++i) dr[i] = gr[i] * s;
    });
  });
}

void var_backward(const Tensor& grad, const Tensor& x, const Tensor& std_out, const ReduceGeom& g,
                      double correction, Tensor& dx) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "var_backward", [&] {
    const scalar_t* xp = x.data<scalar_t>();
    const scalar_t* gp = grad.data<scalar_t>();
    scalar_t* d = dx.data<scalar_t>();
    const auto mean = column_means(xp, g);
    const double* m = mean.data();
    const double k = 2.0 / std::max(0.0, static_cast<double>(g.R) - correction);
    // Per-column factor: grad for var, grad / (2 std) for std.
    std::vector<double> gcol(static_cast<size_t>(g.cols()));
    const scalar_t* sp = std_out.data_or_null<scalar_t>();
    // std: 0 where the spread is 0 (as torch; x - mean is 0 there, and 0 / 0 would be NaN).
    for (int64_t c = 0; c < g.cols(); ++c)
      gcol[c] = sp && sp[c] == 0 ? 0.0
                                 : k * static_cast<double>(gp[c]) / (sp ? 2.0 * static_cast<double>(sp[c]) : 1.0);
    const double* gc = gcol.data();
    const int64_t inner = g.inner;
    for_each_row(g, [&](int64_t row, int64_t col0) {
      const scalar_t* xr = xp + row * inner;
      scalar_t* dr = d + row * inner;
      for (int64_t i = 0; i < inner; ++i)
        dr[i] = static_cast<scalar_t>((static_cast<double>(xr[i]) - m[col0 + i]) * gc[col0 + i]);
    });
  });
}

void index_backward(const Tensor& grad, const Tensor& indices, const ReduceGeom& g, Tensor& dx) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "max_backward", [&] {
    scalar_t* d = dx.data<scalar_t>();
    std::memset(d, 0, dx.nbytes());
    const scalar_t* gp = grad.data<scalar_t>();
    const int64_t* ip = indices.data<int64_t>();
    const int64_t R = g.R, inner = g.inner;
    parallel_for(g.cols(), kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t col = b; col < e; ++col) {
        const int64_t o = col / inner, i = col % inner;
        d[(o * R + ip[col]) * inner + i] = gp[col];
      }
    });
  });
}

void extremum_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                           const ReduceGeom& g, bool nan_ties, Tensor& dx) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "amax_backward", [&] {
    const scalar_t* xp = x.data<scalar_t>();
    const scalar_t* op = out.data<scalar_t>();
    const scalar_t* gp = grad.data<scalar_t>();
    scalar_t* d = dx.data<scalar_t>();
    auto hit = [op](scalar_t v, int64_t col) {
      const scalar_t m = op[col];
      return v == m || (v != v && m != m);
    };
    std::vector<int64_t> count(static_cast<size_t>(g.cols()));
    sum_reduce<scalar_t, int64_t>(xp, g, count.data(),
                                  [&](scalar_t v, int64_t col) { return int64_t(hit(v, col)); });
    const int64_t* cnt = count.data();
    const int64_t inner = g.inner;
    // A NaN extremum: shared among the NaN elements (nan_ties), or NaN over its whole slice
    // (torch's amax rule: NaN != NaN leaves no tied element to receive it).
    const scalar_t nan = std::numeric_limits<scalar_t>::quiet_NaN();
    for_each_row(g, [&](int64_t row, int64_t col0) {
      const scalar_t* xr = xp + row * inner;
      scalar_t* dr = d + row * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t col = col0 + i;
        const bool nan_slice = op[col] != op[col] && !nan_ties;
        dr[i] = nan_slice ? nan : hit(xr[i], col) ? gp[col] / static_cast<scalar_t>(cnt[col]) : scalar_t(0);
      }
    });
  });
}

}  // namespace kernels::cpu
