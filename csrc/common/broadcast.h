// NumPy broadcasting, shared by every elementwise kernel (CPU and CUDA) and by sum_to.
//
//   broadcast_shapes(a, b):  shapes are aligned on the right; a dim of size 1 (or a missing
//                            leading dim) stretches to the other's size; any other mismatch is an
//                            error. (3,1,5) and (4,5) -> (3,4,5).
//   BroadcastLayout<N>:      the output shape and, for each of N operands, its element strides
//                            in the output's index space (0 along broadcast dims), with size-1
//                            dims dropped and neighbouring dims merged wherever every operand
//                            is contiguous across them. A same-shape op collapses to one dim; a
//                            row-vector broadcast to two. Passed by value to CUDA kernels.
//   ReduceLayout:            sum_to's view of its input: the dims that survive into the output
//                            ("kept") and the dims that are summed away ("reduced"), each run of
//                            neighbouring dims of one kind merged into a single dim.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "arg_checks.h"
#include "strided.h"  // KERNELS_HD

namespace kernels {

// The broadcast of two shapes; ValueError naming `op` and both shapes when they do not fit.
inline std::vector<int64_t> broadcast_shapes(const char* op, const std::vector<int64_t>& a,
                                             const std::vector<int64_t>& b) {
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    KCHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
           " are not broadcastable");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

inline std::vector<int64_t> broadcast_shapes(const char* op, const std::vector<int64_t>& a,
                                             const std::vector<int64_t>& b,
                                             const std::vector<int64_t>& c) {
  const size_t n = std::max(a.size(), std::max(b.size(), c.size()));
  std::vector<int64_t> out(n);
  const std::vector<int64_t>* all[3] = {&a, &b, &c};
  for (size_t i = 0; i < n; ++i) {
    int64_t size = 1;
    for (const auto* s : all) {
      const int64_t d = i < n - s->size() ? 1 : (*s)[i - (n - s->size())];
      KCHECK(d == 1 || size == 1 || d == size, op, ": shapes ", shape_str(a), ", ", shape_str(b),
             " and ", shape_str(c), " are not broadcastable");
      if (d != 1) size = d;
    }
    out[i] = size;
  }
  return out;
}

// True when `from` broadcasts to exactly `to` (in-place ops: the right operand must fit the left).
inline bool broadcasts_to(const std::vector<int64_t>& from, const std::vector<int64_t>& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

template <int N>
struct BroadcastLayout {
  int ndim = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];

  // Element offsets, into each operand, of the output's i-th element (row-major).
  KERNELS_HD void offsets(int64_t i, int64_t* off) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t idx = i % sizes[d];
      i /= sizes[d];
      for (int k = 0; k < N; ++k) off[k] += idx * strides[k][d];
    }
  }
};

// Layout of N operands (shapes `ins`, each broadcastable to `out`) over the output `out`.
// Always has at least one dim (a scalar output is one dim of size 1).
template <int N>
BroadcastLayout<N> make_broadcast_layout(const std::vector<int64_t>& out,
                                         const std::array<const std::vector<int64_t>*, N>& ins,
                                         const char* op) {
  const int nd = static_cast<int>(out.size());
  // Full (uncoalesced) strides of each operand in the output's index space.
  std::vector<std::array<int64_t, N>> st(nd);
  for (int k = 0; k < N; ++k) {
    const auto& s = *ins[k];
    const int lead = nd - static_cast<int>(s.size());
    int64_t stride = 1;
    for (int d = nd - 1; d >= 0; --d) {
      const int64_t size = d < lead ? 1 : s[d - lead];
      st[d][k] = size == 1 ? 0 : stride;
      stride *= size;
    }
  }
  std::vector<int64_t> sizes;
  std::vector<std::array<int64_t, N>> strides;
  for (int d = 0; d < nd; ++d) {
    if (out[d] == 1) continue;
    bool merge = !sizes.empty();
    for (int k = 0; merge && k < N; ++k) merge = strides.back()[k] == st[d][k] * out[d];
    if (merge) {
      sizes.back() *= out[d];
      strides.back() = st[d];
    } else {
      sizes.push_back(out[d]);
      strides.push_back(st[d]);
    }
  }
  KCHECK(static_cast<int>(sizes.size()) <= kMaxDims, op, ": broadcasting over more than ",
         kMaxDims, " dims is not supported, got output shape ", shape_str(out));
  BroadcastLayout<N> L;
  if (sizes.empty()) {  // every dim is 1: one element
    L.ndim = 1;
    L.sizes[0] = 1;
    for (int k = 0; k < N; ++k) L.strides[k][0] = 0;
    return L;
  }
  L.ndim = static_cast<int>(sizes.size());
  for (int d = 0; d < L.ndim; ++d) {
    L.sizes[d] = sizes[d];
    for (int k = 0; k < N; ++k) L.strides[k][d] = strides[d][k];
  }
  return L;
}

// A walk over a row-major index space of up to kMaxDims dims with one stride per dim, keeping the
// running offset so that stepping costs one add in the common case.
struct Odometer {
  int ndim = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxDims];
  int64_t idx[kMaxDims];
  int64_t offset = 0;

  KERNELS_HD static int64_t offset_of(int nd, const int64_t* sz, const int64_t* st, int64_t i) {
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; --d) {
      off += (i % sz[d]) * st[d];
      i /= sz[d];
    }
    return off;
  }
  KERNELS_HD void init(int nd, const int64_t* sz, const int64_t* st, int64_t start) {
    ndim = nd;
    offset = 0;
    for (int d = nd - 1; d >= 0; --d) {
      sizes[d] = sz[d];
      strides[d] = st[d];
      idx[d] = start % sz[d];
      start /= sz[d];
      offset += idx[d] * st[d];
    }
  }
  KERNELS_HD void next() {
    for (int d = ndim - 1; d >= 0; --d) {
      offset += strides[d];
      if (++idx[d] < sizes[d]) return;
      offset -= idx[d] * strides[d];
      idx[d] = 0;
    }
  }
};

// sum_to's input split into kept dims (row-major order = the output's contiguous order) and
// reduced dims, with their input strides. The input is contiguous, so after dropping size-1 dims
// neighbouring dims of one kind always merge.
struct ReduceLayout {
  int nk = 0, nr = 0;
  int64_t ksizes[kMaxDims], kstrides[kMaxDims];
  int64_t rsizes[kMaxDims], rstrides[kMaxDims];
  int64_t kept = 1, reduced = 1;  // numel of each group
  bool inner_kept = true;         // the innermost (stride-1) input dim is kept
};

// `out` must be broadcast-compatible with `in` (checked by the caller).
inline ReduceLayout make_reduce_layout(const std::vector<int64_t>& in,
                                       const std::vector<int64_t>& out) {
  ReduceLayout L;
  const int nd = static_cast<int>(in.size());
  const int lead = nd - static_cast<int>(out.size());
  int64_t stride = 1;
  std::vector<int64_t> stride_of(nd);
  for (int d = nd - 1; d >= 0; --d) {
    stride_of[d] = stride;
    stride *= in[d];
  }
  int last = -1;  // kind of the previous surviving dim: 0 kept, 1 reduced
  for (int d = 0; d < nd; ++d) {
    if (in[d] == 1) continue;
    const bool kept = d >= lead && out[d - lead] == in[d];
    if (kept) {
      if (last == 0) {
        L.ksizes[L.nk - 1] *= in[d];
        L.kstrides[L.nk - 1] = stride_of[d];
      } else {
        L.ksizes[L.nk] = in[d];
        L.kstrides[L.nk++] = stride_of[d];
      }
      L.kept *= in[d];
    } else {
      if (last == 1) {
        L.rsizes[L.nr - 1] *= in[d];
        L.rstrides[L.nr - 1] = stride_of[d];
      } else {
        L.rsizes[L.nr] = in[d];
        L.rstrides[L.nr++] = stride_of[d];
      }
      L.reduced *= in[d];
    }
    last = kept ? 0 : 1;
  }
  L.inner_kept = last != 1;
  return L;
}

}  // namespace kernels
