// Padding on the CPU. x has shape in[0..D), y = pad(x) shape out[d] = in[d] + before[d] + after[d];
// per dim an index map s_d(o) = pad_source(o, in[d], before[d], after[d], mode) (-1: constant):
//   y[o_0, ..., o_{D-1}] = x[s_0(o_0), ..., s_{D-1}(o_{D-1})], or value if any s_d(o_d) = -1
//   dx[s_0(o_0), ...] += dy[o_0, ...]          (reflect / replicate / circular; accumulates)
// The constant mode's gradient is the same gather with the pads negated (a crop), so it has no
// backward kernel here.
//
// Both walk the output one row (last dim) at a time: the row's source row comes from the maps of
// the other dims, and the run of the row that is a plain shifted copy of the source row,
// [max(l, 0), min(out, in + l)), is copied (or added) contiguously; only the edges use the map.
// The forward is parallel over rows; the backward over the leading unpadded dims' planes, so two
// threads never add into the same element.
#include "../contracts/pad.h"

#include <algorithm>
#include <vector>

#include "../common/dispatch.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

struct Maps {
  std::vector<std::vector<int64_t>> m;  // per dim, out[d] entries
  int64_t in_stride[kPadMaxDims] = {};
  int64_t run0 = 0, run1 = 0;  // the last dim's shifted-copy run
};

Maps make_maps(const PadGeom& g) {
  Maps M;
  M.m.resize(static_cast<size_t>(g.D));
  for (int d = 0; d < g.D; ++d) {
    M.m[d].resize(static_cast<size_t>(g.out[d]));
    for (int64_t o = 0; o < g.out[d]; ++o) M.m[d][o] = pad_source(o, g.in[d], g.before[d], g.after[d], g.mode);
  }
  int64_t s = 1;
  for (int d = g.D - 1; d >= 0; --d) {
    M.in_stride[d] = s;
    s *= g.in[d];
  }
  const int last = g.D - 1;
  const int64_t l = g.before[last];
  M.run0 = std::min(std::max<int64_t>(l, 0), g.out[last]);
  M.run1 = std::max(M.run0, std::min(g.out[last], g.in[last] + l));
  return M;
}

// Input offset of output row r (all dims but the last, dims [d0, D-1)), or -1 if the row is
// constant padding. r counts rows within dims [d0, D-1).
int64_t source_row(const PadGeom& g, const Maps& M, int d0, int64_t r) {
  int64_t off = 0;
  for (int d = g.D - 2; d >= d0; --d) {
    const int64_t o = r % g.out[d];
    r /= g.out[d];
    const int64_t s = M.m[d][o];
    if (s < 0) return -1;
    off += s * M.in_stride[d];
  }
  return off;
}

}  // namespace

void pad_forward(const Tensor& input, const PadGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "pad", [&] {
    using T = scalar_t;
    const Maps M = make_maps(g);
    const T* x = input.data<T>();
    T* y = out.data<T>();
    const int last = g.D - 1;
    const int64_t L = g.out[last], l = g.before[last];
    const std::vector<int64_t>& ml = M.m[last];
    const T value = static_cast<T>(g.value);
    const int64_t rows = L ? out.numel() / L : 0;
    parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(L, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        T* yr = y + r * L;
        const int64_t src = source_row(g, M, 0, r);
        if (src < 0) {
          std::fill(yr, yr + L, value);
          continue;
        }
        const T* xr = x + src;
        for (int64_t o = 0; o < M.run0; ++o) yr[o] = ml[o] >= 0 ? xr[ml[o]] : value;
        std::copy(xr + (M.run0 - l), xr + (M.run1 - l), yr + M.run0);
        for (int64_t o = M.run1; o < L; ++o) yr[o] = ml[o] >= 0 ? xr[ml[o]] : value;
      }
    });
  });
}

void pad_backward(const Tensor& grad, const PadGeom& g, Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "pad_backward", [&] {
    using T = scalar_t;
    const Maps M = make_maps(g);
    const T* gy = grad.data<T>();
    T* dx = dinput.data<T>();
    const int last = g.D - 1, d0 = g.D - g.padded;  // dims [d0, D) are padded
    int64_t planes = 1, in_plane = 1, out_plane = 1;
    for (int d = 0; d < d0; ++d) planes *= g.in[d];
    for (int d = d0; d < g.D; ++d) {
      in_plane *= g.in[d];
      out_plane *= g.out[d];
    }
    const int64_t L = g.out[last], l = g.before[last];
    const std::vector<int64_t>& ml = M.m[last];
    const int64_t rows = L ? out_plane / L : 0;
    parallel_for(planes, std::max<int64_t>(1, 8192 / std::max<int64_t>(out_plane, 1)),
                 [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        T* dp = dx + p * in_plane;
        const T* gp = gy + p * out_plane;
        std::fill(dp, dp + in_plane, T(0));
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t src = source_row(g, M, d0, r);  // non-constant modes: never -1
          T* dr = dp + src;
          const T* gr = gp + r * L;
          for (int64_t o = 0; o < M.run0; ++o) dr[ml[o]] += gr[o];
          T* __restrict dd = dr + (M.run0 - l);
          const T* __restrict gg = gr + M.run0;
          for (int64_t o = 0; o < M.run1 - M.run0; ++o) dd[o] += gg[o];
          for (int64_t o = M.run1; o < L; ++o) dr[ml[o]] += gr[o];
        }
      }
    });
  });
}

}  // namespace kernels::cpu
