// CUDA runtime services: device queries, a caching allocator, copies, error checks.
//
// The allocator keeps freed blocks in per-device size-keyed free lists and hands them back out
// for requests of the same rounded size, because cudaMalloc/cudaFree synchronise the device and
// cost tens of microseconds each. All kernels run on the legacy default stream, so a block freed
// after a kernel was queued can be reused by a later kernel without extra synchronisation.
#include <cuda_runtime.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

#include "../common/cuda_backend.h"
#include "cuda_utils.cuh"

namespace kernels::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(err) + " (" + what +
                           " at " + file + ":" + std::to_string(line) + ")");
}

static bool sync_debug() {
  static const bool on = [] {
    const char* v = std::getenv("KERNELS_CUDA_SYNC");
    return v && v[0] == '1';
  }();
  return on;
}

void check_launch(const char* op) {
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess && sync_debug()) err = cudaDeviceSynchronize();
  if (err != cudaSuccess)
    throw std::runtime_error(std::string(op) + ": CUDA kernel failed: " + cudaGetErrorString(err));
}

DeviceGuard::DeviceGuard(int device) {
  CUDA_CHECK(cudaGetDevice(&previous));
  if (previous != device) CUDA_CHECK(cudaSetDevice(device));
}
DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (cudaGetDevice(&now) == cudaSuccess && now != previous) cudaSetDevice(previous);
}

bool compiled() { return true; }
std::string compiled_archs() { return KERNELS_CUDA_ARCHS; }
std::string runtime_version() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver or no GPU: clear the sticky-free error and report none
    return 0;
  }
  return n;
}

std::vector<DeviceProps> devices() {
  std::vector<DeviceProps> out;
  for (int i = 0; i < device_count(); ++i) {
    cudaDeviceProp p;
    CUDA_CHECK(cudaGetDeviceProperties(&p, i));
    out.push_back({i, p.name, p.major, p.minor, p.totalGlobalMem, p.multiProcessorCount});
  }
  return out;
}

void synchronize(int device) {
  if (device >= 0) {
    DeviceGuard g(device);
    CUDA_CHECK(cudaDeviceSynchronize());
    return;
  }
  for (int i = 0; i < device_count(); ++i) {
    DeviceGuard g(i);
    CUDA_CHECK(cudaDeviceSynchronize());
  }
}

namespace {

struct DevicePool {
  std::multimap<size_t, void*> free_blocks;        // rounded size -> block
  std::unordered_map<void*, size_t> block_sizes;   // every live or cached block
  size_t allocated = 0;                            // bytes handed out
  size_t reserved = 0;                             // bytes held from cudaMalloc
};

std::mutex pool_mutex;
std::unordered_map<int, DevicePool> pools;

size_t round_size(size_t n) {
  if (n <= (1u << 20)) return (n + 511) / 512 * 512;
  return (n + (1u << 20) - 1) / (1u << 20) * (1u << 20);
}

void release_cached(DevicePool& pool, int device) {
  DeviceGuard g(device);
  for (auto& kv : pool.free_blocks) {
    cudaFree(kv.second);
    pool.reserved -= kv.first;
    pool.block_sizes.erase(kv.second);
  }
  pool.free_blocks.clear();
}

}  // namespace

void* allocate(size_t nbytes, int device) {
  const int n = device_count();
  if (device < 0 || device >= n)
    throw std::runtime_error("cuda: device cuda:" + std::to_string(device) +
                             " does not exist (" + std::to_string(n) + " CUDA devices found)");
  if (nbytes == 0) return nullptr;
  const size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(pool_mutex);
  DevicePool& pool = pools[device];
  auto it = pool.free_blocks.lower_bound(size);
  // Reuse only a block of the same size class (or at most twice as large) to limit waste.
  if (it != pool.free_blocks.end() && it->first <= 2 * size) {
    void* p = it->second;
    pool.allocated += it->first;
    pool.free_blocks.erase(it);
    return p;
  }
  DeviceGuard g(device);
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    release_cached(pool, device);
    err = cudaMalloc(&p, size);
  }
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("CUDA out of memory: tried to allocate " + std::to_string(nbytes) +
                             " bytes on cuda:" + std::to_string(device) + " (" +
                             std::to_string(pool.allocated) + " bytes in use by kernels)");
  }
  pool.block_sizes[p] = size;
  pool.allocated += size;
  pool.reserved += size;
  return p;
}

void release(void* p, int device) {
  if (!p) return;
  std::lock_guard<std::mutex> lock(pool_mutex);
  DevicePool& pool = pools[device];
  auto it = pool.block_sizes.find(p);
  if (it == pool.block_sizes.end()) return;
  pool.allocated -= it->second;
  pool.free_blocks.emplace(it->second, p);
}

void empty_cache() {
  std::lock_guard<std::mutex> lock(pool_mutex);
  for (auto& kv : pools) release_cached(kv.second, kv.first);
}

size_t memory_allocated(int device) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  return pools[device].allocated;
}
size_t memory_reserved(int device) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  return pools[device].reserved;
}

void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device) {
  if (!nbytes) return;
  DeviceGuard g(device);
  CUDA_CHECK(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice));
}
void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device) {
  if (!nbytes) return;
  DeviceGuard g(device);
  CUDA_CHECK(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost));
}
void copy_device_to_device(void* dst, const void* src, size_t nbytes, int dst_device,
                           int src_device) {
  if (!nbytes) return;
  if (dst_device == src_device) {
    DeviceGuard g(dst_device);
    CUDA_CHECK(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToDevice));
  } else {
    CUDA_CHECK(cudaMemcpyPeer(dst, dst_device, src, src_device, nbytes));
  }
}

void require_compiled(const char*) {}

}  // namespace kernels::cuda
