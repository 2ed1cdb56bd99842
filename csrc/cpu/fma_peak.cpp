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
float fma_loop_avx512(int64_t iters);
float fma_chain_avx2(int64_t iters);

// iters x 16 dependent register-register adds: 16 cycles per iteration, the loop's own counter
// and branch running beside it on the other integer units. (Not adds of an immediate: recent
// Intel cores fold chains of those at rename and would read as a clock several times too high.)
// Returns false where there is no x86-64 assembler.
bool add_chain(int64_t iters) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  int64_t x = 0;
  int64_t one = 1;
  asm volatile("" : "+r"(one));  // the compiler must not know it is a constant
  for (int64_t i = 0; i < iters; ++i)
    asm volatile(
        "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
        "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
        "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
        "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
        : "+r"(x)
        : "r"(one));
  return x == 16 * iters;
#else
  (void)iters;
  return false;
#endif
}

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
// Seconds for every thread to run `iters` iterations (the slowest thread's time).
double timed_round(int threads, int64_t iters, Isa level, volatile float* sink) {
  std::vector<double> secs(threads, 0.0);
  auto body = [&](int t) {
    const auto t0 = Clock::now();
    sink[t] = level == Isa::Avx512 ? peak_detail::fma_loop_avx512(iters)
              : level == Isa::Avx2 ? peak_detail::fma_loop_avx2(iters)
                                   : peak_detail::fma_loop_portable(iters);
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
  // The widest vectors this CPU runs: the peers (OpenBLAS, oneDNN) use them where we may not.
  const Isa level = isa_supported() >= Isa::Avx512 ? Isa::Avx512 : isa_supported();
  r.isa = level == Isa::Avx512 ? "AVX-512F" : level == Isa::Avx2 ? "AVX2+FMA" : "portable";
  r.lanes = level == Isa::Avx512 ? 16 : 8;
  const double flops_per_iter = 12.0 * r.lanes * 2;
  std::vector<float> sink(threads);
  // Calibrate the iteration count on a short round, then time three rounds of ~seconds/3.
  int64_t iters = 1 << 16;
  double t = timed_round(threads, iters, level, sink.data());
  while (t < 0.01) {
    iters *= 4;
    t = timed_round(threads, iters, level, sink.data());
  }
  iters = std::max<int64_t>(iters, static_cast<int64_t>(iters * (seconds / 3) / t));
  double best = 1e300;
  for (int round = 0; round < 3; ++round) best = std::min(best, timed_round(threads, iters, level, sink.data()));
  r.seconds = best;
  r.gflops = flops_per_iter * double(iters) * threads / best / 1e9;
  return r;
}

CoreClock core_clock(double seconds) {
  CoreClock r;
  // Seconds per call of f(iters), the best of three rounds of about seconds / 6 each.
  auto best_time = [&](auto&& f) {
    int64_t iters = 1 << 14;
    auto time_it = [&] {
      const auto t0 = Clock::now();
      f(iters);
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    double t = time_it();
    while (t < 0.005) {
      iters *= 4;
      t = time_it();
    }
    iters = std::max<int64_t>(iters, static_cast<int64_t>(iters * (seconds / 6) / t));
    double best = 1e300;
    for (int round = 0; round < 3; ++round) best = std::min(best, time_it());
    return std::make_pair(best, iters);
  };
  bool ok = true;
  const auto [t_add, n_add] = best_time([&](int64_t n) { ok = peak_detail::add_chain(n) && ok; });
  if (!ok) return r;
  r.ghz = 16.0 * double(n_add) / t_add / 1e9;
  if (isa_supported() >= Isa::Avx2) {
    volatile float sink = 0;
    const auto [t_fma, n_fma] = best_time([&](int64_t n) { sink = peak_detail::fma_chain_avx2(n); });
    r.fma_latency_cycles = t_fma * r.ghz * 1e9 / (8.0 * double(n_fma));
  }
  return r;
}

}  // namespace kernels::cpu
