// Float/double overloads of the libm functions the shared element maths calls (activation_math.h,
// elementwise_math.h, loss_math.h, optim_math.h, rnn_math.h), usable in host and device code.
#pragma once
#include <math.h>

#include "strided.h"  // KERNELS_HD

namespace kernels::scalar_math {

KERNELS_HD float k_exp(float x) { return expf(x); }
KERNELS_HD double k_exp(double x) { return exp(x); }
KERNELS_HD float k_log(float x) { return logf(x); }
KERNELS_HD double k_log(double x) { return log(x); }
KERNELS_HD float k_expm1(float x) { return expm1f(x); }
KERNELS_HD double k_expm1(double x) { return expm1(x); }
KERNELS_HD float k_log1p(float x) { return log1pf(x); }
KERNELS_HD double k_log1p(double x) { return log1p(x); }
KERNELS_HD float k_tanh(float x) { return tanhf(x); }
KERNELS_HD double k_tanh(double x) { return tanh(x); }
KERNELS_HD float k_erf(float x) { return erff(x); }
KERNELS_HD double k_erf(double x) { return erf(x); }
KERNELS_HD float k_abs(float x) { return fabsf(x); }
KERNELS_HD double k_abs(double x) { return fabs(x); }
KERNELS_HD float k_sin(float x) { return sinf(x); }
KERNELS_HD double k_sin(double x) { return sin(x); }
KERNELS_HD float k_cos(float x) { return cosf(x); }
KERNELS_HD double k_cos(double x) { return cos(x); }
KERNELS_HD float k_sqrt(float x) { return sqrtf(x); }
KERNELS_HD double k_sqrt(double x) { return sqrt(x); }
KERNELS_HD float k_pow(float x, float y) { return powf(x, y); }
KERNELS_HD double k_pow(double x, double y) { return pow(x, y); }

}  // namespace kernels::scalar_math
