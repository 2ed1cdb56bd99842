// Build information and CUDA runtime queries.
#include "../common/check.h"
#include "../common/cuda_backend.h"
#include "../common/determinism.h"
#include "../common/tensor.h"  // host_cached_bytes, host_empty_cache
#include "../cpu/fma_peak.h"
#include "../cpu/isa.h"
#include "../cpu/parallel.h"
#include "bindings.h"

namespace kernels {

// The best vector level this build's kernels can use on this CPU (csrc/cpu/isa.h).
static std::string simd_level() {
  if (cpu::isa_supported() == cpu::Isa::Avx512) return "AVX-512F+AVX2+FMA";
  if (cpu::isa_supported() == cpu::Isa::Avx2) return "AVX2+FMA";
#if defined(__x86_64__) || defined(_M_X64)
  return "SSE2";
#else
  return "generic";
#endif
}

void bind_runtime(py::module_& m) {
  m.def("build_config", [] {
    py::dict d;
#if defined(__clang__)
    d["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    d["compiler"] = std::string("g++ ") + __VERSION__;
#else
    d["compiler"] = "unknown";
#endif
    d["simd"] = simd_level();
#ifdef _OPENMP
    d["openmp"] = true;
#else
    d["openmp"] = false;
#endif
    d["cpu_capability"] = cpu::isa_name(cpu::isa());
    d["num_threads"] = cpu::max_threads();
    d["cuda_compiled"] = cuda::compiled();
    d["cuda_archs"] = cuda::compiled_archs();
    d["cuda_runtime"] = cuda::runtime_version();
    d["cuda_unavailable"] = cuda::unavailable_reason();
    d["cuda_unavailable_is_error"] = cuda::unavailable_is_error();
    return d;
  });
  m.def("get_num_threads", &cpu::max_threads);
  // The CPU capability switch (csrc/cpu/isa.h): "avx2", "default" or "scalar".
  m.def("get_cpu_capability", [] { return std::string(cpu::isa_name(cpu::isa())); });
  m.def("supported_cpu_capability", [] { return std::string(cpu::isa_name(cpu::isa_supported())); });
  m.def(
      "set_cpu_capability",
      [](const std::string& name) { return std::string(cpu::isa_name(cpu::set_isa(cpu::parse_isa(name)))); },
      py::arg("name"));
  m.def("host_cached_bytes", &host_cached_bytes);
  m.def("host_empty_cache", &host_empty_cache);
  m.def("set_num_threads", [](int64_t n) {
    if (!cpu::set_max_threads(n))
      PyErr_WarnEx(PyExc_RuntimeWarning,
                   "set_num_threads: this process was forked from one running OpenMP threads, which "
                   "do not survive fork(); its kernels stay on one thread (start workers with "
                   "multiprocessing's 'spawn' method to use more)", 1);
  });
  m.def("in_forked_child", [] { return cpu::g_forked_child; });
  m.def("set_deterministic", &set_deterministic, py::arg("mode"));
  m.def("deterministic", &deterministic);
  m.def(
      "fma_peak",
      [](int threads, double seconds) {
        KCHECK(threads >= 1, "fma_peak: expected a positive thread count, got ", threads);
        KCHECK(seconds > 0 && seconds <= 60, "fma_peak: seconds must be in (0, 60], got ", seconds);
        cpu::FmaPeak p;
        {
          py::gil_scoped_release nogil;
          p = cpu::fma_peak(threads, seconds);
        }
        py::dict d;
        d["gflops"] = p.gflops;
        d["threads"] = p.threads;
        d["seconds"] = p.seconds;
        d["isa"] = p.isa;
        d["lanes"] = p.lanes;
        return d;
      },
      py::arg("threads") = 1, py::arg("seconds") = 0.3);
  m.def(
      "core_clock",
      [](double seconds) {
        KCHECK(seconds > 0 && seconds <= 60, "core_clock: seconds must be in (0, 60], got ", seconds);
        cpu::CoreClock c;
        {
          py::gil_scoped_release nogil;
          c = cpu::core_clock(seconds);
        }
        py::dict d;
        d["ghz"] = c.ghz;
        d["fma_latency_cycles"] = c.fma_latency_cycles;
        return d;
      },
      py::arg("seconds") = 0.3,
      "One core's clock (GHz) from a dependent integer-add chain and the FMA latency (cycles) at "
      "that clock: the independent check of fma_peak (clock x 32 flops per cycle per core).");
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_devices", [] {
    py::list out;
    for (const auto& p : cuda::devices()) {
      py::dict d;
      d["index"] = p.index;
      d["name"] = p.name;
      d["capability"] = py::make_tuple(p.major, p.minor);
      d["total_memory"] = p.total_memory;
      d["multiprocessors"] = p.multiprocessors;
      out.append(d);
    }
    return out;
  });
  m.def("cuda_synchronize", &cuda::synchronize, py::arg("device") = -1, KERNELS_NOGIL);
  m.def("cuda_empty_cache", &cuda::empty_cache);
  m.def("cuda_memory_allocated", &cuda::memory_allocated, py::arg("device") = 0);
  m.def("cuda_memory_reserved", &cuda::memory_reserved, py::arg("device") = 0);
}

}  // namespace kernels
