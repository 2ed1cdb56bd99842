// Argument checking. Every user-facing error is thrown from here so that pybind11 turns it into
// ValueError (std::invalid_argument), IndexError (std::out_of_range), TypeError (TypeError below)
// or RuntimeError (std::runtime_error), with the op name and the offending shapes in the text.
#pragma once
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kernels {

// Mapped to Python's TypeError by the bindings (pybind11 has no standard C++ type for it).
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Mapped to Python's MemoryError, with its message (std::bad_alloc would lose the message).
struct OutOfMemory : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
  if (shape.size() == 1) os << ",";
  os << ")";
  return os.str();
}

namespace detail {
inline void cat_to(std::ostringstream&) {}
template <class T, class... R>
void cat_to(std::ostringstream& os, const T& v, const R&... rest) {
  os << v;
  cat_to(os, rest...);
}
}  // namespace detail

template <class... A>
std::string str_cat(const A&... a) {
  std::ostringstream os;
  detail::cat_to(os, a...);
  return os.str();
}

}  // namespace kernels

// KCHECK(cond, "op: message ", values...) -> ValueError; the message pieces are streamed.
#define KCHECK(cond, ...)                                                     \
  do {                                                                        \
    if (!(cond)) throw std::invalid_argument(::kernels::str_cat(__VA_ARGS__)); \
  } while (0)
#define KCHECK_TYPE(cond, ...)                                           \
  do {                                                                   \
    if (!(cond)) throw ::kernels::TypeError(::kernels::str_cat(__VA_ARGS__)); \
  } while (0)
#define KCHECK_INDEX(cond, ...)                                             \
  do {                                                                      \
    if (!(cond)) throw std::out_of_range(::kernels::str_cat(__VA_ARGS__));  \
  } while (0)
#define KCHECK_RUNTIME(cond, ...)                                             \
  do {                                                                        \
    if (!(cond)) throw std::runtime_error(::kernels::str_cat(__VA_ARGS__));   \
  } while (0)
