// Helpers shared by the conv2d *_avx2.cpp files (include them only there: these inline functions
// are compiled with AVX2 enabled). Scratch memory, the fixed image chunks, zero padding.
#pragma once
#include <algorithm>
#include <cstring>

#include "../common/tensor.h"
#include "../contracts/conv2d.h"
#include "parallel.h"

namespace kernels::cpu::conv_detail::avx2_util {

struct Buf {  // 64-byte aligned scratch, freed at scope exit
  float* p = nullptr;
  explicit Buf(size_t n) : p(n ? static_cast<float*>(host_alloc(n * sizeof(float))) : nullptr) {}
  ~Buf() { host_free(p); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
};

constexpr int64_t kChunks = 16;  // fixed image chunks (the dW partials), independent of threads

inline int thread_count(const ConvGeom& g, int64_t chunks) {
#ifdef _OPENMP
  const double flops = 2.0 * double(g.N) * double(g.O) * double(g.P()) * double(g.Kg());
  if (omp_in_parallel() || flops < 2.0e6) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(max_threads(), chunks)));
#else
  return 1;
#endif
}

// Runs body(t, chunk, b, e) on the images [b, e) of every chunk, t the thread.
template <class F>
void for_chunks(const ConvGeom& g, int64_t chunks, const F& body) {
  parallel_chunks(chunks, thread_count(g, chunks),
                  [&](int t, int64_t c) { body(t, c, g.N * c / chunks, g.N * (c + 1) / chunks); });
}

// dst (planes, Hd, Wd) = src (planes, H, W) moved down by `top` rows and right by `left` columns
// (either may be negative: those rows / columns are cut), zero elsewhere.
inline void pad_planes(const float* src, int64_t planes, int64_t H, int64_t W, float* dst,
                       int64_t Hd, int64_t Wd, int64_t top, int64_t left) {
  const int64_t c0 = std::max<int64_t>(0, -left), c1 = std::min(W, Wd - left);
  const int64_t r0 = std::max<int64_t>(0, -top), r1 = std::min(H, Hd - top);
  for (int64_t c = 0; c < planes; ++c) {
    float* d = dst + c * Hd * Wd;
    const float* s = src + c * H * W;
    std::fill(d, d + Hd * Wd, 0.0f);
    if (c1 <= c0) continue;
    for (int64_t r = r0; r < r1; ++r)
      std::memcpy(d + (r + top) * Wd + left + c0, s + r * W + c0, static_cast<size_t>(c1 - c0) * sizeof(float));
  }
}

}  // namespace kernels::cpu::conv_detail::avx2_util
