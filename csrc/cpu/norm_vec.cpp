// The vector loops of the normalisation kernels. Every function is built twice, for AVX2 and for
// the x86-64 baseline (GCC / Clang target_clones); the loader picks the one the CPU can run.
//
// Reductions keep kLanes independent partial sums, written as a short fixed loop over an array
// that the compiler maps onto vector registers: a single running sum would wait on the latency
// of every add, while independent lanes need no reassociation (no -ffast-math) to vectorise.
// float data is summed in float within blocks of kFlush values (at most kFlush / kLanes = 64
// terms per lane) and each block's sum is added in double, so the result keeps close to double
// precision at float speed. Variances use the corrected two-pass form (norm.cpp): sums of x - m
// about a first estimate m of the mean, which stay small.
#include "norm_vec.h"

#include <algorithm>

namespace kernels::cpu::normvec {

namespace {

constexpr int kLanes = 32;
constexpr int64_t kFlush = 2048;

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define KERNELS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KERNELS_CLONES
#endif
#define KERNELS_INLINE inline __attribute__((always_inline))

// Adds f(i, a, b) over [0, n) into two sets of kLanes accumulators of type T, flushing them into
// the double results every kFlush values. f(i, a, b) adds value i's terms into a and b.
template <class T, class F>
KERNELS_INLINE void lane_sums(int64_t n, const F& f, double& ra, double& rb) {
  double sa = 0, sb = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kFlush) {
    const int64_t b1 = std::min(n, b0 + kFlush);
    T a[kLanes] = {}, b[kLanes] = {};
    int64_t i = b0;
    for (; i + kLanes <= b1; i += kLanes)
      for (int j = 0; j < kLanes; ++j) f(i + j, a[j], b[j]);
    T ta = 0, tb = 0;
    for (; i < b1; ++i) f(i, ta, tb);
    double pa = ta, pb = tb;
    for (int j = 0; j < kLanes; ++j) {
      pa += a[j];
      pb += b[j];
    }
    sa += pa;
    sb += pb;
  }
  ra += sa;
  rb += sb;
}

template <class T>
KERNELS_INLINE double sum_impl(const T* x, int64_t n) {
  double s = 0, unused = 0;
  lane_sums<T>(n, [&](int64_t i, T& a, T&) { a += x[i]; }, s, unused);
  return s;
}

template <class T>
KERNELS_INLINE void centered_impl(const T* x, int64_t n, double m, double& s1, double& s2) {
  const T mt = static_cast<T>(m);
  // m as T may differ from m: the sums are about mt, and shifted to m exactly below.
  double a = 0, b = 0;
  lane_sums<T>(n, [&](int64_t i, T& p, T& q) {
    const T d = x[i] - mt;
    p += d;
    q += d * d;
  }, a, b);
  const double off = static_cast<double>(mt) - m;  // sum (x - m) = sum (x - mt) + n off
  s1 += a + static_cast<double>(n) * off;
  s2 += b + off * (2 * a + static_cast<double>(n) * off);
}

template <class T>
KERNELS_INLINE void grad_impl(const T* g, const T* x, int64_t n, double m, double& sg, double& sgx) {
  const T mt = static_cast<T>(m);
  double a = 0, b = 0;
  lane_sums<T>(n, [&](int64_t i, T& p, T& q) {
    p += g[i];
    q += g[i] * (x[i] - mt);
  }, a, b);
  sg += a;
  sgx += b + a * (static_cast<double>(mt) - m);  // sum g (x - m) = sum g (x - mt) + (mt - m) sum g
}

template <class T>
KERNELS_INLINE void affine_impl(const T* x, T* y, int64_t n, T a, T s) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + s;
}

template <class T>
KERNELS_INLINE void affine2_impl(const T* g, const T* x, T* dx, int64_t n, T k1, T k2, T k0) {
  for (int64_t i = 0; i < n; ++i) dx[i] = g[i] * k1 + x[i] * k2 + k0;
}

template <class T>
KERNELS_INLINE void normalize_impl(const T* x, const T* w, const T* b, T* y, int64_t n, T m, T r) {
  if (w && b) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * r * w[i] + b[i];
  } else if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * r * w[i];
  } else if (b) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * r + b[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * r;
  }
}

template <class T>
KERNELS_INLINE void weighted_grad_impl(const T* g, const T* x, const T* w, int64_t n, double m, double r,
                                       T* aw, T* ab, double& A, double& B) {
  const T mt = static_cast<T>(m), rt = static_cast<T>(r);
  double a = 0, b = 0;
  if (w && aw) {
    lane_sums<T>(n, [&](int64_t i, T& p, T& q) {
      const T xc = x[i] - mt, gw = g[i] * w[i];
      p += gw;
      q += gw * xc;
      aw[i] += g[i] * xc * rt;
      ab[i] += g[i];
    }, a, b);
  } else if (w) {
    lane_sums<T>(n, [&](int64_t i, T& p, T& q) {
      const T gw = g[i] * w[i];
      p += gw;
      q += gw * (x[i] - mt);
    }, a, b);
  } else if (aw) {
    lane_sums<T>(n, [&](int64_t i, T& p, T& q) {
      const T xc = x[i] - mt;
      p += g[i];
      q += g[i] * xc;
      aw[i] += g[i] * xc * rt;
      ab[i] += g[i];
    }, a, b);
  } else {
    lane_sums<T>(n, [&](int64_t i, T& p, T& q) {
      p += g[i];
      q += g[i] * (x[i] - mt);
    }, a, b);
  }
  A += a;
  B += b + a * (static_cast<double>(mt) - m);
}

template <class T>
KERNELS_INLINE void weighted_affine2_impl(const T* g, const T* x, const T* w, T* dx, int64_t n, T r, T k2, T k0) {
  if (w) {
    for (int64_t i = 0; i < n; ++i) dx[i] = g[i] * (r * w[i]) + x[i] * k2 + k0;
  } else {
    for (int64_t i = 0; i < n; ++i) dx[i] = g[i] * r + x[i] * k2 + k0;
  }
}

}  // namespace

#define KERNELS_NORMVEC_DEFINE(T)                                                                             \
  KERNELS_CLONES double sum(const T* x, int64_t n) { return sum_impl(x, n); }                                 \
  KERNELS_CLONES void centered_sums(const T* x, int64_t n, double m, double& s1, double& s2) {                \
    centered_impl(x, n, m, s1, s2);                                                                           \
  }                                                                                                           \
  KERNELS_CLONES void grad_sums(const T* g, const T* x, int64_t n, double m, double& sg, double& sgx) {       \
    grad_impl(g, x, n, m, sg, sgx);                                                                           \
  }                                                                                                           \
  KERNELS_CLONES void affine(const T* x, T* y, int64_t n, T a, T s) { affine_impl(x, y, n, a, s); }           \
  KERNELS_CLONES void affine2(const T* g, const T* x, T* dx, int64_t n, T k1, T k2, T k0) {                   \
    affine2_impl(g, x, dx, n, k1, k2, k0);                                                                    \
  }                                                                                                           \
  KERNELS_CLONES void normalize(const T* x, const T* w, const T* b, T* y, int64_t n, T m, T r) {              \
    normalize_impl(x, w, b, y, n, m, r);                                                                      \
  }                                                                                                           \
  KERNELS_CLONES void weighted_grad_sums(const T* g, const T* x, const T* w, int64_t n, double m, double r,   \
                                         T* aw, T* ab, double& A, double& B) {                                \
    weighted_grad_impl(g, x, w, n, m, r, aw, ab, A, B);                                                       \
  }                                                                                                           \
  KERNELS_CLONES void weighted_affine2(const T* g, const T* x, const T* w, T* dx, int64_t n, T r, T k2,       \
                                       T k0) {                                                                \
    weighted_affine2_impl(g, x, w, dx, n, r, k2, k0);                                                         \
  }

KERNELS_NORMVEC_DEFINE(float)
KERNELS_NORMVEC_DEFINE(double)

}  // namespace kernels::cpu::normvec
