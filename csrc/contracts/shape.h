// Shape and indexing kernels (cat, split, index_select, index_add, gather, scatter_add, advanced
// indexing): the fault report, the per-dim loop geometry and the entry points both devices implement.
#pragma once
#include <cstdint>
#include <vector>

#include "../common/strided.h"
#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// The first out-of-range index a kernel met, reported back to csrc/ops/ which raises IndexError.
// `flag` is 0 when every index was in range; `dim` says which index tensor (index_linearize).
struct IndexFault {
  int64_t flag = 0;
  int64_t value = 0;
  int64_t dim = 0;
};

// Geometry shared by gather / scatter_add: the element positions of `sizes` with the indexed dim
// taken out, as a layout over each tensor's storage, plus each tensor's stride along that dim.
struct DimLoop {
  int64_t outer = 0;  // number of positions with `dim` removed
  int64_t k = 0;      // extent of the index along `dim`
  StridedLayout index, a, b;  // a: the tensor read (gather) / written (scatter); b: the other one
  int64_t index_stride = 0, a_stride = 0, b_stride = 0;
  int64_t a_dim_size = 0;  // valid index range is [0, a_dim_size)
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/shape.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_SHAPE_ENTRY_POINTS                                                                     \
  void cat_forward(const std::vector<Tensor>& inputs, int dim, Tensor& out);                           \
  void split_forward(const Tensor& input, int dim, std::vector<Tensor>& outs);                         \
  IndexFault index_select_forward(const Tensor& input, int dim, const Tensor& index, Tensor& out);     \
  IndexFault index_add(Tensor& out, int dim, const Tensor& index, const Tensor& source, double alpha); \
  IndexFault gather_forward(const Tensor& input, const Tensor& index, const DimLoop& g, Tensor& out);  \
  IndexFault scatter_add(Tensor& out, const Tensor& index, const DimLoop& g, const Tensor& src);       \
  IndexFault index_linearize(const std::vector<Tensor>& indices,                                       \
                             const std::vector<StridedLayout>& layouts,                                \
                             const std::vector<int64_t>& dim_sizes, Tensor& out);                      \
  void strided_assign(Tensor& dst, const StridedLayout& dst_layout, const Tensor& src,                 \
                      const StridedLayout& src_layout, int64_t n);                                     \
  IndexFault index_put(Tensor& dst, const Tensor& index, const Tensor& values);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_SHAPE_ENTRY_POINTS)
