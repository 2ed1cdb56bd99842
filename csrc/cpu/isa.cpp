// Detection by cpuid (__builtin_cpu_supports); the level is one atomic the kernels read per call,
// so switching it between calls is safe and costs nothing measurable.
#include "isa.h"

#include <atomic>
#include <cstdlib>

#include "../common/check.h"

namespace kernels::cpu {

namespace {

Isa detect() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return Isa::Default;
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  return Isa::Avx2;
#endif
  return Isa::Default;
}

const Isa g_supported = detect();

Isa starting_level() {
  const char* env = std::getenv("KERNELS_CPU_CAPABILITY");
  if (env == nullptr || *env == '\0') return g_supported;
  Isa want = g_supported;
  try {
    want = parse_isa(env);
  } catch (const std::exception&) {
    return g_supported;  // an unknown name at import must not make the module unimportable
  }
  return static_cast<int>(want) < static_cast<int>(g_supported) ? want : g_supported;
}

std::atomic<int> g_level{static_cast<int>(starting_level())};

}  // namespace

Isa isa_supported() { return g_supported; }
Isa isa() { return static_cast<Isa>(g_level.load(std::memory_order_relaxed)); }

Isa set_isa(Isa level) {
  KCHECK(static_cast<int>(level) <= static_cast<int>(g_supported), "set_cpu_capability: this CPU does not run '",
         isa_name(level), "' (it runs up to '", isa_name(g_supported), "')");
  return static_cast<Isa>(g_level.exchange(static_cast<int>(level)));
}

const char* isa_name(Isa level) {
  switch (level) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    case Isa::Default: return "default";
    case Isa::Scalar: return "scalar";
  }
  return "?";
}

Isa parse_isa(const std::string& name) {
  if (name == "avx512") return Isa::Avx512;
  if (name == "avx2") return Isa::Avx2;
  if (name == "default") return Isa::Default;
  if (name == "scalar") return Isa::Scalar;
  KCHECK(false, "set_cpu_capability: expected 'avx512', 'avx2', 'default' or 'scalar', got '", name, "'");
  return Isa::Default;
}

}  // namespace kernels::cpu
