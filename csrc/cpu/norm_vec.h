// The vector loops of the normalisation kernels (csrc/cpu/batch_norm.cpp, layer_norm.cpp), for float and double.
// Sums return or add into double; see norm_vec.cpp for how they keep both speed and precision.
#pragma once
#include <cstdint>

namespace kernels::cpu::normvec {

#define KERNELS_NORMVEC_DECLARE(T)                                                                  \
  /* sum of x */                                                                                    \
  double sum(const T* x, int64_t n);                                                                \
  /* s1 += sum (x - m), s2 += sum (x - m)^2 */                                                      \
  void centered_sums(const T* x, int64_t n, double m, double& s1, double& s2);                      \
  /* sg += sum g, sgx += sum g (x - m) */                                                           \
  void grad_sums(const T* g, const T* x, int64_t n, double m, double& sg, double& sgx);             \
  /* y = x a + s */                                                                                 \
  void affine(const T* x, T* y, int64_t n, T a, T s);                                               \
  /* dx = g k1 + x k2 + k0 */                                                                       \
  void affine2(const T* g, const T* x, T* dx, int64_t n, T k1, T k2, T k0);                         \
  /* y = (x - m) r w + b; w, b may be null (1 and 0) */                                             \
  void normalize(const T* x, const T* w, const T* b, T* y, int64_t n, T m, T r);                    \
  /* A += sum g w, B += sum g w (x - m) (w may be null); when aw is not null also, per value,     \
     aw[i] += g (x - m) r and ab[i] += g */                                                         \
  void weighted_grad_sums(const T* g, const T* x, const T* w, int64_t n, double m, double r, T* aw, \
                          T* ab, double& A, double& B);                                             \
  /* dx = g r w + x k2 + k0 (w may be null) */                                                      \
  void weighted_affine2(const T* g, const T* x, const T* w, T* dx, int64_t n, T r, T k2, T k0);

KERNELS_NORMVEC_DECLARE(float)
KERNELS_NORMVEC_DECLARE(double)
#undef KERNELS_NORMVEC_DECLARE

}  // namespace kernels::cpu::normvec
