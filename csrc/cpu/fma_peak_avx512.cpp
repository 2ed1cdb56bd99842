// The AVX-512F throughput loop of fma_peak.cpp (compiled with -mavx512f, called only where the CPU
// runs AVX-512F): as fma_loop_avx2, with 16-lane vectors. 12 independent accumulators keep two
// 512-bit FMA pipes with a 4-cycle latency busy (8 chains in flight would do).
#include <immintrin.h>

#include <cstdint>

namespace kernels::cpu::peak_detail {

float fma_loop_avx512(int64_t iters) {
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  __m512 c[12];
  for (auto& v : c) v = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (auto& v : c) v = _mm512_fmadd_ps(v, m, a);
  }
  __m512 s = c[0];
  for (int j = 1; j < 12; ++j) s = _mm512_add_ps(s, c[j]);
  return _mm512_reduce_add_ps(s);
}

}  // namespace kernels::cpu::peak_detail
