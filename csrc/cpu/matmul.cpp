// Matrix products on the CPU.
//
//   matmul:  out[z] = a[z] @ b[z]            a[z] is (M,K), b[z] is (K,N), out[z] is (M,N)
//            da[z'] = sum over broadcast z of dout[z] @ b[z]^T     (M,K)
//            db[z'] = sum over broadcast z of a[z]^T @ dout[z]     (K,N)
//   linear:  out = x @ weight^T + bias        x is (R,in), weight is (out,in), bias is (out)
//            dx = dout @ weight               (R,in)
//            dweight = dout^T @ x             (out,in)
//            dbias = sum over rows of dout    (out)
// Both run on the GEMM engine (gemm.cpp).
#include "../contracts/matmul.h"

#include <algorithm>
#include <cstring>

#include "../common/dispatch.h"
#include "gemm.h"
#include "parallel.h"

namespace kernels::cpu {

void matmul_forward(const GemmSpec& spec, const Tensor& a, const Tensor& b, Tensor& out) {
  gemm_batched(spec, a, b, out);
}

void matmul_backward(const GemmSpec& spec_da, const GemmSpec& spec_db, const Tensor& grad,
                         const Tensor& a, const Tensor& b, Tensor& da, Tensor& db) {
  if (da.defined()) gemm_batched(spec_da, grad, b, da);
  if (db.defined()) gemm_batched(spec_db, a, grad, db);
}

void linear_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) {
  const int64_t R = x.size(0), in = x.size(1), outf = weight.size(0);
  KERNELS_DISPATCH_FLOAT(x.dtype, "linear", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    T beta = 0;
    if (bias.defined() && R > 0) {
      // out rows start as the bias, then the GEMM accumulates onto them.
      const T* bp = bias.data<T>();
      parallel_for(R, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(outf, 1)),
                   [&](int64_t b, int64_t e) {
                     for (int64_t r = b; r < e; ++r) std::memcpy(o + r * outf, bp, outf * sizeof(T));
                   });
      beta = 1;
    }
    gemm<T>(false, true, R, outf, in, T(1), x.data<T>(), in, weight.data<T>(), in, beta, o,
                outf);
  });
}

void linear_backward(const Tensor& grad, const Tensor& x, const Tensor& weight, Tensor& dx,
                         Tensor& dweight, Tensor& dbias) {
  const int64_t R = x.size(0), in = x.size(1), outf = weight.size(0);
  KERNELS_DISPATCH_FLOAT(x.dtype, "linear_backward", [&] {
    using T = scalar_t;
    const T* g = grad.data<T>();
    if (dx.defined())  // dx (R,in) = dout (R,out) @ weight (out,in)
      gemm<T>(false, false, R, in, outf, T(1), g, outf, weight.data<T>(), in, T(0),
                  dx.data<T>(), in);
    if (dweight.defined())  // dweight (out,in) = dout^T (out,R) @ x (R,in)
      gemm<T>(true, false, outf, in, R, T(1), g, outf, x.data<T>(), in, T(0),
                  dweight.data<T>(), in);
    if (dbias.defined()) {
      // dbias[j] = sum_r dout[r,j]: column blocks per thread, rows summed in order.
      T* db = dbias.data<T>();
      const int64_t grain = std::max<int64_t>(16, kGrainElementwise / std::max<int64_t>(R, 1));
      parallel_for(outf, grain, [&](int64_t j0, int64_t j1) {
        for (int64_t j = j0; j < j1; ++j) db[j] = T(0);
        for (int64_t r = 0; r < R; ++r) {
          const T* row = g + r * outf;
          for (int64_t j = j0; j < j1; ++j) db[j] += row[j];
        }
      });
    }
  });
}

}  // namespace kernels::cpu
