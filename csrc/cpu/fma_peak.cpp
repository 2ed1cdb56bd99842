// Measured FMA peak (see fma_peak.h). Each thread times its own loop; the round's time is the
// slowest thread's, so a thread that lost its core shows up as a lower peak, not a higher one.
#include "fma_peak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "isa.h"
#include "parallel.h"

namespace kernels::cpu {

namespace peak_detail {
float fma_loop_avx2(int64_t iters);

// Same shape with plain floats (12 chains x 8 lanes), for CPUs without AVX2/FMA.
float fma_loop_portable(int64_t iters) {
  float c[12][8];
  for (auto& row : c)
    for (float& v : row) v = 1.0f;
  for (int64_t i = 0; i < iters; ++i)
    for (auto& row : c)
      for (float& v : row) v = v * 0.999999f + 1e-7f;
  float s = 0;
  for (auto& row : c)
    for (float v : row) s += v;
  return s;
}
}  // namespace peak_detail

namespace {
using Clock = std::chrono::steady_clock;
constexpr double kFlopsPerIter = 12 * 8 * 2;

// Seconds for every thread to run `iters` iterations (the slowest thread's time).
double timed_round(int threads, int64_t iters, bool avx2, volatile float* sink) {
  std::vector<double> secs(threads, 0.0);
  auto body = [&](int t) {
    const auto t0 = Clock::now();
    sink[t] = avx2 ? peak_detail::fma_loop_avx2(iters) : peak_detail::fma_loop_portable(iters);
    secs[t] = std::chrono::duration<double>(Clock::now() - t0).count();
  };
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  body(omp_get_thread_num());
#else
  body(0);
#endif
  return *std::max_element(secs.begin(), secs.end());
}
}  // namespace

FmaPeak fma_peak(int threads, double seconds) {
#ifndef _OPENMP
  threads = 1;
#endif
  FmaPeak r;
  r.threads = threads;
  const bool avx2 = isa_supported() >= Isa::Avx2;
  r.isa = avx2 ? "AVX2+FMA" : "portable";
  std::vector<float> sink(threads);
  // Calibrate the iteration count on a short round, then time three rounds of ~seconds/3.
  int64_t iters = 1 << 16;
  double t = timed_round(threads, iters, avx2, sink.data());
  while (t < 0.01) {
    iters *= 4;
    t = timed_round(threads, iters, avx2, sink.data());
  }
  iters = std::max<int64_t>(iters, static_cast<int64_t>(iters * (seconds / 3) / t));
  double best = 1e300;
  for (int round = 0; round < 3; ++round) best = std::min(best, timed_round(threads, iters, avx2, sink.data()));
  r.seconds = best;
  r.gflops = kFlopsPerIter * double(iters) * threads / best / 1e9;
  return r;
}

}  // namespace kernels::cpu
