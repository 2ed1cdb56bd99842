// The pooling plane loops of csrc/cpu/pool_plane.h compiled for AVX2/FMA (this file gets -mavx2
// -mfma); pool.cpp calls them only after a run-time CPU check.
#define KERNELS_POOL_ISA avx2
#define KERNELS_POOL_VBYTES 32
#include "pool_plane.h"

namespace kernels::cpu::pool_detail {
template <>
PlaneFns<float> plane_fns_avx2<float>() {
  return avx2::plane_fns<float>();
}
template <>
PlaneFns<double> plane_fns_avx2<double>() {
  return avx2::plane_fns<double>();
}
}  // namespace kernels::cpu::pool_detail
