// Convolution forward, weight gradient and input gradient as implicit GEMMs on the GEMM's own AVX2
// micro-kernels (internal to the conv family; csrc/cpu/conv2d.cpp decides when). See conv2d_packed.cpp.
#pragma once
#include <cstddef>

#include "../contracts/conv2d.h"

namespace kernels::cpu::conv_detail {

constexpr int64_t kPackedRows = 6;  // output channels per A sliver (the micro-kernel's MR)

// Elements of the packed weights of all groups (shared by the threads, read-only).
template <class T>
size_t packed_weight_size(const ConvGeom& g);
// Elements of one thread's workspace.
template <class T>
size_t packed_workspace_size(const ConvGeom& g);

// Packs w (O, Cg, kH, kW) into the micro-kernel's A slivers, group by group.
template <class T>
void pack_conv_weights(const ConvGeom& g, const T* w, T* Ap);

// y[n] = conv(x[n], w) (+ bias when non-null) for one image: x_n is (C, H, W), y_n (O, OH, OW).
template <class T>
void packed_forward_image(const ConvGeom& g, const T* x_n, const T* Ap, const T* bias, T* y_n,
                          T* workspace);

// Elements of one thread's workspace for packed_weight_grad_image.
template <class T>
size_t packed_wgrad_workspace_size(const ConvGeom& g);

// dw (O, Cg, kH, kW) += the weight gradient of one image, dy_n (O, OH, OW) @ col(x_n)^T, as an
// implicit GEMM: tiles of MR output channels by NR kernel taps (k), reduced over output positions.
template <class T>
void packed_weight_grad_image(const ConvGeom& g, const T* x_n, const T* dy_n, T* dw, T* workspace);

// Input gradient, dx[n] = col2im(W_g^T @ dy[n, g]) per group, with the col2im fused: each
// MR x NR tile of W_g^T @ dy (MR kernel taps k by NR output positions) is added into dx as soon
// as it is computed, so the (Kg, P) matrix is never stored. The weights are packed transposed
// (slivers of MR taps by Og) once per call.
template <class T>
size_t packed_dgrad_weight_size(const ConvGeom& g);
template <class T>
void pack_conv_weights_transposed(const ConvGeom& g, const T* w, T* Ap);
template <class T>
size_t packed_dgrad_workspace_size(const ConvGeom& g);
// dx_n (C, H, W) = the input gradient of one image from dy_n (O, OH, OW) (overwritten).
template <class T>
void packed_input_grad_image(const ConvGeom& g, const T* dy_n, const T* Ap, T* dx_n, T* workspace);

}  // namespace kernels::cpu::conv_detail
