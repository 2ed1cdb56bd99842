"""Recurrent cells and layers (RNN tanh/relu, LSTM, GRU): forward against a NumPy float64
reference and torch (state_dict copied from torch: same outputs, final states and gradients for
the input, h0/c0 and every weight), over layers 1-2, bidirectional, batch_first, bias, packed
variable lengths; backward against float64 finite differences; truncated BPTT; dropout between
layers; CPU against CUDA; bad inputs."""

import numpy as np
import pytest

import kernels
import kernels.functional as F
import kernels.nn as knn
from kernels import _C
from kernels.nn.utils import rnn as krnn
from kernels.ops import rnn as ops
from kernels.testing.cases import RNN
from kernels.testing.runner import ForwardBackward, to_numpy
from opcheck import HAS_CUDA, gradcheck, requires_cuda, on_fast_and_portable

R = np.random.default_rng(7)
MODES = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


# ------------------------------------------------------------------ NumPy float64 reference


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    if mode == "rnn_tanh":
        return np.tanh(gi + gh), None
    if mode == "rnn_relu":
        return np.maximum(gi + gh, 0), None
    H = h.shape[-1]
    if mode == "lstm":
        a = gi + gh
        i, f, g, o = _sig(a[..., :H]), _sig(a[..., H:2 * H]), np.tanh(a[..., 2 * H:3 * H]), _sig(a[..., 3 * H:])
        c2 = f * c + i * g
        return o * np.tanh(c2), c2
    r = _sig(gi[..., :H] + gh[..., :H])
    z = _sig(gi[..., H:2 * H] + gh[..., H:2 * H])
    n = np.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    return (1 - z) * n + z * h, None


def np_layers(mode, x, h0, c0, params, bias, L, D, lengths=None):
    """x (T, B, I) time-major; lengths (B) or None. Output (T, B, D*H), zero past each length;
    final states at each sequence's last valid step."""
    T, B = x.shape[:2]
    lengths = np.full(B, T) if lengths is None else np.asarray(lengths)
    per = 4 if bias else 2
    hs, cs = [], []
    for layer in range(L):
        H = h0.shape[-1]
        out = np.zeros((T, B, D * H))
        for d in range(D):
            p = params[(layer * D + d) * per:(layer * D + d + 1) * per]
            w_ih, w_hh = p[0], p[1]
            b_ih, b_hh = (p[2], p[3]) if bias else (None, None)
            h, c = h0[layer * D + d], None if c0 is None else c0[layer * D + d]
            for t in (range(T - 1, -1, -1) if d else range(T)):
                valid = (t < lengths)[:, None]
                h2, c2 = np_cell(mode, x[t], h, c, w_ih, w_hh, b_ih, b_hh)
                h = np.where(valid, h2, h)
                if c is not None:
                    c = np.where(valid, c2, c)
                out[t, :, d * H:(d + 1) * H] = np.where(valid, h2, 0)
            hs.append(h)
            cs.append(c)
        x = out
    return x, np.stack(hs), (np.stack(cs) if c0 is not None else None)


# ------------------------------------------------------------------ helpers
# The helpers that build torch's side import it themselves; only tests taking the `torch` fixture
# call them, so the NumPy, finite-difference and CUDA tests run without torch.


def _kernels_module(mode, I, H, L=1, bias=True, batch_first=False, bidirectional=False):
    """Our module alone, float64, with its own (torch's) initialisation."""
    kw = dict(num_layers=L, bias=bias, batch_first=batch_first, bidirectional=bidirectional, dtype=kernels.float64)
    if mode == "lstm":
        return knn.LSTM(I, H, **kw)
    if mode == "gru":
        return knn.GRU(I, H, **kw)
    return knn.RNN(I, H, nonlinearity="tanh" if mode == "rnn_tanh" else "relu", **kw)


def _torch_module(mode, I, H, L=1, bias=True, batch_first=False, bidirectional=False, dropout=0.0):
    import torch

    if mode == "lstm":
        m = torch.nn.LSTM(I, H, L, bias, batch_first, dropout, bidirectional)
    elif mode == "gru":
        m = torch.nn.GRU(I, H, L, bias, batch_first, dropout, bidirectional)
    else:
        m = torch.nn.RNN(I, H, L, "tanh" if mode == "rnn_tanh" else "relu", bias, batch_first, dropout,
                         bidirectional)
    return m.double()


def _our_module(tm):
    """Our module with tm's configuration and parameters (state_dict copied from torch)."""
    kw = dict(num_layers=tm.num_layers, bias=tm.bias, batch_first=tm.batch_first, dropout=tm.dropout,
              bidirectional=tm.bidirectional, dtype=kernels.float64)
    if type(tm).__name__ == "LSTM":
        m = knn.LSTM(tm.input_size, tm.hidden_size, **kw)
    elif type(tm).__name__ == "GRU":
        m = knn.GRU(tm.input_size, tm.hidden_size, **kw)
    else:
        m = knn.RNN(tm.input_size, tm.hidden_size, nonlinearity=tm.nonlinearity, **kw)
    m.load_state_dict(tm.state_dict())
    return m


def _kt(a, requires_grad=False, dtype=kernels.float64, device="cpu"):
    return kernels.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=requires_grad)


def _tt(a, requires_grad=False):
    import torch

    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=requires_grad)


# (mode, layers, bidirectional, batch_first, bias, lengths (None: dense), enforce_sorted)
LAYER_CASES = [
    ("lstm", 1, False, False, True, None, True),
    ("lstm", 2, True, False, True, None, True),
    ("lstm", 2, False, True, False, None, True),
    ("lstm", 1, True, True, True, [5, 3, 3, 1], True),
    ("lstm", 2, True, False, True, [2, 5, 1, 4], False),
    ("gru", 1, False, False, True, None, True),
    ("gru", 2, True, True, True, None, True),
    ("gru", 1, False, False, False, [5, 4, 2, 2], True),
    ("gru", 2, True, True, True, [3, 1, 5, 5], False),
    ("rnn_tanh", 2, True, False, True, None, True),
    ("rnn_tanh", 1, False, True, False, [5, 2, 2, 1], True),
    ("rnn_relu", 2, False, False, True, None, True),
    ("rnn_relu", 1, True, False, True, [4, 5, 3, 1], False),
]


def _case_id(c):
    mode, L, bi, bf, bias, lengths, es = c
    s = f"{mode}-L{L}" + ("-bi" if bi else "") + ("-bf" if bf else "") + ("" if bias else "-nobias")
    return s + (f"-packed{'' if es else '-unsorted'}" if lengths else "")


def _run_layer(lib, m, x, h0, c0, lengths, enforce_sorted, batch_first):
    """Forward (padded output, h_n, c_n) through a torch or kernels module, packing when lengths."""
    rnn = krnn if lib is kernels else lib.nn.utils.rnn
    inp = x if lengths is None else rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    hx = (h0, c0) if c0 is not None else h0
    out, hid = m(inp, hx)
    if lengths is not None:
        out = rnn.pad_packed_sequence(out, batch_first)[0]
    h, c = hid if isinstance(hid, tuple) else (hid, None)
    return out, h, c


# ------------------------------------------------------------------ layers: forward and gradients vs torch


@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layer_matches_numpy_and_torch(case, torch):
    mode, L, bi, bf, bias, lengths, es = case
    T, B, I, H = 5, 4, 3, 6
    D = 2 if bi else 1
    tm = _torch_module(mode, I, H, L, bias, bf, bidirectional=bi)
    km = _our_module(tm)
    x = R.standard_normal((B, T, I) if bf else (T, B, I))
    h0 = R.standard_normal((L * D, B, H)) * 0.5
    c0 = R.standard_normal((L * D, B, H)) * 0.5 if mode == "lstm" else None
    ko, kh, kc = _run_layer(kernels, km, _kt(x, True), _kt(h0, True), None if c0 is None else _kt(c0, True),
                            lengths, es, bf)
    txs = [_tt(a, True) if a is not None else None for a in (x, h0, c0)]
    to, th, tc = _run_layer(torch, tm, *txs, lengths, es, bf)

    # forward vs the NumPy reference (time-major)
    params = [p.detach().numpy() for p in tm.parameters()]
    xt = x.transpose(1, 0, 2) if bf else x
    ro, rh, rc = np_layers(mode, xt, h0, c0, params, bias, L, D, lengths)
    if bf:
        ro = ro.transpose(1, 0, 2)
    if lengths is not None:
        ro = ro[:, :max(lengths)] if bf else ro[:max(lengths)]
    np.testing.assert_allclose(_np(ko), ro, atol=1e-12, err_msg="output vs numpy")
    np.testing.assert_allclose(_np(kh), rh, atol=1e-12, err_msg="h_n vs numpy")
    if c0 is not None:
        np.testing.assert_allclose(_np(kc), rc, atol=1e-12, err_msg="c_n vs numpy")

    # forward and every gradient vs torch, one random upstream gradient per output
    np.testing.assert_allclose(_np(ko), _np(to), atol=1e-12)
    np.testing.assert_allclose(_np(kh), _np(th), atol=1e-12)
    wo, wh = R.standard_normal(ro.shape), R.standard_normal(rh.shape)
    kl = (ko * _kt(wo)).sum() + (kh * _kt(wh)).sum()
    tl = (to * _tt(wo)).sum() + (th * _tt(wh)).sum()
    if c0 is not None:
        wc = R.standard_normal(rc.shape)
        kl = kl + (kc * _kt(wc)).sum()
        tl = tl + (tc * _tt(wc)).sum()
    kl.backward()
    tl.backward()
    kin = [t for t in km._flat_weights]
    for name, tp in tm.named_parameters():
        np.testing.assert_allclose(_np(getattr(km, name).grad), tp.grad.numpy(), atol=1e-11, err_msg=name)
    assert len(kin) == len(list(tm.parameters()))


# The layers the benchmarks time (kernels.testing.cases.RNN: T=100, input = hidden = 256 / 512), at
# batch 2.
NETWORK = [(mode, T, 2, H) for mode, T, _, H in RNN]


@pytest.mark.parametrize("mode,T,B,H", NETWORK, ids=[f"{m}-T{T}-B{B}-H{H}" for m, T, B, H in NETWORK])
def test_network_layer_matches_torch(mode, T, B, H, torch):
    """Forward and every gradient against torch, through the forward + backward runner bench/ times."""
    tm = _torch_module(mode.lower(), H, H)
    km = _our_module(tm)
    x = R.standard_normal((T, B, H))
    kx, tx = _kt(x, True), _tt(x, True)
    kp = dict(km.named_parameters())
    names = [n for n, _ in tm.named_parameters()]
    ours = ForwardBackward(kernels, lambda: km(kx), [kx] + [kp[n] for n in names])
    theirs = ForwardBackward(torch, lambda: tm(tx), [tx] + [p for _, p in tm.named_parameters()])
    np.testing.assert_allclose(to_numpy(ours()), to_numpy(theirs()), atol=1e-12)
    for name, got, want in zip(["input"] + names, ours.grads(), theirs.grads()):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=name)


def test_layer_float32_matches_torch(torch):
    for mode in MODES:
        tm = _torch_module(mode, 8, 16, 2, bidirectional=True).float()
        km = _our_module(tm).float()
        x = R.standard_normal((7, 3, 8)).astype(np.float32)
        kx = kernels.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        ko, kh = km(kx)
        to, th = tm(tx)
        if mode == "lstm":
            kh, th = kh[1], th[1]
        np.testing.assert_allclose(_np(ko), _np(to), atol=2e-6)
        np.testing.assert_allclose(_np(kh), _np(th), atol=2e-6)
        (ko.sum() + kh.sum()).backward()
        (to.sum() + th.sum()).backward()
        np.testing.assert_allclose(_np(kx.grad), tx.grad.numpy(), atol=2e-5, rtol=1e-4)
        np.testing.assert_allclose(_np(km.weight_hh_l0.grad), tm.weight_hh_l0.grad.numpy(), atol=2e-5,
                                   rtol=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_and_default_state(mode, torch):
    tm = _torch_module(mode, 3, 4, 2, bidirectional=True)
    km = _our_module(tm)
    x = R.standard_normal((5, 3))
    ko, kh = km(_kt(x))
    to, th = tm(_tt(x))
    assert tuple(ko.shape) == (5, 8)
    np.testing.assert_allclose(_np(ko), _np(to), atol=1e-12)
    for a, b in zip(kh if mode == "lstm" else [kh], th if mode == "lstm" else [th]):
        assert tuple(a.shape) == (4, 4)
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-12)


def test_functional_layers_match_module():
    km = _kernels_module("gru", 3, 4, 2, bidirectional=True)
    x = _kt(R.standard_normal((4, 2, 3)))
    out, h = ops.gru(x, None, km._flat_weights, True, 2, 0.0, False, True, False)
    mo, mh = km(x)
    np.testing.assert_array_equal(_np(out), _np(mo))
    np.testing.assert_array_equal(_np(h), _np(mh))


# ------------------------------------------------------------------ layers: finite differences


def _layer_fn(mode, L, bi, bias, bf, lengths, es):
    """fn(x, h0[, c0], *params) -> every output flattened into one vector."""
    nstate = 2 if mode == "lstm" else 1

    def fn(x, *rest):
        states, params = rest[:nstate], rest[nstate:]
        if lengths is not None:
            inp = krnn.pack_padded_sequence(x, lengths, bf, es)
            data, bs, si, ui = inp
            if si is not None:
                states = [s.index_select(1, si) for s in states]
            res = getattr(ops, mode)(data, states if mode == "lstm" else states[0], params, bias, L, 0.0,
                                     False, bi, False, batch_sizes=bs)
            out = krnn.pad_packed_sequence(krnn.PackedSequence(res[0], bs, si, ui), bf)[0]
            hid = [h.index_select(1, ui) if ui is not None else h for h in res[1:]]
        else:
            res = getattr(ops, mode)(x, states if mode == "lstm" else states[0], params, bias, L, 0.0,
                                     False, bi, bf)
            out, hid = res[0], list(res[1:])
        return kernels.cat([out.reshape(-1)] + [h.reshape(-1) for h in hid])

    return fn


FD_CASES = [
    ("lstm", 2, True, False, True, None, True),
    ("lstm", 1, True, False, True, [3, 1, 2], False),
    ("gru", 2, True, True, True, None, True),
    ("gru", 1, True, False, False, [3, 3, 1], True),
    ("rnn_tanh", 2, True, False, False, [3, 2, 2], True),
    ("rnn_relu", 1, False, True, True, None, True),
]


@pytest.mark.parametrize("case", FD_CASES, ids=_case_id)
def test_layer_gradcheck(case):
    mode, L, bi, bf, bias, lengths, es = case
    T, B, I, H = 3, 3, 2, 2
    D = 2 if bi else 1
    km = _kernels_module(mode, I, H, L, bias, bf, bidirectional=bi)
    params = [_np(p).copy() for p in km.parameters()]
    x = R.standard_normal((B, T, I) if bf else (T, B, I))
    states = [R.standard_normal((L * D, B, H)) * 0.5 for _ in range(2 if mode == "lstm" else 1)]
    if mode == "rnn_relu":  # keep pre-activations away from the kink
        x = x + 0.5
    gradcheck(_layer_fn(mode, L, bi, bias, bf, lengths, es), [x, *states, *params], atol=1e-7, rtol=1e-5)


# ------------------------------------------------------------------ cells


def _cell_params(mode, I, H, bias):
    G = GATES[mode] * H
    k = 1 / np.sqrt(H)
    ps = [R.uniform(-k, k, (G, I)), R.uniform(-k, k, (G, H))]
    return ps + ([R.uniform(-k, k, G), R.uniform(-k, k, G)] if bias else [None, None])


def _cell_call(mode, x, h, c, *p):
    if mode == "lstm":
        return ops.lstm_cell(x, (h, c), *p)
    return getattr(ops, mode + "_cell")(x, h, *p)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_numpy_and_torch(mode, bias, batched):
    I, H = 5, 7
    shape = (4,) if batched else ()
    x, h, c = R.standard_normal(shape + (I,)), R.standard_normal(shape + (H,)), R.standard_normal(shape + (H,))
    p = _cell_params(mode, I, H, bias)
    rh, rc = np_cell(mode, x, h, c, *p)
    kargs = [_kt(a, True) if a is not None else None for a in (x, h, c, *p)]
    kout = _cell_call(mode, *kargs)
    np.testing.assert_allclose(_np(kout[0] if mode == "lstm" else kout), rh, atol=1e-13)
    if mode == "lstm":
        np.testing.assert_allclose(_np(kout[1]), rc, atol=1e-13)
    torch = pytest.importorskip("torch")  # the NumPy reference above runs without it
    targs = [_tt(a, True) if a is not None else None for a in (x, h, c, *p)]
    tfn = {"lstm": None, "gru": torch.gru_cell, "rnn_tanh": torch.rnn_tanh_cell, "rnn_relu": torch.rnn_relu_cell}
    if mode == "lstm":
        tout = torch.lstm_cell(targs[0], (targs[1], targs[2]), *targs[3:]) if batched else \
            [o[0] for o in torch.lstm_cell(targs[0][None], (targs[1][None], targs[2][None]), *targs[3:])]
        wh, wc = R.standard_normal(rh.shape), R.standard_normal(rc.shape)
        (kout[0] * _kt(wh) + kout[1] * _kt(wc)).sum().backward()
        (tout[0] * _tt(wh) + tout[1] * _tt(wc)).sum().backward()
    else:
        tout = tfn[mode](targs[0], targs[1], *targs[3:]) if batched else \
            tfn[mode](targs[0][None], targs[1][None], *targs[3:])[0]
        np.testing.assert_allclose(_np(kout), _np(tout), atol=1e-13)
        w = R.standard_normal(rh.shape)
        (kout * _kt(w)).sum().backward()
        (tout * _tt(w)).sum().backward()
    for k, (a, b) in enumerate(zip(kargs, targs)):
        if a is None or (mode != "lstm" and k == 2):
            continue
        np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), atol=1e-12, err_msg=f"grad {k}")


@pytest.mark.parametrize("mode", MODES)
def test_cell_gradcheck(mode):
    I, H = 3, 2
    x, h, c = R.standard_normal((2, I)), R.standard_normal((2, H)), R.standard_normal((2, H))
    p = _cell_params(mode, I, H, True)
    if mode == "rnn_relu":
        x = x + 1.0
    if mode == "lstm":
        def fn(x, h, c, *p):
            hy, cy = ops.lstm_cell(x, (h, c), *p)
            return kernels.cat([hy.reshape(-1), cy.reshape(-1)])
        gradcheck(fn, [x, h, c, *p])
    else:
        gradcheck(lambda x, h, *p: _cell_call(mode, x, h, None, *p), [x, h, *p])


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_modules(cls, torch):
    kw = {"nonlinearity": "relu"} if cls == "RNNCell" else {}
    tc = getattr(torch.nn, cls)(3, 5, **kw).double()
    kc = getattr(knn, cls)(3, 5, **kw).double()
    assert repr(kc) == repr(tc)
    assert list(kc.state_dict()) == list(tc.state_dict())
    for p in kc.parameters():  # torch's init: U(-1/sqrt(H), 1/sqrt(H))
        assert np.abs(_np(p)).max() <= 1 / np.sqrt(5)
    kc.load_state_dict(tc.state_dict())
    x = R.standard_normal((4, 3)) + 0.3
    for inp in (x, x[0]):  # batched and unbatched, hx defaulting to zeros
        ko, to = kc(_kt(inp)), tc(_tt(inp))
        ko, to = (ko[1], to[1]) if cls == "LSTMCell" else (ko, to)
        assert tuple(ko.shape) == tuple(to.shape)
        np.testing.assert_allclose(_np(ko), _np(to), atol=1e-13)


# ------------------------------------------------------------------ module API


@pytest.mark.parametrize("mode", MODES)
def test_module_state_dict_init_repr(mode, torch):
    tm = _torch_module(mode, 3, 4, 2, False, True, bidirectional=True)
    km = _our_module(tm)
    assert list(km.state_dict()) == list(tm.state_dict())
    assert repr(km) == repr(tm)
    for (kn, kp), (tn, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert kn == tn and tuple(kp.shape) == tuple(tp.shape)
    # torch's init: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)); H = 16 -> bound 0.25, std 0.144
    fresh = type(km)(3, 16, num_layers=2)
    vals = np.concatenate([_np(p).ravel() for p in fresh.parameters()])
    assert np.abs(vals).max() <= 0.25
    assert abs(vals.std() - 0.25 / np.sqrt(3)) < 0.01 and abs(vals.mean()) < 0.01


# ------------------------------------------------------------------ packed sequences


def test_pack_pad_roundtrip_matches_torch(torch):
    trnn = torch.nn.utils.rnn
    x = R.standard_normal((6, 4, 3))
    for bf in (False, True):
        xi = x.transpose(1, 0, 2) if bf else x
        for lengths, es in (([6, 4, 4, 1], True), ([2, 6, 1, 5], False)):
            kp = krnn.pack_padded_sequence(_kt(xi), lengths, bf, es)
            tp = trnn.pack_padded_sequence(_tt(xi), lengths, bf, es)
            np.testing.assert_array_equal(_np(kp.data), tp.data.numpy())
            assert kp.batch_sizes.tolist() == tp.batch_sizes.tolist()
            if es:
                assert kp.sorted_indices is None
            else:
                assert kp.sorted_indices.tolist() == tp.sorted_indices.tolist()
            for total in (None, 8):
                kpad, kl = krnn.pad_packed_sequence(kp, bf, -1.0, total)
                tpad, tl = trnn.pad_packed_sequence(tp, bf, -1.0, total)
                np.testing.assert_array_equal(_np(kpad), tpad.numpy())
                assert kl.tolist() == tl.tolist()
    seqs = [R.standard_normal((n, 2)) for n in (4, 2, 3)]
    for bf in (False, True):
        for side in ("right", "left"):
            kpad = krnn.pad_sequence([_kt(s) for s in seqs], bf, 0.5, side)
            tpad = trnn.pad_sequence([_tt(s) for s in seqs], bf, 0.5, side)
            np.testing.assert_array_equal(_np(kpad), tpad.numpy())
    kp = krnn.pack_sequence([_kt(s) for s in seqs], enforce_sorted=False)
    tp = trnn.pack_sequence([_tt(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(_np(kp.data), tp.data.numpy())
    for a, b in zip(krnn.unpack_sequence(kp), seqs):
        np.testing.assert_array_equal(_np(a), b)


def test_pack_gradient_flows_to_padded_input():
    x = _kt(R.standard_normal((4, 3, 2)), True)
    kp = krnn.pack_padded_sequence(x, [4, 2, 1])
    (kp.data * 2).sum().backward()
    mask = (np.arange(4)[:, None] < np.array([4, 2, 1])[None, :]).astype(float)
    np.testing.assert_array_equal(_np(x.grad), 2 * np.repeat(mask[:, :, None], 2, 2))


# ------------------------------------------------------------------ truncated BPTT, dropout


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_truncated_bptt_by_detach(mode, torch):
    tm = _torch_module(mode, 3, 4)
    km = _our_module(tm)
    x = R.standard_normal((6, 2, 3))
    w = R.standard_normal((6, 2, 4))
    kx, tx = _kt(x, True), _tt(x, True)

    def chunks(lib, m, xs, mk):
        state, loss = None, 0
        for s in (slice(0, 3), slice(3, 6)):
            out, state = m(xs[s], state)
            loss = loss + (out * mk(w[s])).sum()
            state = tuple(h.detach() for h in state) if isinstance(state, tuple) else state.detach()
        return loss, state

    kl, kstate = chunks(kernels, km, kx, _kt)
    tl, _ = chunks(torch, tm, tx, _tt)
    for s in (kstate if isinstance(kstate, tuple) else (kstate,)):
        assert not s.requires_grad and s.grad_fn is None
    kl.backward()
    tl.backward()
    np.testing.assert_allclose(_np(kx.grad), tx.grad.numpy(), atol=1e-12)
    for name, tp in tm.named_parameters():
        np.testing.assert_allclose(_np(getattr(km, name).grad), tp.grad.numpy(), atol=1e-12, err_msg=name)
    # the first chunk's inputs get gradient from the first chunk's loss only
    x1 = _kt(x[:3], True)
    out, _ = km(x1)
    (out * _kt(w[:3])).sum().backward()
    np.testing.assert_allclose(_np(kx.grad)[:3], _np(x1.grad), atol=1e-12)


def test_dropout_between_layers_train_vs_eval():
    km = knn.LSTM(3, 5, num_layers=3, dropout=0.5, dtype=kernels.float64)
    plain = knn.LSTM(3, 5, num_layers=3, dtype=kernels.float64)
    plain.load_state_dict(km.state_dict())
    x = _kt(R.standard_normal((4, 2, 3)))
    km.eval()
    np.testing.assert_array_equal(_np(km(x)[0]), _np(plain(x)[0]))
    km.train()
    kernels.manual_seed(11)
    y1 = _np(km(x)[0])
    kernels.manual_seed(11)
    y2 = _np(km(x)[0])
    np.testing.assert_array_equal(y1, y2)
    assert np.abs(y1 - _np(plain(x)[0])).max() > 1e-3
    # the same as running the layers one by one with dropout on the outputs of the first two
    kernels.manual_seed(11)
    h = x
    w = km._flat_weights
    for layer in range(3):
        h = ops.lstm(h, None, w[4 * layer:4 * layer + 4], True, 1, 0.0, False, False, False)[0]
        if layer < 2:
            h = F.dropout(h, 0.5, True)
    np.testing.assert_array_equal(y1, _np(h))


def _rnn_layers_outputs_and_grads():
    r = np.random.default_rng(0)
    out = []
    for cls in (kernels.nn.LSTM, kernels.nn.GRU, kernels.nn.RNN):
        kernels.manual_seed(1)
        m = cls(5, 19, num_layers=2, bidirectional=True)
        x = kernels.tensor(r.standard_normal((6, 13, 5)).astype(np.float32), requires_grad=True)
        y, _ = m(x)
        (y * y).sum().backward()
        out += [y.detach().numpy(), x.grad.numpy(), m.weight_hh_l0.grad.numpy()]
    return out


def test_portable_kernels_match():
    """The DEFAULT capability level replaces the packed AVX2 step GEMM and the vectorised float
    rows by the GEMM engine and the libm rows; same results."""
    outs = on_fast_and_portable(_rnn_layers_outputs_and_grads)
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, atol=2e-5, rtol=1e-4)


# ------------------------------------------------------------------ CPU vs CUDA


@requires_cuda
@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layer_cuda_vs_cpu(case):
    mode, L, bi, bf, bias, lengths, es = case
    base = _kernels_module(mode, 3, 6, L, bias, bf, bidirectional=bi)
    x = R.standard_normal((4, 5, 3) if bf else (5, 4, 3))
    results = []
    for device in ("cpu", "cuda"):
        km = _kernels_module(mode, 3, 6, L, bias, bf, bidirectional=bi)
        km.load_state_dict(base.state_dict())
        km = km.float().to(device)
        kx = _kt(x, True, kernels.float32, device)
        out, h, c = _run_layer(kernels, km, kx, None, None, lengths, es, bf)
        loss = (out * out).sum() + h.sum() + (c.sum() if c is not None else 0)
        loss.backward()
        results.append([_np(out), _np(h), _np(kx.grad)] + [_np(p.grad) for p in km.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, atol=1e-4, rtol=1e-4)


@requires_cuda
@pytest.mark.parametrize("mode", MODES)
def test_cell_cuda_vs_cpu(mode):
    x, h, c = R.standard_normal((4, 3)), R.standard_normal((4, 5)), R.standard_normal((4, 5))
    p = _cell_params(mode, 3, 5, True)
    results = []
    for device in ("cpu", "cuda"):
        args = [_kt(a, True, kernels.float32, device) for a in (x, h, c, *p)]
        out = _cell_call(mode, *args)
        out = out[0] * 2 + out[1] if mode == "lstm" else out
        out.sum().backward()
        results.append([_np(out)] + [_np(a.grad) for a in args if a.grad is not None])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, atol=1e-5, rtol=1e-4)


@requires_cuda
def test_hidden_on_wrong_device():
    km = knn.GRU(3, 4).cuda()
    with pytest.raises(ValueError, match="on cpu"):
        km(_kt(np.zeros((2, 1, 3)), device="cuda"), _kt(np.zeros((1, 1, 4))).float())


# ------------------------------------------------------------------ bad inputs


def _lstm(**kw):
    return knn.LSTM(3, 4, **kw)


BAD_MODULE_CALLS = [
    ("rank 4", lambda: _lstm()(kernels.zeros(2, 2, 2, 3)), ValueError, "Expected input to be 2D or 3D"),
    ("rank 1", lambda: _lstm()(kernels.zeros(3)), ValueError, "Expected input to be 2D or 3D"),
    ("features", lambda: _lstm()(kernels.zeros(5, 2, 4)), ValueError, r"\(5, 2, 4\) has 4 features but input_size is 3"),
    ("h0 shape", lambda: _lstm()(kernels.zeros(5, 2, 3), (kernels.zeros(2, 2, 4), kernels.zeros(1, 2, 4))),
     ValueError, r"Expected h_0 size \(1, 2, 4\).*got \(2, 2, 4\)"),
    ("c0 shape", lambda: _lstm()(kernels.zeros(5, 2, 3), (kernels.zeros(1, 2, 4), kernels.zeros(1, 3, 4))),
     ValueError, r"Expected c_0 size \(1, 2, 4\).*got \(1, 3, 4\)"),
    ("gru h0 batch", lambda: knn.GRU(3, 4, batch_first=True)(kernels.zeros(2, 5, 3), kernels.zeros(1, 5, 4)),
     ValueError, r"Expected hx size \(1, 2, 4\)"),
    ("unbatched 3-D hx", lambda: knn.GRU(3, 4)(kernels.zeros(5, 3), kernels.zeros(1, 1, 4)), ValueError,
     "should also be 2-D"),
    ("hx not a pair", lambda: _lstm()(kernels.zeros(5, 2, 3), kernels.zeros(1, 2, 4)), TypeError, "tuple"),
    ("T = 0", lambda: _lstm()(kernels.zeros(0, 2, 3)), ValueError, "empty sequence"),
    ("T = 0 batch_first", lambda: _lstm(batch_first=True)(kernels.zeros(2, 0, 3)), ValueError, "empty sequence"),
    ("dtype", lambda: _lstm()(kernels.zeros(5, 2, 3, dtype=kernels.float64)), TypeError, "float32"),
    ("proj_size", lambda: knn.LSTM(3, 4, proj_size=2), ValueError, "proj_size"),
    ("nonlinearity", lambda: knn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "Unknown nonlinearity"),
    ("hidden_size 0", lambda: knn.GRU(3, 0), ValueError, "hidden_size"),
    ("num_layers 0", lambda: knn.GRU(3, 4, num_layers=0), ValueError, "num_layers"),
    ("dropout 2", lambda: knn.GRU(3, 4, dropout=2.0), ValueError, "dropout"),
    ("cell rank", lambda: knn.GRUCell(3, 4)(kernels.zeros(2, 2, 3)), ValueError, "1D or 2D"),
    ("cell features", lambda: knn.LSTMCell(3, 4)(kernels.zeros(2, 5)), ValueError, r"\(2, 5\) has 5 features"),
    ("cell hx", lambda: knn.RNNCell(3, 4)(kernels.zeros(2, 3), kernels.zeros(3, 4)), ValueError,
     r"hx must have shape \(2, 4\)"),
    ("cell cx", lambda: knn.LSTMCell(3, 4)(kernels.zeros(2, 3), (kernels.zeros(2, 4), kernels.zeros(2, 5))),
     ValueError, r"hx\[1\] must have shape \(2, 4\)"),
    ("cell nonlinearity", lambda: knn.RNNCell(3, 4, nonlinearity="gelu"), ValueError, "Unknown nonlinearity"),
]


@pytest.mark.parametrize("name,call,exc,match", BAD_MODULE_CALLS, ids=[c[0] for c in BAD_MODULE_CALLS])
def test_bad_module_inputs(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_dropout_single_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        knn.GRU(3, 4, dropout=0.2)


BAD_PACKING = [
    ("too long", lambda x: krnn.pack_padded_sequence(x, [6, 2, 1]), "exceeds the sequence length 5"),
    ("unsorted", lambda x: krnn.pack_padded_sequence(x, [2, 5, 1]), "sorted in decreasing order"),
    ("zero length", lambda x: krnn.pack_padded_sequence(x, [5, 2, 0]), "must be positive"),
    ("zero length unsorted", lambda x: krnn.pack_padded_sequence(x, [0, 2, 5], enforce_sorted=False),
     "must be positive"),
    ("count", lambda x: krnn.pack_padded_sequence(x, [5, 2]), "expected 3 lengths"),
    ("total_length", lambda x: krnn.pad_packed_sequence(krnn.pack_padded_sequence(x, [5, 2, 1]), total_length=3),
     "shorter than the longest"),
]


@pytest.mark.parametrize("name,call,match", BAD_PACKING, ids=[c[0] for c in BAD_PACKING])
def test_bad_packing(name, call, match):
    with pytest.raises(ValueError, match=match):
        call(kernels.zeros(5, 3, 2))


def _w(G, H, I, bias=True):
    ws = [kernels.zeros(G * H, I), kernels.zeros(G * H, H)]
    return ws + ([kernels.zeros(G * H), kernels.zeros(G * H)] if bias else [None, None])


BAD_C_CALLS = [
    ("rank", lambda: _C.gru_forward(kernels.zeros(5, 3), None, False, kernels.zeros(1, 2, 4), _w(3, 4, 3)),
     ValueError, r"gru: input must have shape \(T, B, input_size\), got \(5,3\)"),
    ("features", lambda: _C.lstm_forward(kernels.zeros(5, 2, 6), None, False, kernels.zeros(1, 2, 4),
                                         kernels.zeros(1, 2, 4), _w(4, 4, 3)),
     ValueError, r"lstm: input \(5,2,6\) has 6 features but weight_ih \(16,3\) expects 3"),
    ("h0", lambda: _C.rnn_tanh_forward(kernels.zeros(5, 2, 3), None, False, kernels.zeros(1, 3, 4), _w(1, 4, 3)),
     ValueError, r"rnn_tanh: h0 must have shape \(1,2,4\) for input \(5,2,3\), got \(1,3,4\)"),
    ("w_hh", lambda: _C.gru_forward(kernels.zeros(5, 2, 3), None, False, kernels.zeros(1, 2, 4),
                                    [kernels.zeros(12, 3), kernels.zeros(12, 5), None, None]),
     ValueError, r"weight_hh must have shape \(3\*hidden_size, hidden_size\), got \(12,5\)"),
    ("bias", lambda: _C.gru_forward(kernels.zeros(5, 2, 3), None, False, kernels.zeros(1, 2, 4),
                                    _w(3, 4, 3)[:2] + [kernels.zeros(11), None]),
     ValueError, r"bias_ih must have shape \(12,\), got \(11,\)"),
    ("T=0", lambda: _C.gru_forward(kernels.zeros(0, 2, 3), None, False, kernels.zeros(1, 2, 4), _w(3, 4, 3)),
     ValueError, r"gru: input \(0,2,3\) has an empty sequence"),
    ("batch_sizes order", lambda: _C.gru_forward(kernels.zeros(5, 3), kernels.tensor([2, 3]), False,
                                                 kernels.zeros(1, 2, 4), _w(3, 4, 3)),
     ValueError, "non-increasing"),
    ("batch_sizes zero", lambda: _C.gru_forward(kernels.zeros(2, 3), kernels.tensor([2, 0]), False,
                                                kernels.zeros(1, 2, 4), _w(3, 4, 3)),
     ValueError, "must be positive"),
    ("batch_sizes sum", lambda: _C.gru_forward(kernels.zeros(4, 3), kernels.tensor([2, 1]), False,
                                               kernels.zeros(1, 2, 4), _w(3, 4, 3)),
     ValueError, "packed input has 4 rows but batch_sizes sum to 3"),
    ("batch_sizes empty", lambda: _C.gru_forward(kernels.zeros(0, 3), kernels.tensor(np.zeros(0, np.int64)),
                                                 False, kernels.zeros(1, 2, 4), _w(3, 4, 3)),
     ValueError, "empty sequence"),
    ("dtype", lambda: _C.gru_forward(kernels.zeros(5, 2, 3, dtype=kernels.float64), None, False,
                                     kernels.zeros(1, 2, 4, dtype=kernels.float64), _w(3, 4, 3)),
     TypeError, "weight_ih is float32"),
    ("int input", lambda: _C.gru_forward(kernels.zeros(5, 2, 3, dtype=kernels.int64), None, False,
                                         kernels.zeros(1, 2, 4), _w(3, 4, 3)), TypeError, "float32 or float64"),
    ("cell hx", lambda: _C.lstm_cell_forward(kernels.zeros(2, 3), kernels.zeros(2, 4), kernels.zeros(3, 4),
                                             *_w(4, 4, 3)), ValueError,
     r"lstm_cell: cx must have shape \(2,4\) for input \(2,3\), got \(3,4\)"),
    ("cell features", lambda: _C.gru_cell_forward(kernels.zeros(2, 5), kernels.zeros(2, 4), *_w(3, 4, 3)),
     ValueError, r"gru_cell: input \(2,5\) has 5 features but weight_ih \(12,3\) expects 3"),
    ("functional cell rank", lambda: F.gru_cell(kernels.zeros(2, 2, 3), kernels.zeros(2, 4), *_w(3, 4, 3)),
     ValueError, "gru_cell: expected input of shape"),
]


@pytest.mark.parametrize("name,call,exc,match", BAD_C_CALLS, ids=[c[0] for c in BAD_C_CALLS])
def test_bad_kernel_arguments(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_backward_workspace_mismatch():
    x, h0 = kernels.zeros(5, 2, 3), kernels.zeros(1, 2, 4)
    y, hn, ws = _C.gru_forward(x, None, False, h0, _w(3, 4, 3))
    with pytest.raises(ValueError, match="workspace"):
        _C.gru_backward(y, hn, x, None, False, _w(3, 4, 3), ws[:2], [True, True])
    with pytest.raises(ValueError, match=r"grad_output must have shape \(5,2,4\)"):
        _C.gru_backward(kernels.zeros(5, 2, 5), hn, x, None, False, _w(3, 4, 3), ws, [True, True])


@pytest.mark.skipif(HAS_CUDA, reason="checks the message of a build or machine without CUDA")
def test_cuda_module_without_cuda():
    with pytest.raises(Exception):
        knn.GRU(3, 4).cuda()


def _lstm_gru_at_level(level, H, dtype):
    from kernels.backends import cpu

    r = np.random.default_rng(3)
    out = []
    with cpu.cpu_capability(level):
        for cls in (kernels.nn.LSTM, kernels.nn.GRU):
            kernels.manual_seed(2)
            m = cls(7, H, num_layers=1).to(dtype)
            x = kernels.tensor(r.standard_normal((5, 13, 7)), dtype=dtype, requires_grad=True)
            y, _ = m(x)
            (y * y).sum().backward()
            out += [y.detach().numpy(), x.grad.numpy(), m.weight_hh_l0.grad.numpy()]
    return out


@pytest.mark.parametrize("H", [9, 19, 40])  # 4H = 36, 76, 160: 32-wide slivers with and without edges
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_step_gemm_tiles_agree_across_levels(H, dtype):
    """The recurrent step's packed weight at the avx512 level (6x32 / 6x16 tiles, masked edges),
    the avx2 level (6x16 / 6x8 tiles) and the portable GEMM give the same layers and gradients."""
    from kernels.backends import cpu

    if cpu.supported_cpu_capability() != "AVX512":
        pytest.skip("this CPU has no AVX-512F: the avx512 tiles cannot run here")
    dt = getattr(kernels, dtype)
    wide, avx2, portable = (_lstm_gru_at_level(lv, H, dt) for lv in ("avx512", "avx2", "default"))
    tol = dict(atol=2e-5, rtol=1e-4) if dtype == "float32" else dict(atol=1e-12, rtol=1e-10)
    for a, b, c in zip(wide, avx2, portable):
        np.testing.assert_allclose(a, b, **tol)
        np.testing.assert_allclose(a, c, **tol)
