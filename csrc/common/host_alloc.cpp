// Host (CPU) memory for tensors and kernel scratch: 64-byte aligned blocks, with a small cache of
// freed large blocks.
//
// Why a cache: a training step allocates and frees the same large activations every iteration.
// glibc serves blocks above its mmap threshold with fresh mmap'd pages (and trims freed heap
// memory back to the OS), so each step paid a page fault + zeroing per 4 KB of every activation;
// on LeNet-5 at batch 64 that was about a quarter of the step. Blocks of at least kMinCached bytes
// are rounded up to a 4 KB multiple and, when freed, kept in a per-size free list for the next
// request of the same size. The cache holds at most kMaxCached bytes; a free that would exceed it
// first returns every cached block to the system (simple, bounded, and steady-state loops never
// reach it). KERNELS_HOST_CACHE=0 in the environment turns the cache off; host_empty_cache()
// releases what it holds.
// Blocks of 4 MB and more are advised to use transparent huge pages (Linux with THP in "madvise"
// mode, as numpy does for its arrays): a 2048^2 GEMM output or a packed panel otherwise costs
// thousands of first-touch page faults and keeps missing the TLB. Once per fresh block, advisory.
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace kernels {

namespace {

constexpr size_t kMinCached = size_t(64) << 10;   // below this glibc's heap bins do well already
constexpr size_t kMaxCached = size_t(512) << 20;  // bytes held in free lists at most
constexpr size_t kPage = 4096;

struct HostCache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;  // rounded size -> free blocks
  std::unordered_map<void*, size_t> live;                    // cached-class blocks in use
  size_t cached_bytes = 0;
  const bool enabled = [] {
    const char* v = std::getenv("KERNELS_HOST_CACHE");
    return !(v && std::string(v) == "0");
  }();

  void release_all_locked() {
    for (auto& kv : free_lists)
      for (void* p : kv.second) std::free(p);
    free_lists.clear();
    cached_bytes = 0;
  }
};

// Never destroyed: tensors owned by Python objects may be freed during interpreter shutdown,
// after static destructors would have run.
HostCache& cache() {
  static HostCache* c = new HostCache();
  return *c;
}

constexpr size_t kHugePageAdvice = size_t(4) << 20;

void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~uintptr_t(kPage - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~uintptr_t(kPage - 1);
  if (e > a) madvise(reinterpret_cast<void*>(a), e - a, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

void* raw_alloc(size_t bytes, size_t requested, const std::function<std::string()>& what) {
  void* p = std::aligned_alloc(64, bytes);
  if (!p)
    throw OutOfMemory(str_cat("out of host memory allocating ", requested, " bytes",
                              what ? " for " + what() : std::string()));
  if (bytes >= kHugePageAdvice) advise_huge_pages(p, bytes);
  return p;
}

}  // namespace

void* host_alloc(size_t nbytes, const std::function<std::string()>& what) {
  // Rounding must not wrap a huge request around to a small block.
  if (nbytes > (size_t(1) << 62))
    throw OutOfMemory(str_cat("out of host memory allocating ", nbytes, " bytes",
                              what ? " for " + what() : std::string()));
  size_t rounded = (nbytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  HostCache& c = cache();
  if (rounded < kMinCached || !c.enabled) return raw_alloc(rounded, nbytes, what);
  rounded = (rounded + kPage - 1) / kPage * kPage;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_lists.find(rounded);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= rounded;
      c.live.emplace(p, rounded);
      return p;
    }
  }
  void* p = raw_alloc(rounded, nbytes, what);
  std::lock_guard<std::mutex> lock(c.mu);
  c.live.emplace(p, rounded);
  return p;
}

void host_free(void* p) {
  if (!p) return;
  HostCache& c = cache();
  if (c.enabled) {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.live.find(p);
    if (it != c.live.end()) {
      const size_t bytes = it->second;
      c.live.erase(it);
      if (c.cached_bytes + bytes > kMaxCached) c.release_all_locked();
      if (bytes <= kMaxCached) {
        c.free_lists[bytes].push_back(p);
        c.cached_bytes += bytes;
        return;
      }
    }
  }
  std::free(p);
}

size_t host_cached_bytes() {
  HostCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.cached_bytes;
}

void host_empty_cache() {
  HostCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.release_all_locked();
}

}  // namespace kernels
