// Turn a runtime dtype into a compile-time scalar type `scalar_t` for the body, or raise a
// TypeError naming the op. Kernels are templates on the scalar type; these pick the instance.
#pragma once
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

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

// One `case` of a dispatch: DTYPE's enum value runs the body with `scalar_t` = T.
#define KERNELS_DTYPE_CASE(E, T, ...) \
  case ::kernels::DType::E: {         \
    using scalar_t = T;               \
    return __VA_ARGS__();             \
  }
#define KERNELS_FLOAT_CASES(...) \
  KERNELS_DTYPE_CASE(Float32, float, __VA_ARGS__) KERNELS_DTYPE_CASE(Float64, double, __VA_ARGS__)
#define KERNELS_SMALL_INT_CASES(...)                                                              \
  KERNELS_DTYPE_CASE(UInt8, uint8_t, __VA_ARGS__) KERNELS_DTYPE_CASE(Int8, int8_t, __VA_ARGS__)    \
  KERNELS_DTYPE_CASE(Int16, int16_t, __VA_ARGS__) KERNELS_DTYPE_CASE(Int32, int32_t, __VA_ARGS__)

// float32 / float64
#define KERNELS_DISPATCH_FLOAT(DTYPE, OP, ...)                                      \
  [&] {                                                                             \
    switch (DTYPE) {                                                                \
      KERNELS_FLOAT_CASES(__VA_ARGS__)                                              \
      default: ::kernels::throw_unsupported_dtype(OP, DTYPE, "float32 or float64"); \
    }                                                                               \
  }()

// float32 / float64 / int64
#define KERNELS_DISPATCH_NUMERIC(DTYPE, OP, ...)                                            \
  [&] {                                                                                     \
    switch (DTYPE) {                                                                        \
      KERNELS_FLOAT_CASES(__VA_ARGS__)                                                      \
      KERNELS_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)                                       \
      default: ::kernels::throw_unsupported_dtype(OP, DTYPE, "float32, float64 or int64");  \
    }                                                                                       \
  }()

// float32 / float64 / int64 / bool (bool as `bool`): the reductions and random fills
#define KERNELS_DISPATCH_NUMERIC_OR_BOOL(DTYPE, OP, ...)                                          \
  [&] {                                                                                           \
    switch (DTYPE) {                                                                              \
      KERNELS_FLOAT_CASES(__VA_ARGS__)                                                            \
      KERNELS_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)                                             \
      KERNELS_DTYPE_CASE(Bool, bool, __VA_ARGS__)                                                 \
      default: ::kernels::throw_unsupported_dtype(OP, DTYPE, "float32, float64, int64 or bool");  \
    }                                                                                             \
  }()

// every dtype (bool as `bool`): casts, fills, copies, comparisons and the indexing kernels, which
// only move or compare values. No default: a new DType must be added here, and the compiler's
// -Wswitch names every switch that lacks it.
#define KERNELS_DISPATCH_ALL(DTYPE, OP, ...)                               \
  [&] {                                                                    \
    switch (DTYPE) {                                                       \
      KERNELS_FLOAT_CASES(__VA_ARGS__)                                     \
      KERNELS_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)                      \
      KERNELS_DTYPE_CASE(Bool, bool, __VA_ARGS__)                          \
      KERNELS_SMALL_INT_CASES(__VA_ARGS__)                                 \
    }                                                                      \
    throw ::kernels::TypeError(::kernels::str_cat(OP, ": unknown dtype")); \
  }()

// every dtype but bool: arange
#define KERNELS_DISPATCH_NON_BOOL(DTYPE, OP, ...)                                                \
  [&] {                                                                                          \
    switch (DTYPE) {                                                                             \
      KERNELS_FLOAT_CASES(__VA_ARGS__)                                                           \
      KERNELS_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)                                            \
      KERNELS_SMALL_INT_CASES(__VA_ARGS__)                                                       \
      default: throw ::kernels::TypeError(::kernels::str_cat(OP, ": bool tensors are not supported")); \
    }                                                                                            \
  }()

// Materialise strided views before a kernel sees them: an input (const Tensor&, or a vector of
// tensors) that is a strided view becomes a contiguous copy living until the end of the routed
// call; an output (Tensor&) must already be contiguous (in-place writes through a view go through
// strided_assign, not a kernel), else a logic_error says which op missed it. Everything else
// passes through untouched.
namespace kernels {
Tensor contiguous(const Tensor& t);  // csrc/ops/copy.cpp

namespace route_detail {
inline Tensor arg(const Tensor& t) { return t.is_contiguous() ? t : contiguous(t); }
inline Tensor& arg(Tensor& t) {
  if (!t.is_contiguous())
    throw std::logic_error(str_cat("internal error: an op would write into the strided view ", t.desc(),
                                   " through a kernel; it should go through strided_assign"));
  return t;
}
inline std::vector<Tensor> arg(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const auto& t : ts) out.push_back(arg(t));
  return out;
}
// A non-const vector is an op's own list (of inputs, or of outputs it just allocated, which are
// contiguous): strided entries are replaced by contiguous copies in place.
inline std::vector<Tensor>& arg(std::vector<Tensor>& ts) {
  for (auto& t : ts)
    if (!t.is_contiguous()) t = contiguous(t);
  return ts;
}
template <class T, class = std::enable_if_t<!std::is_same_v<std::decay_t<T>, Tensor> &&
                                            !std::is_same_v<std::decay_t<T>, std::vector<Tensor>>>>
inline T&& arg(T&& x) {
  return std::forward<T>(x);
}
template <class F, class... Args>
inline decltype(auto) call(F&& f, Args&&... args) {
  return f(arg(std::forward<Args>(args))...);
}
}  // namespace route_detail
}  // namespace kernels

// Route by device: call FN(args...) of the family's contract (csrc/contracts/) in kernels::cpu
// or, for a CUDA tensor, in kernels::cuda with TENSOR's GPU made current for the call, strided
// inputs materialised first. In a build without CUDA a CUDA tensor cannot exist, but the check
// keeps the message right if one got here.
#define KERNELS_ROUTE_CALL(NS, FN, ...)                                                           \
  ::kernels::route_detail::call(                                                                 \
      [&](auto&&... kernel_args) -> decltype(auto) {                                             \
        return ::kernels::NS::FN(std::forward<decltype(kernel_args)>(kernel_args)...);          \
      },                                                                                         \
      __VA_ARGS__)
#ifdef KERNELS_WITH_CUDA
#define KERNELS_ROUTE(TENSOR, OP, FN, ...)                                                        \
  ((TENSOR).is_cuda() ? ::kernels::cuda::on_device((TENSOR).device().index,                        \
                                                   [&] { return KERNELS_ROUTE_CALL(cuda, FN, __VA_ARGS__); }) \
                      : KERNELS_ROUTE_CALL(cpu, FN, __VA_ARGS__))
#else
#define KERNELS_ROUTE(TENSOR, OP, FN, ...)                                                        \
  ((TENSOR).is_cuda() ? (::kernels::cuda::require_compiled(OP), KERNELS_ROUTE_CALL(cpu, FN, __VA_ARGS__)) \
                      : KERNELS_ROUTE_CALL(cpu, FN, __VA_ARGS__))
#endif
