// Thread count for the CPU kernels, and fork safety.
//
// libgomp keeps its worker threads in a pool that fork() does not copy: a child whose parent had
// run a parallel region finds the pool's bookkeeping but not its threads, and its first parallel
// region never returns (multiprocessing's default "fork" start method hits this in every
// DataLoader-style worker). A pthread_atfork child handler therefore pins the child to one thread;
// set_num_threads cannot raise it there (use the "spawn" start method for parallel workers).
#include <pthread.h>

#include <algorithm>
#include <thread>

#include "../common/check.h"
#include "parallel.h"

namespace kernels::cpu {

bool g_forked_child = false;

namespace {

void on_fork_child() {
  g_forked_child = true;
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
}

const bool fork_handler_registered = [] {
  return pthread_atfork(nullptr, nullptr, on_fork_child) == 0;
}();

}  // namespace

int thread_limit() {
  // Past a few threads per core OpenMP only adds overhead; far past it libgomp's per-thread
  // allocations fail with an abort instead of an error.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(64, 4 * cores);
}

bool set_max_threads(int64_t n) {
  KCHECK(n >= 1 && n <= thread_limit(), "set_num_threads: expected a thread count in [1, ",
         thread_limit(), "] (4 per core, at least 64), got ", n);
  (void)fork_handler_registered;
  if (g_forked_child) return n == 1;
#ifdef _OPENMP
  omp_set_num_threads(static_cast<int>(n));
#endif
  return true;
}

}  // namespace kernels::cpu
