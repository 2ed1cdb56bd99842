// The CUDA runtime seen from host C++ code that is compiled without nvcc. With CUDA compiled in,
// csrc/cuda/runtime.cu implements these; without it, csrc/common/no_cuda.cpp makes every call
// that needs a GPU raise "built without CUDA".
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kernels::cuda {

struct DeviceProps {
  int index;
  std::string name;
  int major, minor;
  size_t total_memory;
  int multiprocessors;
};

bool compiled();                 // was CUDA compiled into this build?
std::string compiled_archs();    // e.g. "75;80;86;89;90", empty without CUDA
std::string runtime_version();   // e.g. "13.0", empty without CUDA
int device_count();              // 0 when there is no driver or no GPU
std::string unavailable_reason(); // why device_count() is 0 ("" when there are devices)
bool unavailable_is_error();      // true for a broken setup (e.g. a driver too old), not just no GPU
std::vector<DeviceProps> devices();
void synchronize(int device);    // device < 0: all devices
// Make `stream` (a DLPack stream number or handle) wait for the work queued so far on `device`.
void make_stream_wait(int device, int64_t stream);

void* allocate(size_t nbytes, int device);  // caching allocator
void release(void* p, int device);
void empty_cache();
size_t memory_allocated(int device);
size_t memory_reserved(int device);

void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_device(void* dst, const void* src, size_t nbytes, int dst_device,
                           int src_device);

// Throws std::runtime_error "built without CUDA" (op names the caller) when CUDA is not compiled.
void require_compiled(const char* op);

// Makes `device` current for the scope, restoring the previous one after: kernels launch on
// their tensors' own GPU. KERNELS_ROUTE takes it for every CUDA entry point.
struct DeviceGuard {
  int previous = -1;
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
};

template <class F>
auto on_device(int device, F&& call) {
  DeviceGuard guard(device);
  return call();
}

}  // namespace kernels::cuda
