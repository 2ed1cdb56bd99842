// The CPU instruction-set switch, read by every family that has more than one code path: what the
// CPU supports (detected once), and which level the kernels use now (settable at run time from
// Python, kernels.backends.cpu, so a test can run both paths in one process).
//   Avx512   Avx2, plus the AVX-512F GEMM micro-kernels (*_avx512.cpp); default where the CPU has it
//   Avx2     the AVX2+FMA micro-kernels and row loops (*_avx2.cpp); default where the CPU has both
//   Default  the portable code, compiled for the x86-64 baseline (what a CPU without AVX2 runs)
//   Scalar   Default, plus one-output-at-a-time loops where a family has them (max pooling, as torch)
// The environment variable KERNELS_CPU_CAPABILITY=avx512|avx2|default|scalar sets the starting level.
#pragma once
#include <string>

namespace kernels::cpu {

enum class Isa : int { Scalar = 0, Default = 1, Avx2 = 2, Avx512 = 3 };

Isa isa_supported();  // the best level this CPU runs
Isa isa();            // the level the kernels use now (never above isa_supported())
// Sets the level, returning the previous one; ValueError for a level this CPU does not run.
Isa set_isa(Isa level);

// Each level includes the ones below it: at Avx512 every AVX2 path still runs.
inline bool use_avx2() { return isa() >= Isa::Avx2; }
inline bool use_avx512() { return isa() == Isa::Avx512; }

const char* isa_name(Isa level);             // "avx512", "avx2", "default", "scalar"
Isa parse_isa(const std::string& name);      // ValueError naming the choices

}  // namespace kernels::cpu
