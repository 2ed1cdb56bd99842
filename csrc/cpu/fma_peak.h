// The machine's measured float32 FMA throughput: the denominator of "% of peak" in bench/.
#pragma once
#include <string>

namespace kernels::cpu {

struct FmaPeak {
  double gflops = 0;      // float32 GFLOP/s (an FMA counts as 2 flops), all threads together
  int threads = 1;
  double seconds = 0;     // wall time of the timed loop
  std::string isa;        // "AVX-512F", "AVX2+FMA" or "portable": the CPU's widest vectors
  int lanes = 8;          // floats per vector FMA of that loop (16 for AVX-512F)
};

// An independent check of that figure, on one thread: the core clock from a chain of dependent
// integer adds (one cycle each on every x86-64 core: Agner Fog's instruction tables), and the
// latency in cycles of a chain of dependent vector FMAs at that clock (4 on Zen 3/4 and Skylake,
// 5 on Zen 2 and Haswell). clock x FMA pipes x lanes x 2 flops is the core's paper peak, which
// the throughput loop above should reach. ghz is 0 where the probe cannot run (not x86-64).
struct CoreClock {
  double ghz = 0;
  double fma_latency_cycles = 0;  // 0 without AVX2/FMA
};
CoreClock core_clock(double seconds);

// Runs `threads` threads, each a loop of independent float32 FMA chains long enough to hide the
// FMA latency, for about `seconds`, and reports the best of three timed rounds.
FmaPeak fma_peak(int threads, double seconds);

}  // namespace kernels::cpu
