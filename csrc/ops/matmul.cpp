// matmul and linear: check the arguments, lower the product to batched GEMMs (GemmSpec, see
// csrc/contracts/matmul.h), allocate the outputs and route by device.
//
// matmul with a (Ba..., M, K) and b (Bb..., K, N), broadcast batch shape S:
//   out[s] = a[s] @ b[s]                                         out (S..., M, N)
//   da[s'] = sum over the dims where a is broadcast of dout[s] @ b[s]^T     da (Ba..., M, K)
//   db[s'] = sum over the dims where b is broadcast of a[s]^T @ dout[s]     db (Bb..., K, N)
// When b has no batch dims, a's batch dims fold into M: one GEMM with M' = prod(Ba) * M.
#include "matmul.h"

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/matmul.h"

namespace kernels {

namespace {

struct MatmulPlan {
  bool va = false, vb = false;  // a / b were vectors
  int64_t M = 0, K = 0, N = 0;
  std::vector<int64_t> batch_a, batch_b;  // each padded with leading 1s to batch's rank
  std::vector<int64_t> batch;             // broadcast batch shape S
  std::vector<int64_t> out_shape;
  bool fold = false;  // b has no batch dims
  int64_t rows_a = 1;  // prod(batch_a)
};

void check_pair(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(op, a, "input");
  check_defined(op, b, "other");
  check_floating(op, a);
  check_floating(op, b);
  check_same_dtype(op, a, b);
  check_same_device(op, a, b);
  check_max_dims(op, a);
  check_max_dims(op, b);
}

MatmulPlan make_plan(const char* op, const Tensor& a, const Tensor& b) {
  KCHECK(a.dim() >= 1 && b.dim() >= 1, op, ": both arguments need at least 1 dimension, got ",
         shape_str(a.shape), " @ ", shape_str(b.shape));
  MatmulPlan p;
  p.va = a.dim() == 1;
  p.vb = b.dim() == 1;
  p.M = p.va ? 1 : a.shape[a.dim() - 2];
  p.K = a.shape[a.dim() - 1];
  const int64_t kb = p.vb ? b.shape[0] : b.shape[b.dim() - 2];
  p.N = p.vb ? 1 : b.shape[b.dim() - 1];
  KCHECK(p.K == kb, op, ": inner dimensions do not match: ", shape_str(a.shape), " @ ",
         shape_str(b.shape), " (", p.K, " != ", kb, ")");
  std::vector<int64_t> ba(a.shape.begin(), a.shape.end() - (p.va ? 1 : 2));
  std::vector<int64_t> bb(b.shape.begin(), b.shape.end() - (p.vb ? 1 : 2));
  p.fold = bb.empty();
  const size_t nb = std::max(ba.size(), bb.size());
  p.batch_a.assign(nb - ba.size(), 1);
  p.batch_a.insert(p.batch_a.end(), ba.begin(), ba.end());
  p.batch_b.assign(nb - bb.size(), 1);
  p.batch_b.insert(p.batch_b.end(), bb.begin(), bb.end());
  p.batch.resize(nb);
  for (size_t d = 0; d < nb; ++d) {
    const int64_t x = p.batch_a[d], y = p.batch_b[d];
    KCHECK(x == y || x == 1 || y == 1, op, ": batch dimensions cannot be broadcast: ",
           shape_str(a.shape), " @ ", shape_str(b.shape), " (", x, " vs ", y, " at batch dim ", d,
           ")");
    p.batch[d] = x == 1 ? y : x;
  }
  for (int64_t s : ba) p.rows_a *= s;
  p.out_shape = p.batch;
  if (!p.va) p.out_shape.push_back(p.M);
  if (!p.vb) p.out_shape.push_back(p.N);
  return p;
}

// Contiguous strides of a batch shape, each scaled by the matrix size behind it.
std::vector<int64_t> batch_strides(const std::vector<int64_t>& shape, int64_t matrix) {
  std::vector<int64_t> st(shape.size());
  int64_t s = matrix;
  for (size_t d = shape.size(); d-- > 0;) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}

// Appends a batch dim (its size, its strides into A and into B) to one of GemmSpec's two lists.
void add_dim(int64_t* sizes, int64_t* a_strides, int64_t* b_strides, int& n, int64_t& count,
             int64_t size, int64_t sa, int64_t sb) {
  sizes[n] = size;
  a_strides[n] = sa;
  b_strides[n] = sb;
  ++n;
  count *= size;
}
void add_z(GemmSpec& s, int64_t size, int64_t sa, int64_t sb) {
  add_dim(s.zsize, s.za, s.zb, s.nz, s.zcount, size, sa, sb);
}
void add_r(GemmSpec& s, int64_t size, int64_t sa, int64_t sb) {
  add_dim(s.rsize, s.ra, s.rb, s.nr, s.rcount, size, sa, sb);
}

// out[s] = a[s] @ b[s]
GemmSpec forward_spec(const MatmulPlan& p) {
  if (p.fold) return GemmSpec::plain(false, false, p.rows_a * p.M, p.N, p.K, p.K, p.N, p.N);
  GemmSpec s = GemmSpec::plain(false, false, p.M, p.N, p.K, p.K, p.N, p.N);
  const auto sa = batch_strides(p.batch_a, p.M * p.K), sb = batch_strides(p.batch_b, p.K * p.N);
  for (size_t d = 0; d < p.batch.size(); ++d) {
    if (p.batch[d] == 1) continue;
    add_z(s, p.batch[d], p.batch_a[d] == 1 ? 0 : sa[d], p.batch_b[d] == 1 ? 0 : sb[d]);
  }
  return s;
}

// da = dout @ b^T: GEMM operands (dout, b), dout (M,N), b stored (K,N).
GemmSpec da_spec(const MatmulPlan& p) {
  if (p.fold) return GemmSpec::plain(false, true, p.rows_a * p.M, p.K, p.N, p.N, p.N, p.K);
  GemmSpec s = GemmSpec::plain(false, true, p.M, p.K, p.N, p.N, p.N, p.K);
  const auto sg = batch_strides(p.batch, p.M * p.N), sb = batch_strides(p.batch_b, p.K * p.N);
  for (size_t d = 0; d < p.batch.size(); ++d) {
    if (p.batch[d] == 1) continue;
    const int64_t stride_b = p.batch_b[d] == 1 ? 0 : sb[d];
    if (p.batch_a[d] == p.batch[d])
      add_z(s, p.batch[d], sg[d], stride_b);
    else
      add_r(s, p.batch[d], sg[d], stride_b);
  }
  return s;
}

// db = a^T @ dout: GEMM operands (a, dout), a stored (M,K), dout (M,N).
GemmSpec db_spec(const MatmulPlan& p) {
  if (p.fold) return GemmSpec::plain(true, false, p.K, p.N, p.rows_a * p.M, p.K, p.N, p.N);
  GemmSpec s = GemmSpec::plain(true, false, p.K, p.N, p.M, p.K, p.N, p.N);
  const auto sa = batch_strides(p.batch_a, p.M * p.K), sg = batch_strides(p.batch, p.M * p.N);
  for (size_t d = 0; d < p.batch.size(); ++d) {
    if (p.batch[d] == 1) continue;
    const int64_t stride_a = p.batch_a[d] == 1 ? 0 : sa[d];
    if (p.batch_b[d] == p.batch[d])
      add_z(s, p.batch[d], stride_a, sg[d]);
    else
      add_r(s, p.batch[d], stride_a, sg[d]);
  }
  return s;
}

bool mask_at(const std::vector<bool>& mask, size_t i) { return i >= mask.size() || mask[i]; }

}  // namespace

Tensor matmul_forward(const Tensor& a, const Tensor& b) {
  check_pair("matmul", a, b);
  const MatmulPlan p = make_plan("matmul", a, b);
  Tensor out = Tensor::empty(p.out_shape, a.dtype, a.device());
  if (out.numel() == 0) return out;
  const GemmSpec s = forward_spec(p);
  KERNELS_ROUTE(a, "matmul", matmul_forward, s, a, b, out);
  return out;
}

std::tuple<std::optional<Tensor>, std::optional<Tensor>> matmul_backward(
    const Tensor& grad, const Tensor& a, const Tensor& b, const std::vector<bool>& output_mask) {
  const char* op = "matmul_backward";
  check_pair(op, a, b);
  check_defined(op, grad, "grad");
  check_same_dtype(op, grad, a);
  check_same_device(op, grad, a);
  KCHECK(output_mask.size() == 2, op, ": output_mask must have 2 entries, got ",
         output_mask.size());
  const MatmulPlan p = make_plan(op, a, b);
  KCHECK(grad.shape == p.out_shape, op, ": grad ", shape_str(grad.shape),
         " does not match the output shape ", shape_str(p.out_shape), " of ", shape_str(a.shape),
         " @ ", shape_str(b.shape));
  Tensor da, db;
  if (mask_at(output_mask, 0)) da = Tensor::empty(a.shape, a.dtype, a.device());
  if (mask_at(output_mask, 1)) db = Tensor::empty(b.shape, b.dtype, b.device());
  Tensor da_run = da.defined() && da.numel() > 0 ? da : Tensor();
  Tensor db_run = db.defined() && db.numel() > 0 ? db : Tensor();
  if (da_run.defined() || db_run.defined()) {
    const GemmSpec sda = da_spec(p), sdb = db_spec(p);
    KERNELS_ROUTE(a, op, matmul_backward, sda, sdb, grad, a, b, da_run, db_run);
  }
  std::optional<Tensor> ra, rb;
  if (da.defined()) ra = da;
  if (db.defined()) rb = db;
  return {ra, rb};
}

namespace {

void check_linear(const char* op, const Tensor& x, const Tensor& weight, const Tensor* bias) {
  check_defined(op, x, "input");
  check_defined(op, weight, "weight");
  check_floating(op, x);
  check_same_dtype(op, x, weight);
  check_same_device(op, x, weight);
  check_max_dims(op, x);
  KCHECK(x.dim() >= 1, op, ": input must have at least 1 dimension, got shape ",
         shape_str(x.shape));
  KCHECK(weight.dim() == 2, op, ": weight must be 2-D (out_features, in_features), got shape ",
         shape_str(weight.shape));
  KCHECK(x.shape.back() == weight.shape[1], op, ": input ", shape_str(x.shape), " has ",
         x.shape.back(), " features in its last dim but weight ", shape_str(weight.shape),
         " expects ", weight.shape[1]);
  if (bias) {
    check_same_dtype(op, x, *bias);
    check_same_device(op, x, *bias);
    KCHECK(bias->dim() == 1 && bias->shape[0] == weight.shape[0], op, ": bias ",
           shape_str(bias->shape), " must be 1-D with out_features=", weight.shape[0],
           " entries (weight ", shape_str(weight.shape), ")");
  }
}

int64_t leading_rows(const Tensor& x) {
  int64_t r = 1;
  for (int d = 0; d + 1 < x.dim(); ++d) r *= x.shape[d];
  return r;
}

std::vector<int64_t> linear_out_shape(const Tensor& x, const Tensor& weight) {
  std::vector<int64_t> s(x.shape.begin(), x.shape.end() - 1);
  s.push_back(weight.shape[0]);
  return s;
}

}  // namespace

Tensor linear_forward(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias) {
  const char* op = "linear";
  check_linear(op, x, weight, bias ? &*bias : nullptr);
  const int64_t R = leading_rows(x), in = weight.shape[1], outf = weight.shape[0];
  Tensor out = Tensor::empty(linear_out_shape(x, weight), x.dtype, x.device());
  if (out.numel() == 0) return out;
  const Tensor x2 = x.view({R, in});
  Tensor out2 = out.view({R, outf});
  const Tensor b = bias ? *bias : Tensor();
  KERNELS_ROUTE(x, op, linear_forward, x2, weight, b, out2);
  return out;
}

std::tuple<std::optional<Tensor>, std::optional<Tensor>, std::optional<Tensor>> linear_backward(
    const Tensor& grad, const Tensor& x, const Tensor& weight, bool has_bias,
    const std::vector<bool>& output_mask) {
  const char* op = "linear_backward";
  check_linear(op, x, weight, nullptr);
  check_defined(op, grad, "grad");
  check_same_dtype(op, grad, x);
  check_same_device(op, grad, x);
  KCHECK(output_mask.size() == 3, op, ": output_mask must have 3 entries, got ",
         output_mask.size());
  const auto out_shape = linear_out_shape(x, weight);
  KCHECK(grad.shape == out_shape, op, ": grad ", shape_str(grad.shape),
         " does not match the output shape ", shape_str(out_shape), " of input ",
         shape_str(x.shape), " and weight ", shape_str(weight.shape));
  const int64_t R = leading_rows(x), in = weight.shape[1], outf = weight.shape[0];
  Tensor dx, dw, dbias;
  if (mask_at(output_mask, 0)) dx = Tensor::empty(x.shape, x.dtype, x.device());
  if (mask_at(output_mask, 1)) dw = Tensor::empty(weight.shape, x.dtype, x.device());
  if (has_bias && mask_at(output_mask, 2)) dbias = Tensor::empty({outf}, x.dtype, x.device());
  // Outputs with no elements need no kernel; the rest are computed even when R == 0 (zeros).
  Tensor dx2 = dx.defined() && dx.numel() > 0 ? dx.view({R, in}) : Tensor();
  Tensor dw_run = dw.defined() && dw.numel() > 0 ? dw : Tensor();
  Tensor db_run = dbias.defined() && dbias.numel() > 0 ? dbias : Tensor();
  if (dx2.defined() || dw_run.defined() || db_run.defined()) {
    const Tensor g2 = grad.view({R, outf});
    const Tensor x2 = x.view({R, in});
    KERNELS_ROUTE(x, op, linear_backward, g2, x2, weight, dx2, dw_run, db_run);
  }
  std::optional<Tensor> rx, rw, rb;
  if (dx.defined()) rx = dx;
  if (dw.defined()) rw = dw;
  if (dbias.defined()) rb = dbias;
  return {rx, rw, rb};
}

}  // namespace kernels
