// plan_conv2d: the one place that decides which CPU conv path runs (see conv2d_plan.h), and how
// the images are shared between threads.
#include "conv2d_plan.h"

#include <algorithm>
#include <atomic>

#include "../common/check.h"
#include "conv2d_direct.h"
#include "conv2d_packed.h"
#include "conv2d_small.h"
#include "isa.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

constexpr int64_t kMinCols = 128;             // GEMM width below which images are batched
constexpr int64_t kMaxBlockElems = 1 << 21;   // cap on one batched column matrix (elements)
constexpr double kMinParallelFlops = 2.0e6;   // below this a parallel region costs more than it saves
constexpr int64_t kMinChunks = 4, kMaxChunks = 16;
constexpr int64_t kPackedDxMinChannels = 16;  // Og from which the fused dx pays for its tile adds

std::atomic<int> g_override{-1};  // -1: none

inline int thread_count() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : max_threads();
#else
  return 1;
#endif
}

ConvWalk make_walk(const ConvGeom& g) {
  ConvWalk p;
  const int nt = thread_count();
  const double flops = 2.0 * double(g.N) * double(g.O) * double(g.P()) * double(g.Kg());
  const bool worth_threads = nt > 1 && flops >= kMinParallelFlops;
  const int64_t P = std::max<int64_t>(g.P(), 1);
  p.inner = worth_threads && g.N < nt;
  if (!p.inner) {
    // Enough chunks to share out, fewer when outputs are small so each still fills a GEMM.
    p.chunks = std::min<int64_t>(g.N, std::max<int64_t>(kMinChunks, std::min<int64_t>(kMaxChunks, g.N * P / kMinCols)));
    p.chunks = std::max<int64_t>(p.chunks, 1);
    if (worth_threads) p.nt = static_cast<int>(std::min<int64_t>(nt, p.chunks));
  }
  const int64_t per_chunk = std::max<int64_t>(1, g.N / p.chunks);
  int64_t nb = (kMinCols + P - 1) / P;
  nb = std::min(nb, std::max<int64_t>(1, kMaxBlockElems / std::max<int64_t>(1, g.Kg() * P)));
  p.nb = std::max<int64_t>(1, std::min(nb, per_chunk));
  return p;
}

// A kernel that covers the whole unpadded input (one output position, e.g. LeNet's 5x5 -> 1x1
// layer, or a transposed conv from 1x1) makes the conv a linear layer on the flattened images.
bool dense(const ConvGeom& g) {
  return g.OH == 1 && g.OW == 1 && g.ph == 0 && g.pw == 0 && g.kH == g.H && g.kW == g.W &&
         (g.dh == 1 || g.kH == 1) && (g.dw == 1 || g.kW == 1);
}

// Which paths apply to one direction, in the order of preference.
struct Applies {
  bool dense, small, direct, packed, direct512 = false;
};

ConvPath pick(const Applies& a) {
  if (a.dense) return ConvPath::Dense;
  if (a.small) return ConvPath::SmallAvx2;
  if (a.direct512) return ConvPath::DirectAvx512;
  if (a.direct) return ConvPath::DirectAvx2;
  if (a.packed) return ConvPath::PackedGemm;
  return ConvPath::Im2colGemm;
}

ConvPath pick(const Applies& a, int override_path) {
  switch (override_path) {
    case static_cast<int>(ConvPath::Dense): if (a.dense) return ConvPath::Dense; break;
    case static_cast<int>(ConvPath::SmallAvx2): if (a.small) return ConvPath::SmallAvx2; break;
    case static_cast<int>(ConvPath::DirectAvx2): if (a.direct) return ConvPath::DirectAvx2; break;
    case static_cast<int>(ConvPath::DirectAvx512): if (a.direct512) return ConvPath::DirectAvx512; break;
    case static_cast<int>(ConvPath::PackedGemm): if (a.packed) return ConvPath::PackedGemm; break;
    case static_cast<int>(ConvPath::Im2colGemm): return ConvPath::Im2colGemm;
    default: break;
  }
  return pick(a);
}

}  // namespace

ConvPlan plan_conv2d(const ConvGeom& g, bool is_float) {
  ConvPlan p;
  p.walk = make_walk(g);
  const bool avx2 = use_avx2();
  const bool d = dense(g);
  const bool small = is_float && avx2 && conv_detail::small_applicable(g);
  const bool direct = is_float && avx2 && conv_detail::direct_applicable(g);
  const bool direct512 = is_float && use_avx512() && conv_detail::direct_avx512_applicable(g);
  const bool packed = avx2 && p.walk.nb == 1 && !p.walk.inner;
  const int ov = g_override.load(std::memory_order_relaxed);
  p.forward = pick({d, small, direct, packed && g.Og() > conv_detail::kPackedRows, direct512}, ov);
  p.input_grad = pick({d, small, direct, packed && g.Og() >= kPackedDxMinChannels, direct512}, ov);
  // The direct path has no weight gradient of its own: small_avx2's tiles serve it when O % 8 == 0.
  p.weight_grad = pick({d, small || (direct && g.O % 8 == 0), false, packed}, ov);
  return p;
}

std::optional<ConvPath> set_conv_path_override(std::optional<ConvPath> path) {
  const int prev = g_override.exchange(path ? static_cast<int>(*path) : -1);
  if (prev < 0) return std::nullopt;
  return static_cast<ConvPath>(prev);
}

const char* conv_path_name(ConvPath path) {
  switch (path) {
    case ConvPath::Dense: return "dense";
    case ConvPath::SmallAvx2: return "small_avx2";
    case ConvPath::DirectAvx2: return "direct_avx2";
    case ConvPath::DirectAvx512: return "direct_avx512";
    case ConvPath::PackedGemm: return "packed_gemm";
    case ConvPath::Im2colGemm: return "im2col_gemm";
  }
  return "?";
}

ConvPath parse_conv_path(const std::string& name) {
  for (ConvPath p : {ConvPath::Dense, ConvPath::SmallAvx2, ConvPath::DirectAvx2, ConvPath::DirectAvx512,
                     ConvPath::PackedGemm, ConvPath::Im2colGemm})
    if (name == conv_path_name(p)) return p;
  KCHECK(false, "conv2d path: expected 'dense', 'small_avx2', 'direct_avx2', 'direct_avx512', 'packed_gemm' or "
         "'im2col_gemm', got '", name, "'");
  return ConvPath::Im2colGemm;
}

}  // namespace kernels::cpu
