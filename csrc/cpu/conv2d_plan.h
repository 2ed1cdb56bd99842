// Which CPU kernel runs each direction of one convolution: a named choice, made by one function
// (plan_conv2d) that the kernels, the tests (override, query) and the benchmark (report) share,
// as ATen's select_conv_backend. The paths, in the order plan_conv2d prefers them:
//   dense        the kernel covers the whole unpadded input (LeNet c5): one GEMM for the batch
//   small_avx2   float32, stride 1, 6..32 output channels, short reduction (LeNet c1/c3):
//                channels as vector lanes, no column matrix (conv2d_small_avx2.cpp)
//   direct_avx2  float32, stride 1, >= 16 channels each way, rows that fill 3/4 of 16 lanes
//                (ResNet 3x3): forward and input gradient as direct correlations
//                (conv2d_direct_avx2.cpp); its weight gradient takes small_avx2's tiles when the
//                output channels are a multiple of 8
//   direct_avx512  direct_avx2 with 32-lane AVX-512F tiles (conv2d_direct_avx512.cpp), at the
//                avx512 level, for rows that fill 3/4 of 32 lanes (ResNet's 32x32 maps)
//   packed_gemm  one image per GEMM: implicit GEMM on the AVX2 micro-kernels, weights packed once,
//                no column matrix (conv2d_packed.cpp); forward with > 6 output channels per group,
//                input gradient with >= 16
//   im2col_gemm  everything else: column matrix + the GEMM engine (conv2d.cpp); always applies
// The *_avx2 and packed paths need the AVX2 capability level (isa.h), direct_avx512 the avx512 one.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "../contracts/conv2d.h"

namespace kernels::cpu {

enum class ConvPath : int { Dense, SmallAvx2, DirectAvx2, PackedGemm, Im2colGemm, DirectAvx512 };

// How the images are walked. They are cut into `chunks` contiguous ranges that `nt` threads take
// in turn (dynamic scheduling: a thread that the OS delays leaves its share to the others). Each
// chunk sums its own dW partial and the partials are added in chunk order; the chunks do not
// depend on the thread count, so neither do the results, bit for bit. `nb`: images per GEMM.
// `inner`: fewer images than threads, so a single chunk runs image after image with threaded
// GEMMs and im2col / col2im.
struct ConvWalk {
  int nt = 1;
  int64_t chunks = 1;
  int64_t nb = 1;
  bool inner = false;
};

struct ConvPlan {
  ConvPath forward = ConvPath::Im2colGemm;
  ConvPath input_grad = ConvPath::Im2colGemm;
  ConvPath weight_grad = ConvPath::Im2colGemm;
  ConvWalk walk;
};

// The plan for geometry g in float32 (is_float) or float64, at the current thread count and
// capability level. The same geometry always gets the same plan in one setting.
ConvPlan plan_conv2d(const ConvGeom& g, bool is_float);

// Tests: make plan_conv2d pick `path` in every direction where it applies (std::nullopt: the
// normal choice). Returns the previous override.
std::optional<ConvPath> set_conv_path_override(std::optional<ConvPath> path);

const char* conv_path_name(ConvPath path);        // "dense", "small_avx2", ...
ConvPath parse_conv_path(const std::string& name);  // ValueError naming the choices

}  // namespace kernels::cpu
