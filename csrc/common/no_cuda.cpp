// Stand-ins for csrc/cuda/runtime.cu in a build without CUDA: no silent fallbacks, every call
// that would need a GPU raises.
#include <stdexcept>

#include "cuda_backend.h"

namespace kernels::cuda {

static void fail(const char* what) {
  throw std::runtime_error(std::string(what) +
                           ": kernels was built without CUDA (rebuild with KERNELS_CUDA=ON)");
}

bool compiled() { return false; }
std::string compiled_archs() { return ""; }
std::string runtime_version() { return ""; }
int device_count() { return 0; }
std::string unavailable_reason() { return "kernels was built without CUDA"; }
bool unavailable_is_error() { return false; }
void make_stream_wait(int, int64_t) { fail("__dlpack__ on cuda"); }
std::vector<DeviceProps> devices() { return {}; }
void synchronize(int) {}
void* allocate(size_t, int) { fail("cuda allocation"); return nullptr; }
void release(void*, int) {}
void empty_cache() {}
size_t memory_allocated(int) { return 0; }
size_t memory_reserved(int) { return 0; }
void copy_host_to_device(void*, const void*, size_t, int) { fail("copy to cuda"); }
void copy_device_to_host(void*, const void*, size_t, int) { fail("copy from cuda"); }
void copy_device_to_device(void*, const void*, size_t, int, int) { fail("copy on cuda"); }
void require_compiled(const char* op) { fail(op); }

}  // namespace kernels::cuda
