// One family's kernel entry points are written once, as a list macro in its contract header
// (csrc/contracts/<family>.h), and declared here in both device namespaces: csrc/cpu/ defines
// kernels::cpu::<name>, csrc/cuda/ defines kernels::cuda::<name>, with the same signature, and
// KERNELS_ROUTE (csrc/common/dispatch.h) picks one by the tensor's device. A build without CUDA
// declares the CUDA half too but never calls it.
#pragma once

#define KERNELS_DECLARE_ENTRY_POINTS(LIST) \
  namespace kernels::cpu {                 \
  LIST                                     \
  }                                        \
  namespace kernels::cuda {                \
  LIST                                     \
  }
