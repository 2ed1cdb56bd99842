#pragma once
#include <cstdint>
#include <string>

#include "../common/tensor.h"

namespace kernels {

// The geometry of one 2-D pooling call, checked and derived once in csrc/ops/pool.cpp. The input
// is P = N*C contiguous planes of H x W, the output P planes of OH x OW. Window (oh, ow) covers
// rows oh*sH - pH + kh*dH (kh < kH) and columns ow*sW - pW + kw*dW (kw < kW); positions outside
// the plane are padding. 1-D pooling is the same with H = 1, kH = 1.
struct Pool2dGeom {
  int64_t P = 0, H = 0, W = 0, OH = 0, OW = 0;
  int64_t kH = 1, kW = 1, sH = 1, sW = 1, pH = 0, pW = 0, dH = 1, dW = 1;
};

// Adaptive pooling: only P, H, W, OH, OW are used; window (oh, ow) is rows
// [floor(oh*H/OH), ceil((oh+1)*H/OH)) x columns [floor(ow*W/OW), ceil((ow+1)*W/OW)).

// max_pool2d: out (P, OH, OW); indices int64 (P, OH, OW), flat h*W + w within the plane.
void max_pool2d_forward_cpu(const Tensor& input, const Pool2dGeom& g, Tensor& out, Tensor& indices);
// dinput (P, H, W) = scatter-add of grad (P, OH, OW) at indices.
void max_pool2d_backward_cpu(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,
                             Tensor& dinput);
// avg_pool2d: divisor_override 0 means none.
void avg_pool2d_forward_cpu(const Tensor& input, const Pool2dGeom& g, bool count_include_pad,
                            int64_t divisor_override, Tensor& out);
void avg_pool2d_backward_cpu(const Tensor& grad, const Pool2dGeom& g, bool count_include_pad,
                             int64_t divisor_override, Tensor& dinput);
void adaptive_avg_pool2d_forward_cpu(const Tensor& input, const Pool2dGeom& g, Tensor& out);
void adaptive_avg_pool2d_backward_cpu(const Tensor& grad, const Pool2dGeom& g, Tensor& dinput);
void adaptive_max_pool2d_forward_cpu(const Tensor& input, const Pool2dGeom& g, Tensor& out,
                                     Tensor& indices);
// The scatter of max_pool2d_backward_cpu (adaptive windows overlap the same way).
inline void adaptive_max_pool2d_backward_cpu(const Tensor& grad, const Tensor& indices,
                                             const Pool2dGeom& g, Tensor& dinput) {
  max_pool2d_backward_cpu(grad, indices, g, dinput);
}

// Which CPU loops pooling uses: "auto" (AVX2 when the CPU has it), "base" (the baseline-ISA
// vector loops) or "scalar" (base, plus torch's one-output-at-a-time loop for max pooling).
// For tests; returns the previous setting. ValueError on another name.
std::string pool_set_cpu_path(const std::string& path);

}  // namespace kernels
