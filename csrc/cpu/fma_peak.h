// The machine's measured float32 FMA throughput: the denominator of "% of peak" in bench/.
#pragma once
#include <string>

namespace kernels::cpu {

struct FmaPeak {
  double gflops = 0;      // float32 GFLOP/s (an FMA counts as 2 flops), all threads together
  int threads = 1;
  double seconds = 0;     // wall time of the timed loop
  std::string isa;        // "AVX2+FMA" or "portable"
};

// Runs `threads` threads, each a loop of independent float32 FMA chains long enough to hide the
// FMA latency, for about `seconds`, and reports the best of three timed rounds.
FmaPeak fma_peak(int threads, double seconds);

}  // namespace kernels::cpu
