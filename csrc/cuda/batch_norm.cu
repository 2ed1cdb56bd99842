// Batch normalisation on CUDA; the maths is in csrc/cpu/batch_norm.cpp's header comment.
// Accumulators are float for float32 and double for float64 (A below).
//
// Per-channel reductions (batch_norm statistics and gradient sums, the weight/bias gradients of
// layer_norm and group_norm) share two kernels over an (N, C, K) view, writing one partial state
// per (channel, slice) that a one-thread-per-channel kernel merges in a fixed order:
//   K >= kMinPlane: grid (S slices of the N rows, C channels), 256 threads walk each row's K
//     contiguous values (coalesced);
//   K <  kMinPlane: the (N, J = C K) matrix in (32 columns x 8 rows) blocks, a column per thread
//     (coalesced across the warp), S blocks of rows; a channel then merges its K columns.
// The state is Welford's (count, mean, M2) for the statistics (merged with Chan's formula, sound
// in float32), or the two sums (sum g, sum g (x - mean) rstd) for gradients. The mean / rstd of
// element (n, c) is at index n sn + c / cg: batch_norm (sn 0, cg 1), group_norm (sn G, cg C / G),
// layer_norm viewed as (R, D, 1) (sn 1, cg D).
// Outputs are written by one affine kernel, out = u k1_c + v k2_c + k0_c (y = x a + s forward,
// dx = g k1 + x k2 + k0 backward), planes or columns like the reductions.
#include "../common/dispatch.h"
#include "../contracts/batch_norm.h"
#include "norm_reduce.cuh"

namespace kernels::cuda {

namespace {

using namespace norm_detail;

// ------------------------------------------------------------------ batch_norm finalizers

// Training: merge channel c's E Welford states (in double), save the statistics, update the
// running ones, and write y's coefficients (a, 0, s).
template <class T, class A>
__global__ void bn_stats_finalize_kernel(const Welford<A>* part, int64_t E, int64_t C, const T* w, const T* b,
                                         T* rm, T* rv, double momentum, double eps, T* smean, T* sinv,
                                         T* coef) {
  CUDA_KERNEL_LOOP(c, C) {
    double n = 0, mean = 0, m2 = 0;
    for (int64_t e = 0; e < E; ++e) {
      const Welford<A> p = part[c * E + e];
      const double pn = static_cast<double>(p.n);
      if (pn == 0) continue;
      const double t = n + pn, dm = static_cast<double>(p.mean) - mean;
      mean += dm * (pn / t);
      m2 += static_cast<double>(p.m2) + dm * dm * (n * pn / t);
      n = t;
    }
    const double var = n > 0 ? m2 / n : 0.0;
    const double inv = 1.0 / sqrt(var + eps);
    smean[c] = static_cast<T>(mean);
    sinv[c] = static_cast<T>(inv);
    if (rm && n > 0) {
      const double unbiased = n > 1 ? m2 / (n - 1) : CUDART_NAN;
      rm[c] = static_cast<T>((1 - momentum) * static_cast<double>(rm[c]) + momentum * mean);
      rv[c] = static_cast<T>((1 - momentum) * static_cast<double>(rv[c]) + momentum * unbiased);
    }
    const double wc = w ? static_cast<double>(w[c]) : 1.0, bc = b ? static_cast<double>(b[c]) : 0.0;
    coef[c] = static_cast<T>(wc * inv);
    coef[C + c] = T(0);
    coef[2 * C + c] = static_cast<T>(bc - mean * wc * inv);
  }
}

// Eval: the running statistics give the coefficients.
template <class T>
__global__ void bn_eval_coef_kernel(int64_t C, const T* w, const T* b, const T* rm, const T* rv, double eps,
                                    T* smean, T* sinv, T* coef) {
  CUDA_KERNEL_LOOP(c, C) {
    const double mean = static_cast<double>(rm[c]);
    const double inv = 1.0 / sqrt(static_cast<double>(rv[c]) + eps);
    smean[c] = static_cast<T>(mean);
    sinv[c] = static_cast<T>(inv);
    const double wc = w ? static_cast<double>(w[c]) : 1.0, bc = b ? static_cast<double>(b[c]) : 0.0;
    coef[c] = static_cast<T>(wc * inv);
    coef[C + c] = T(0);
    coef[2 * C + c] = static_cast<T>(bc - mean * wc * inv);
  }
}

// Backward: channel c's sums (E partials; none when only an eval dx is wanted) -> dweight,
// dbias and dx's coefficients.
template <class T, class A>
__global__ void bn_grad_finalize_kernel(const Sums2<A>* part, int64_t E, int64_t C, double M, bool training,
                                        const T* w, const T* smean, const T* sinv, T* dw, T* db, T* coef) {
  CUDA_KERNEL_LOOP(c, C) {
    double sg = 0, sgx = 0;
    for (int64_t e = 0; e < E; ++e) {
      sg += static_cast<double>(part[c * E + e].a);
      sgx += static_cast<double>(part[c * E + e].b);
    }
    const double inv = static_cast<double>(sinv[c]), mean = static_cast<double>(smean[c]);
    if (db) db[c] = static_cast<T>(sg);
    if (dw) dw[c] = static_cast<T>(sgx * inv);
    const double wi = (w ? static_cast<double>(w[c]) : 1.0) * inv;
    double k2 = 0, k0 = 0;
    if (training && M > 0) {
      k2 = -wi * inv * inv * sgx / M;
      k0 = -wi * sg / M - k2 * mean;
    }
    coef[c] = static_cast<T>(wi);
    coef[C + c] = static_cast<T>(k2);
    coef[2 * C + c] = static_cast<T>(k0);
  }
}

}  // namespace

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, bool training,
                             double momentum, double eps, const BatchNormDims& d, Tensor& out,
                             Tensor& save_mean, Tensor& save_invstd) {
  Tensor coef = Tensor::empty({3 * d.C}, x.dtype, x.device());
  KERNELS_DISPATCH_FLOAT(x.dtype, "batch_norm", [&] {
    using T = scalar_t;
    using A = AccOf<T>;
    const unsigned cgrid = cuda::grid_for(d.C);
    if (training) {
      Tensor buf;
      const int64_t E = channel_reduce<T, StatsOp<A>>(x.data<T>(), nullptr, nullptr, nullptr, StatIndex{0, 1},
                                                     d.N, d.C, d.K, x.device(), buf);
      bn_stats_finalize_kernel<T, A><<<cgrid, cuda::kBlock>>>(
          static_cast<const Welford<A>*>(buf.raw_data()), E, d.C, weight.data_or_null<T>(), bias.data_or_null<T>(),
          running_mean.data_or_null<T>(),
          running_var.data_or_null<T>(), momentum, eps, save_mean.data<T>(),
          save_invstd.data<T>(), coef.data<T>());
    } else {
      bn_eval_coef_kernel<T><<<cgrid, cuda::kBlock>>>(d.C, weight.data_or_null<T>(), bias.data_or_null<T>(),
                                                      running_mean.data<T>(), running_var.data<T>(), eps,
                                                      save_mean.data<T>(), save_invstd.data<T>(), coef.data<T>());
    }
    cuda::check_launch("batch_norm");
    channel_apply<T>(x.data<T>(), nullptr, out.data<T>(), coef.data<T>(), d);
  });
}

void batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                              const Tensor& save_mean, const Tensor& save_invstd, bool training,
                              const BatchNormDims& d, Tensor& dx, Tensor& dweight, Tensor& dbias) {
  Tensor coef = Tensor::empty({3 * d.C}, x.dtype, x.device());
  const bool sums = dweight.defined() || dbias.defined() || (dx.defined() && training);
  KERNELS_DISPATCH_FLOAT(x.dtype, "batch_norm_backward", [&] {
    using T = scalar_t;
    using A = AccOf<T>;
    Tensor buf;
    int64_t E = 0;
    if (sums)
      E = channel_reduce<T, GradOp<A>>(x.data<T>(), grad.data<T>(), save_mean.data<T>(), nullptr,
                                       StatIndex{0, 1}, d.N, d.C, d.K, x.device(), buf);
    bn_grad_finalize_kernel<T, A><<<cuda::grid_for(d.C), cuda::kBlock>>>(
        sums ? static_cast<const Sums2<A>*>(buf.raw_data()) : nullptr, E, d.C,
        static_cast<double>(d.N * d.K), training, weight.data_or_null<T>(), save_mean.data<T>(),
        save_invstd.data<T>(), dweight.data_or_null<T>(), dbias.data_or_null<T>(), coef.data<T>());
    cuda::check_launch("batch_norm_backward");
    if (dx.defined()) channel_apply<T>(grad.data<T>(), x.data<T>(), dx.data<T>(), coef.data<T>(), d);
  });
}

}  // namespace kernels::cuda
