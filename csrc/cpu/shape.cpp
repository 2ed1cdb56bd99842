// Shape and indexing kernels. Every tensor is contiguous; shapes are seen as (outer, n, inner)
// around the dim an op works on: outer = prod(shape[:dim]), inner = prod(shape[dim+1:]).
//
//   cat:           inputs x_i are (outer, n_i, inner), out is (outer, sum n_i, inner);
//                  out[o, off_i + j, :] = x_i[o, j, :]          backward: split of dout
//   split:         the inverse of cat                           backward: cat of the pieces
//   index_select:  input (outer, N, inner), index (K,), out (outer, K, inner);
//                  out[o, k, :] = input[o, index[k], :]        0 <= index[k] < N
//   index_add:     out (outer, N, inner) += alpha * scatter of source (outer, K, inner):
//                  out[o, index[k], :] += alpha * source[o, k, :]
//                  index_select's backward is index_add into zeros: dinput[o, index[k], :] += dout[o, k, :]
//   gather:        index and out have the same shape S (rank r), input has S except along dim;
//                  out[..i_dim..] = input[..index[..i_dim..]..]  (the other coordinates unchanged)
//   scatter_add:   out[..index[..i_dim..]..] += src[..i_dim..] over the positions of index;
//                  gather's backward is scatter_add into zeros: dinput = scatter_add(0, index, dout)
//   index_linearize: index tensors t_0..t_{k-1} broadcast to shape B index the leading k dims
//                  (sizes d_0..d_{k-1}); flat[b] = sum_j wrap(t_j[b]) * prod(d_{j+1..k-1}),
//                  wrap(v) = v < 0 ? v + d_j : v, valid when -d_j <= v < d_j
//   strided_assign: dst.flat[dst_layout.offset_of(i)] = src.flat[src_layout.offset_of(i)]
//   index_put:     dst.flat[wrap(index[i])] = values[i]
//
// Races: scatter-type kernels (index_add, scatter_add) split the work so that one thread owns
// every write to a given output element (threads split the coordinates other than `dim` and loop
// over the index serially), so no atomics are needed on the CPU.
// Index checks: kernels check each index as they read it, skip the bad ones and report the first
// one they met in an IndexFault; csrc/ops/ turns it into an IndexError.
#include "../contracts/shape.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "../common/dispatch.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

// Collects the first bad index seen by any thread.
struct FaultSink {
  std::atomic<bool> hit{false};
  std::mutex mu;
  IndexFault fault;
  void report(int64_t value, int64_t dim = 0) {
    if (hit.load(std::memory_order_relaxed)) return;
    std::lock_guard<std::mutex> lock(mu);
    if (!fault.flag) fault = IndexFault{1, value, dim};
    hit.store(true, std::memory_order_relaxed);
  }
  bool failed() const { return hit.load(std::memory_order_relaxed); }
};

int64_t prod(const std::vector<int64_t>& s, int b, int e) {
  int64_t p = 1;
  for (int i = b; i < e; ++i) p *= s[i];
  return p;
}

// cat/split: each of `outer` rows of the whole tensor is the pieces' rows laid end to end; piece i
// has cols[i] elements per row and starts at element offs[i] of the row.
void piece_columns(const std::vector<Tensor>& pieces, int64_t outer, std::vector<int64_t>& cols,
                   std::vector<int64_t>& offs) {
  cols.assign(pieces.size(), 0);
  offs.assign(pieces.size(), 0);
  int64_t off = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    cols[i] = outer ? pieces[i].numel() / outer : 0;
    offs[i] = off;
    off += cols[i];
  }
}

}  // namespace

void cat_forward(const std::vector<Tensor>& inputs, int dim, Tensor& out) {
  const int64_t outer = prod(out.shape, 0, dim);
  const int64_t row = out.numel() / std::max<int64_t>(outer, 1);  // elements per out row
  const size_t isz = itemsize(out.dtype);
  const int64_t nin = static_cast<int64_t>(inputs.size());
  std::vector<int64_t> cols, offs;
  piece_columns(inputs, outer, cols, offs);
  char* o = static_cast<char*>(out.raw_data());
  const int64_t avg = std::max<int64_t>(1, row / std::max<int64_t>(nin, 1));
  parallel_for(outer * nin, std::max<int64_t>(1, kGrainElementwise / avg), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t r = t / nin, i = t % nin;
      if (!cols[i]) continue;
      const char* src = static_cast<const char*>(inputs[i].raw_data()) + r * cols[i] * isz;
      std::memcpy(o + (r * row + offs[i]) * isz, src, cols[i] * isz);
    }
  });
}

void split_forward(const Tensor& input, int dim, std::vector<Tensor>& outs) {
  const int64_t outer = prod(input.shape, 0, dim);
  const int64_t row = input.numel() / std::max<int64_t>(outer, 1);
  const size_t isz = itemsize(input.dtype);
  const int64_t nout = static_cast<int64_t>(outs.size());
  std::vector<int64_t> cols, offs;
  piece_columns(outs, outer, cols, offs);
  const char* in = static_cast<const char*>(input.raw_data());
  const int64_t avg = std::max<int64_t>(1, row / std::max<int64_t>(nout, 1));
  parallel_for(outer * nout, std::max<int64_t>(1, kGrainElementwise / avg), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t r = t / nout, i = t % nout;
      if (!cols[i]) continue;
      char* dst = static_cast<char*>(outs[i].raw_data()) + r * cols[i] * isz;
      std::memcpy(dst, in + (r * row + offs[i]) * isz, cols[i] * isz);
    }
  });
}

IndexFault index_select_forward(const Tensor& input, int dim, const Tensor& index, Tensor& out) {
  const int64_t outer = prod(input.shape, 0, dim), n = input.shape[dim];
  const int64_t inner = prod(input.shape, dim + 1, input.dim());
  const int64_t k = index.numel();
  const int64_t* idx = index.data<int64_t>();
  FaultSink sink;
  KERNELS_DISPATCH_ALL(input.dtype, "index_select", [&] {
    const scalar_t* x = input.data<scalar_t>();
    scalar_t* o = out.data<scalar_t>();
    parallel_for(outer * k, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(inner, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t t = b; t < e; ++t) {
                     const int64_t r = t / k, j = t % k, v = idx[j];
                     if (v < 0 || v >= n) {
                       sink.report(v);
                       continue;
                     }
                     std::memcpy(o + t * inner, x + (r * n + v) * inner, inner * sizeof(scalar_t));
                   }
                 });
  });
  return sink.fault;
}

IndexFault index_add(Tensor& out, int dim, const Tensor& index, const Tensor& source, double alpha) {
  const int64_t outer = prod(out.shape, 0, dim), n = out.shape[dim];
  const int64_t inner = prod(out.shape, dim + 1, out.dim());
  const int64_t k = index.numel();
  const int64_t* idx = index.data<int64_t>();
  FaultSink sink;
  if (!outer || !inner || !k) return sink.fault;
  // Threads own (outer row, block of inner columns) pairs and walk the whole index serially.
  const int64_t blk = std::min<int64_t>(inner, 256);
  const int64_t nblk = (inner + blk - 1) / blk;
  KERNELS_DISPATCH_NUMERIC(out.dtype, "index_add", [&] {
    const scalar_t* s = source.data<scalar_t>();
    scalar_t* o = out.data<scalar_t>();
    const scalar_t a = static_cast<scalar_t>(alpha);
    parallel_for(outer * nblk, std::max<int64_t>(1, kGrainElementwise / (k * blk)), [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t r = t / nblk, c0 = (t % nblk) * blk, c1 = std::min(inner, c0 + blk);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t v = idx[j];
          if (v < 0 || v >= n) {
            sink.report(v);
            continue;
          }
          scalar_t* dst = o + (r * n + v) * inner;
          const scalar_t* src = s + (r * k + j) * inner;
          for (int64_t c = c0; c < c1; ++c) dst[c] += a * src[c];
        }
      }
    });
  });
  return sink.fault;
}

IndexFault gather_forward(const Tensor& input, const Tensor& index, const DimLoop& g, Tensor& out) {
  FaultSink sink;
  const int64_t* idx = index.data<int64_t>();
  KERNELS_DISPATCH_ALL(input.dtype, "gather", [&] {
    const scalar_t* x = input.data<scalar_t>();
    scalar_t* o = out.data<scalar_t>();  // out has index's shape: same offsets as the index
    parallel_for(g.outer, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(g.k, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t p = b; p < e; ++p) {
                     const int64_t bi = g.index.offset_of(p), ba = g.a.offset_of(p);
                     for (int64_t j = 0; j < g.k; ++j) {
                       const int64_t v = idx[bi + j * g.index_stride];
                       if (v < 0 || v >= g.a_dim_size) {
                         sink.report(v);
                         continue;
                       }
                       o[bi + j * g.index_stride] = x[ba + v * g.a_stride];
                     }
                   }
                 });
  });
  return sink.fault;
}

IndexFault scatter_add(Tensor& out, const Tensor& index, const DimLoop& g, const Tensor& src) {
  FaultSink sink;
  const int64_t* idx = index.data<int64_t>();
  // One thread owns every position p (all coordinates but `dim`), so its writes never collide.
  KERNELS_DISPATCH_NUMERIC(out.dtype, "scatter_add", [&] {
    scalar_t* o = out.data<scalar_t>();
    const scalar_t* s = src.data<scalar_t>();
    parallel_for(g.outer, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(g.k, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t p = b; p < e; ++p) {
                     const int64_t bi = g.index.offset_of(p), ba = g.a.offset_of(p), bb = g.b.offset_of(p);
                     for (int64_t j = 0; j < g.k; ++j) {
                       const int64_t v = idx[bi + j * g.index_stride];
                       if (v < 0 || v >= g.a_dim_size) {
                         sink.report(v);
                         continue;
                       }
                       o[ba + v * g.a_stride] += s[bb + j * g.b_stride];
                     }
                   }
                 });
  });
  return sink.fault;
}

IndexFault index_linearize(const std::vector<Tensor>& indices,
                               const std::vector<StridedLayout>& layouts,
                               const std::vector<int64_t>& dim_sizes, Tensor& out) {
  FaultSink sink;
  const int k = static_cast<int>(indices.size());
  std::vector<int64_t> mult(k, 1);
  for (int j = k - 2; j >= 0; --j) mult[j] = mult[j + 1] * dim_sizes[j + 1];
  int64_t* o = out.data<int64_t>();
  parallel_for(out.numel(), kGrainElementwise, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int64_t flat = 0;
      for (int j = 0; j < k; ++j) {
        int64_t v = indices[j].data<int64_t>()[layouts[j].offset_of(i)];
        const int64_t d = dim_sizes[j];
        if (v < -d || v >= d) {
          sink.report(v, j);
          v = 0;
        } else if (v < 0) {
          v += d;
        }
        flat += v * mult[j];
      }
      o[i] = flat;
    }
  });
  return sink.fault;
}

void strided_assign(Tensor& dst, const StridedLayout& dl, const Tensor& src,
                        const StridedLayout& sl, int64_t n) {
  KERNELS_DISPATCH_ALL(dst.dtype, "setitem", [&] {
    scalar_t* d = dst.data<scalar_t>();
    const scalar_t* s = src.data<scalar_t>();
    parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[dl.offset_of(i)] = s[sl.offset_of(i)];
    });
  });
}

IndexFault index_put(Tensor& dst, const Tensor& index, const Tensor& values) {
  FaultSink sink;
  const int64_t n = dst.numel(), m = index.numel();
  const int64_t* idx = index.data<int64_t>();
  KERNELS_DISPATCH_ALL(dst.dtype, "index_put", [&] {
    scalar_t* d = dst.data<scalar_t>();
    const scalar_t* v = values.data<scalar_t>();
    // Duplicate positions: some write wins, as in torch (index_put_ with accumulate=False).
    parallel_for(m, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int64_t p = idx[i];
        if (p < -n || p >= n) {
          sink.report(p);
          continue;
        }
        if (p < 0) p += n;
        d[p] = v[i];
      }
    });
  });
  return sink.fault;
}

}  // namespace kernels::cpu
