// Copies, casts and fills: the kernels behind .to(), copy_, clone, full and arange, and the
// strided copies that materialise views (csrc/common/strided.h describes the layouts).
#pragma once
#include "../common/strided.h"
#include "../common/tensor.h"
#include "entry_points.h"

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/copy.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_COPY_ENTRY_POINTS                                                            \
  /* any dtype to any dtype, same shape */                                                   \
  void cast(const Tensor& src, Tensor& out);                                                 \
  void fill(Tensor& out, double value);                                                      \
  /* out[i] = start + i * step */                                                            \
  void arange(Tensor& out, double start, double step);                                       \
  /* out = the elements of src at `layout`; the backward scatters grad back into dsrc */     \
  void strided_copy_forward(const Tensor& src, const StridedLayout& layout, Tensor& out);    \
  void strided_copy_backward(const Tensor& grad, const StridedLayout& layout, Tensor& dsrc);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_COPY_ENTRY_POINTS)
