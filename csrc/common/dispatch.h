// Turn a runtime dtype into a compile-time scalar type `scalar_t` for the body, or raise a
// TypeError naming the op. Kernels are templates on the scalar type; these pick the instance.
#pragma once
#include "cuda_backend.h"
#include "tensor.h"

namespace kernels {
// The TypeError of a dispatch that has no kernel for `dtype`. uint8/int8/int16/int32 tensors are
// stored, converted, compared and indexed, but have no arithmetic kernels: say so by name and
// say how to get a dtype that has them.
[[noreturn]] inline void throw_unsupported_dtype(const char* op, DType dtype, const char* expected) {
  if (is_small_int(dtype))
    throw TypeError(str_cat(op, ": ", dtype_name(dtype), " tensors are not supported (", op,
                            " takes ", expected, " tensors); convert with .float() or .long() first"));
  throw TypeError(str_cat(op, ": expected a ", expected, " tensor, got ", dtype_name(dtype)));
}
}  // namespace kernels

// float32 / float64
#define KERNELS_DISPATCH_FLOAT(DTYPE, OP, ...)                                          \
  [&] {                                                                                 \
    switch (DTYPE) {                                                                    \
      case ::kernels::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::kernels::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); } \
      default:                                                                          \
        ::kernels::throw_unsupported_dtype(OP, DTYPE, "float32 or float64");             \
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
        ::kernels::throw_unsupported_dtype(OP, DTYPE, "float32, float64 or int64");      \
    }                                                                                   \
  }()

// float32 / float64 / int64 / bool (bool as `bool`): the reductions and random fills
#define KERNELS_DISPATCH_NUMERIC_OR_BOOL(DTYPE, OP, ...)                                \
  [&] {                                                                                 \
    switch (DTYPE) {                                                                    \
      case ::kernels::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::kernels::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); } \
      case ::kernels::DType::Int64: { using scalar_t = int64_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::Bool: { using scalar_t = bool; return __VA_ARGS__(); }      \
      default:                                                                          \
        ::kernels::throw_unsupported_dtype(OP, DTYPE, "float32, float64, int64 or bool"); \
    }                                                                                   \
  }()

// every dtype (bool as `bool`): casts, fills, copies, comparisons and the indexing kernels, which
// only move or compare values. No default: a new DType must be added here, and the compiler's
// -Wswitch names every switch that lacks it.
#define KERNELS_DISPATCH_ALL(DTYPE, OP, ...)                                            \
  [&] {                                                                                 \
    switch (DTYPE) {                                                                    \
      case ::kernels::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::kernels::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); } \
      case ::kernels::DType::Int64: { using scalar_t = int64_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::Bool: { using scalar_t = bool; return __VA_ARGS__(); }      \
      case ::kernels::DType::UInt8: { using scalar_t = uint8_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::Int8: { using scalar_t = int8_t; return __VA_ARGS__(); }    \
      case ::kernels::DType::Int16: { using scalar_t = int16_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::Int32: { using scalar_t = int32_t; return __VA_ARGS__(); }  \
    }                                                                                   \
    throw ::kernels::TypeError(::kernels::str_cat(OP, ": unknown dtype"));              \
  }()

// every dtype but bool: arange
#define KERNELS_DISPATCH_NON_BOOL(DTYPE, OP, ...)                                       \
  [&] {                                                                                 \
    switch (DTYPE) {                                                                    \
      case ::kernels::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::kernels::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); } \
      case ::kernels::DType::Int64: { using scalar_t = int64_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::UInt8: { using scalar_t = uint8_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::Int8: { using scalar_t = int8_t; return __VA_ARGS__(); }    \
      case ::kernels::DType::Int16: { using scalar_t = int16_t; return __VA_ARGS__(); }  \
      case ::kernels::DType::Int32: { using scalar_t = int32_t; return __VA_ARGS__(); }  \
      default:                                                                          \
        throw ::kernels::TypeError(::kernels::str_cat(OP, ": bool tensors are not supported")); \
    }                                                                                   \
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
