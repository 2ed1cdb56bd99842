// OpenMP helpers for the CPU kernels: split [0, n) into contiguous chunks of at least `grain`
// items and run f(begin, end) on each, on the calling thread when the work is small.
#pragma once
#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace kernels::cpu {

constexpr int64_t kGrainElementwise = 32768;  // below this, threading costs more than it saves

// Set once in a process forked from one that had started OpenMP threads (threads.cpp): libgomp's
// pool does not survive fork(), and the child's first parallel region would wait on it forever.
extern bool g_forked_child;

// The thread count every parallel region of the CPU kernels uses.
inline int max_threads() {
#ifdef _OPENMP
  return g_forked_child ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

// set_num_threads: 1 <= n <= thread_limit(), else ValueError. Returns false (and stays at one
// thread) in a forked child.
int thread_limit();
bool set_max_threads(int64_t n);

// Parts of [0, n) for work that keeps one accumulator per part: at most one per thread.
inline int64_t parts_for(int64_t n, int64_t min_per_part) {
  return std::max<int64_t>(1, std::min<int64_t>(max_threads(), n / std::max<int64_t>(1, min_per_part)));
}

template <class F>
void parallel_for(int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
#ifdef _OPENMP
  const int64_t chunks = std::min<int64_t>(max_threads(), (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (chunks > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(static_cast<int>(chunks))
    {
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t b = n * t / nt, e = n * (t + 1) / nt;
      if (b < e) f(b, e);
    }
    return;
  }
#endif
  f(0, n);
}

// Runs body(t, c) for every chunk c in [0, chunks) on nt threads (t the thread, 0 when serial),
// chunks handed out one at a time. For work cut into a fixed number of chunks that does not depend
// on the thread count, so that per-chunk partial sums reduce in the same order on any machine.
template <class F>
void parallel_chunks(int64_t chunks, int nt, const F& body) {
#ifdef _OPENMP
  if (nt > 1) {
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
      for (int64_t c = 0; c < chunks; ++c) body(t, c);
    }
    return;
  }
#endif
  for (int64_t c = 0; c < chunks; ++c) body(0, c);
}

}  // namespace kernels::cpu
