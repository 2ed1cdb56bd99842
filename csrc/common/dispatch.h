// Turn a runtime dtype into a compile-time scalar type `scalar_t` for the body, or raise a
// TypeError naming the op. Kernels are templates on the scalar type; these pick the instance.
#pragma once
#include "cuda_backend.h"
#include "tensor.h"

// float32 / float64
#define KERNELS_DISPATCH_FLOAT(DTYPE, OP, ...)                                          \
  [&] {                                                                                 \
    switch (DTYPE) {                                                                    \
      case ::kernels::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::kernels::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); } \
      default:                                                                          \
        throw ::kernels::TypeError(::kernels::str_cat(                                  \
            OP, ": expected a float32 or float64 tensor, got ", ::kernels::dtype_name(DTYPE))); \
    }                                                                                   \
  }()

// float32 / float64 / int64
#define KERNELS_DISPATCH_NUMERIC(DTYPE, OP, ...)                                        \
  [&] {                                                                                 \
    switch (DTYPE) {                                                                    \
      case ::kernels::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::kernels::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); } \
      case ::kernels::DType::Int64: { using scalar_t = int64_t; return __VA_ARGS__(); }  \
      default:                                                                          \
        throw ::kernels::TypeError(::kernels::str_cat(                                  \
            OP, ": expected a float32, float64 or int64 tensor, got ",                  \
            ::kernels::dtype_name(DTYPE)));                                             \
    }                                                                                   \
  }()

// every dtype (bool as `bool`)
#define KERNELS_DISPATCH_ALL(DTYPE, OP, ...)                                            \
  [&] {                                                                                 \
    switch (DTYPE) {                                                                    \
      case ::kernels::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::kernels::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); } \
      case ::kernels::DType::Int64: { using scalar_t = int64_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::Bool: { using scalar_t = bool; return __VA_ARGS__(); }      \
    }                                                                                   \
    throw ::kernels::TypeError(::kernels::str_cat(OP, ": unknown dtype"));              \
  }()

// Route by device: call FN(args...) of the family's contract (csrc/contracts/) in kernels::cpu
// or, for a CUDA tensor, in kernels::cuda with TENSOR's GPU made current for the call. In a build
// without CUDA a CUDA tensor cannot exist, but the check keeps the message right if one got here.
#ifdef KERNELS_WITH_CUDA
#define KERNELS_ROUTE(TENSOR, OP, FN, ...)                                                   \
  ((TENSOR).is_cuda() ? ::kernels::cuda::on_device((TENSOR).device().index,                   \
                                                   [&] { return ::kernels::cuda::FN(__VA_ARGS__); }) \
                      : ::kernels::cpu::FN(__VA_ARGS__))
#else
#define KERNELS_ROUTE(TENSOR, OP, FN, ...)                                        \
  ((TENSOR).is_cuda() ? (::kernels::cuda::require_compiled(OP), ::kernels::cpu::FN(__VA_ARGS__)) \
                      : ::kernels::cpu::FN(__VA_ARGS__))
#endif
