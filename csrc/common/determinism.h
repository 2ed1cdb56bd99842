// kernels.use_deterministic_algorithms: whether a kernel whose result can change from run to run
// (float atomics adding in a scheduling-dependent order) may run. The CPU kernels and most CUDA
// kernels are deterministic always; the few that are not check this flag and raise instead.
#pragma once
#include "check.h"

namespace kernels {

void set_deterministic(bool on);
bool deterministic();

// Raises RuntimeError naming `op` when deterministic algorithms were requested.
inline void check_deterministic_allowed(const char* op, const char* why) {
  KCHECK_RUNTIME(!deterministic(), op, ": the CUDA backward ", why,
                 " adds with atomics in no fixed order and has no deterministic implementation, but "
                 "kernels.use_deterministic_algorithms(True) is set");
}

}  // namespace kernels
