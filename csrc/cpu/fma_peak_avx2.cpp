// The AVX2/FMA throughput loop of fma_peak.cpp (compiled with -mavx2 -mfma, called only after a
// run-time CPU check). 12 independent accumulators: with 2 FMA pipes and a 4-5 cycle latency,
// at least 10 chains in flight are needed to keep both pipes busy every cycle.
#include <immintrin.h>

#include <cstdint>

namespace kernels::cpu::peak_detail {

// iters x 12 vector FMAs of 8 floats; returns a value that depends on every result so the
// compiler cannot drop the loop.
float fma_loop_avx2(int64_t iters) {
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  __m256 c0 = _mm256_set1_ps(1.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  __m256 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (int64_t i = 0; i < iters; ++i) {
    c0 = _mm256_fmadd_ps(c0, m, a);
    c1 = _mm256_fmadd_ps(c1, m, a);
    c2 = _mm256_fmadd_ps(c2, m, a);
    c3 = _mm256_fmadd_ps(c3, m, a);
    c4 = _mm256_fmadd_ps(c4, m, a);
    c5 = _mm256_fmadd_ps(c5, m, a);
    c6 = _mm256_fmadd_ps(c6, m, a);
    c7 = _mm256_fmadd_ps(c7, m, a);
    c8 = _mm256_fmadd_ps(c8, m, a);
    c9 = _mm256_fmadd_ps(c9, m, a);
    c10 = _mm256_fmadd_ps(c10, m, a);
    c11 = _mm256_fmadd_ps(c11, m, a);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

// iters x 8 dependent FMAs (one chain): its time is 8 x iters x the FMA latency.
float fma_chain_avx2(int64_t iters) {
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  __m256 c = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < iters; ++i) {
    c = _mm256_fmadd_ps(c, m, a);
    c = _mm256_fmadd_ps(c, m, a);
    c = _mm256_fmadd_ps(c, m, a);
    c = _mm256_fmadd_ps(c, m, a);
    c = _mm256_fmadd_ps(c, m, a);
    c = _mm256_fmadd_ps(c, m, a);
    c = _mm256_fmadd_ps(c, m, a);
    c = _mm256_fmadd_ps(c, m, a);
  }
  float out[8];
  _mm256_storeu_ps(out, c);
  return out[0];
}

}  // namespace kernels::cpu::peak_detail
