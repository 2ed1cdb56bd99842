"""kernels.nn: Module registration and traversal, modes, conversion, state_dict (keys, round
trips with torch, strict errors), repr against torch's, containers, Linear against torch,
activation and loss modules against torch, init statistics, gradient clipping, bad inputs."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import kernels
from kernels import _C, nn
from kernels.nn import functional as F

HAS_CUDA = _C.cuda_device_count() > 0
RNG = np.random.default_rng(1234)


def T(x, dtype=None):
    return kernels.tensor(np.asarray(x), dtype=dtype)



def torch_or_skip():
    return pytest.importorskip("torch")


def to_torch(t):
    import torch

    return torch.from_numpy(np.array(t.detach().numpy(), copy=True))


# ------------------------------------------------------------------ models used throughout


class MLP(nn.Module):
    def __init__(self, d_in=4, d_hidden=8, d_out=3, act=True):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.act = nn.ReLU() if act else nn.Identity()
        self.fc2 = nn.Linear(d_hidden, d_out)
        self.register_buffer("scale", kernels.ones(d_out))
        self.register_buffer("steps", kernels.zeros(1, dtype=kernels.int64))
        self.register_buffer("cache", kernels.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def torch_mlp(d_in=4, d_hidden=8, d_out=3, act=True):
    import torch

    class MLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(d_in, d_hidden)
            self.act = torch.nn.ReLU() if act else torch.nn.Identity()
            self.fc2 = torch.nn.Linear(d_hidden, d_out)
            self.register_buffer("scale", torch.ones(d_out))
            self.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
            self.register_buffer("cache", torch.zeros(2), persistent=False)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x))) * self.scale

    return MLP()


def numpy_mlp(model, x, act=True):
    """float64 NumPy reference of MLP.forward from the model's current values."""
    w1, b1 = model.fc1.weight.detach().numpy(), model.fc1.bias.detach().numpy()
    w2, b2 = model.fc2.weight.detach().numpy(), model.fc2.bias.detach().numpy()
    h = x @ w1.astype(np.float64).T + b1
    if act:
        h = np.maximum(h, 0)
    return (h @ w2.astype(np.float64).T + b2) * model.scale.numpy()


def nested(lib):
    """The same nested model built with kernels.nn or torch.nn."""
    m = lib
    return m.Sequential(OrderedDict([
        ("encoder", m.Sequential(m.Linear(6, 5), m.ReLU(), m.Dropout(0.25))),
        ("blocks", m.ModuleList([m.Linear(5, 5) for _ in range(3)] + [m.Tanh()])),
        ("heads", m.ModuleDict({"cls": m.Linear(5, 2, bias=False), "reg": m.Linear(5, 1)})),
        ("flat", m.Flatten()),
    ]))


# ------------------------------------------------------------------ Parameter


def test_parameter_is_a_tensor_sharing_memory():
    t = T([1.0, 2.0, 3.0])
    p = nn.Parameter(t)
    assert isinstance(p, kernels.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p._same_storage(t)
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert tuple(nn.Parameter().shape) == (0,)
    with pytest.raises(TypeError, match="Parameter"):
        nn.Parameter(np.ones(3))


def test_parameter_repr_matches_torch():
    torch = torch_or_skip()
    p = nn.Parameter(kernels.tensor([1.0, 2.5]))
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.5])))
    q = nn.Parameter(kernels.tensor([1.0, 2.5]), requires_grad=False)
    assert repr(q) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.5]), requires_grad=False))


def test_parameter_works_with_ops_and_autograd():
    w = nn.Parameter(T([[1.0, 2.0], [3.0, 4.0]], dtype=kernels.float64))
    x = T([[0.5, -1.0]], dtype=kernels.float64)
    y = ((x @ w.t()) * w.sum() + w.exp().mean()).sum()
    y.backward()
    wn, xn = w.detach().numpy(), x.numpy()
    # y = sum(x w^T) * sum(w) + 2 * mean(exp(w))
    expected = (np.ones((2, 1)) @ xn) * wn.sum() + (xn @ wn.T).sum() + 2 * np.exp(wn) / 4
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)
    assert F.linear(x, w).shape == (1, 2)


# ------------------------------------------------------------------ registration and traversal


def test_registration_and_traversal_order_match_torch():
    torch = torch_or_skip()
    km, tm = MLP(), torch_mlp()
    assert [n for n, _ in km.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in km.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in km.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in km.named_children()] == [n for n, _ in tm.named_children()]
    kn, tn = nested(nn), nested(torch.nn)
    assert [n for n, _ in kn.named_parameters()] == [n for n, _ in tn.named_parameters()]
    assert [n for n, _ in kn.named_modules()] == [n for n, _ in tn.named_modules()]
    assert [type(m).__name__ for m in kn.modules()] == [type(m).__name__ for m in tn.modules()]
    assert [n for n, _ in kn.named_parameters(prefix="model")] == \
        [n for n, _ in tn.named_parameters(prefix="model")]
    assert [n for n, _ in km.named_parameters(recurse=False)] == []
    assert [n for n, _ in km.fc1.named_parameters(recurse=False)] == ["weight", "bias"]


def test_registries_and_attribute_access():
    m = MLP()
    assert list(m._parameters) == [] and list(m._modules) == ["fc1", "act", "fc2"]
    assert list(m._buffers) == ["scale", "steps", "cache"]
    assert m.fc1.weight is m.fc1._parameters["weight"]
    assert len(list(m.parameters())) == 4
    assert len(list(m.buffers())) == 3
    assert list(m.children()) == [m.fc1, m.act, m.fc2]
    assert m.get_submodule("fc2") is m.fc2
    assert m.get_parameter("fc2.bias") is m.fc2.bias
    # Re-assigning a registered name with a new kind moves it between registries.
    m.extra = nn.Parameter(kernels.zeros(2))
    assert "extra" in m._parameters
    m.extra = None  # a registered parameter may be set to None
    assert m._parameters["extra"] is None and m.extra is None
    assert "extra" not in dict(m.named_parameters())
    del m.extra
    assert "extra" not in m._parameters
    m.plain = 3
    assert m.plain == 3 and "plain" in m.__dict__
    m.steps = kernels.ones(1, dtype=kernels.int64)  # buffers accept any tensor
    assert m._buffers["steps"].item() == 1
    del m.fc2
    assert list(m._modules) == ["fc1", "act"]
    with pytest.raises(AttributeError, match="'MLP' object has no attribute 'fc2'"):
        m.fc2


def test_shared_parameters_and_modules_are_listed_once():
    torch = torch_or_skip()
    lin = nn.Linear(3, 3)
    k = nn.Sequential(lin, nn.ReLU(), lin)
    tl = torch.nn.Linear(3, 3)
    t = torch.nn.Sequential(tl, torch.nn.ReLU(), tl)
    assert [n for n, _ in k.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in k.named_modules()] == [n for n, _ in t.named_modules()]
    assert list(k.state_dict()) == list(t.state_dict())
    assert len(list(k.named_parameters(remove_duplicate=False))) == 4


def test_apply_visits_children_first():
    seen = []
    nested(nn).apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Sequential" and seen[0] == "Linear"
    assert seen.count("Linear") == 6


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    y = m(kernels.ones(1, 2))
    assert calls == ["pre"] and np.all(y.detach().numpy() == 0)
    h1.remove()
    h2.remove()
    assert np.any(m(kernels.ones(1, 2)).detach().numpy() != 0)


# ------------------------------------------------------------------ modes and grads


def test_train_eval_flags_propagate():
    m = nested(nn)
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.encoder.train(False)
    assert not m.encoder[2].training and m.blocks[0].training
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


def test_zero_grad():
    m = MLP(act=False)
    m(kernels.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    for p in m.parameters():
        assert p.grad is not None and np.all(p.grad.numpy() == 0)
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_toggle():
    m = MLP()
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())


# ------------------------------------------------------------------ conversion


def test_double_gives_float64_model_matching_numpy():
    m = MLP(act=False)
    x64 = RNG.standard_normal((7, 4))
    assert m.double() is m
    for p in m.parameters():
        assert p.dtype == kernels.float64 and isinstance(p, nn.Parameter) and p.requires_grad
    assert m.scale.dtype == kernels.float64
    assert m.steps.dtype == kernels.int64  # integer buffers keep their dtype
    assert m.cache.dtype == kernels.float64  # non-persistent buffers convert too
    y = m(T(x64))
    assert y.dtype == kernels.float64
    np.testing.assert_allclose(y.detach().numpy(), numpy_mlp(m, x64, act=False), rtol=1e-12,
                               atol=1e-14)
    m.float()
    assert all(p.dtype == kernels.float32 for p in m.parameters())
    m.to(dtype=kernels.float64)
    assert all(p.dtype == kernels.float64 for p in m.parameters())
    m.to(kernels.float32)
    assert all(p.dtype == kernels.float32 for p in m.parameters())


def test_conversion_keeps_parameter_objects():
    m = MLP()
    before = list(m.parameters())
    saved = before[0].detach().numpy().copy()
    assert m.to(kernels.float32) is m and m.cpu() is m
    assert all(a is b for a, b in zip(before, m.parameters()))  # no-op keeps the objects
    m.fc1.weight.grad = kernels.ones(8, 4)
    m.double()
    after = list(m.parameters())
    # As torch: the same Parameter objects, now float64, so an optimizer built before still works.
    assert all(a is b for a, b in zip(before, after))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in after)
    assert m.fc1.weight.dtype == kernels.float64 and m.fc1.weight.grad.dtype == kernels.float64
    np.testing.assert_array_equal(m.fc1.weight.detach().numpy(), saved.astype(np.float64))
    with pytest.raises(TypeError, match="floating point"):
        m.to(kernels.int64)


def test_conversion_keeps_tied_parameters_tied():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    m = nn.Sequential(a, b)
    m.double()
    assert m[0].weight is m[1].weight and m[0].weight.dtype == kernels.float64
    assert len(list(m.parameters())) == 3


def test_deepcopy_and_pickle():
    import copy
    import pickle

    m = MLP()
    m.fc1.weight.grad = kernels.ones(8, 4)
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        for (k, a), (_, b) in zip(m.state_dict().items(), clone.state_dict().items()):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
            assert not a._same_storage(b)
        assert isinstance(clone.fc1.weight, nn.Parameter) and clone.fc1.weight.requires_grad
    assert copy.deepcopy(m).fc1.weight.grad.numpy().sum() == 32
    t = kernels.tensor([1.0, 2.0], dtype=kernels.float64, requires_grad=True)
    u = pickle.loads(pickle.dumps(t))
    assert u.dtype == kernels.float64 and u.requires_grad and u.numpy(force=True).tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="deepcopy: only leaf tensors"):
        copy.deepcopy(t * 2)


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_cuda_and_back():
    m = MLP(act=False)
    x = kernels.randn(3, 4)
    ref = m(x).detach().numpy()
    m.cuda()
    assert all(p.is_cuda for p in m.parameters()) and m.steps.is_cuda
    y = m(x.cuda())
    np.testing.assert_allclose(y.detach().cpu().numpy(), ref, rtol=1e-5, atol=1e-6)
    m.cpu()
    assert not any(p.is_cuda for p in m.parameters())
    m.to("cuda", kernels.float64)
    assert all(p.is_cuda and p.dtype == kernels.float64 for p in m.parameters())


# ------------------------------------------------------------------ state_dict


def test_state_dict_keys_match_torch():
    torch = torch_or_skip()
    for km, tm in ((MLP(), torch_mlp()), (nested(nn), nested(torch.nn)),
                   (nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)),
                    torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                        torch.nn.Linear(8, 3)))):
        ksd, tsd = km.state_dict(), tm.state_dict()
        assert isinstance(ksd, OrderedDict)
        assert list(ksd) == list(tsd)
        for k in ksd:
            assert tuple(ksd[k].shape) == tuple(tsd[k].shape), k
    assert "cache" not in MLP().state_dict()  # non-persistent


def test_state_dict_values_are_detached_and_share_memory():
    m = MLP()
    sd = m.state_dict()
    w = sd["fc1.weight"]
    assert not w.requires_grad and not isinstance(w, nn.Parameter)
    assert w._same_storage(m.fc1.weight)
    kv = m.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is m.fc1.weight
    assert list(m.state_dict(prefix="net.")) == ["net." + k for k in sd]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("act", [False, True])
def test_state_dict_round_trip_kernels_torch_kernels(dtype, act):
    torch = torch_or_skip()
    kdt, tdt = getattr(kernels, dtype), getattr(torch, dtype)
    km = MLP(act=act).to(kdt)
    km.scale.copy_(T([1.0, 2.0, 0.5], dtype=kdt))
    tm = torch_mlp(act=act).to(tdt)
    # kernels -> torch: torch tensors built from the kernels state_dict (through NumPy)
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in km.state_dict().items()})
    x = RNG.standard_normal((6, 4))
    xk, xt = T(x, dtype=kdt), torch.tensor(x, dtype=tdt)
    yk = km(xk).detach().numpy()
    yt = tm(xt).detach().numpy()
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(yk, yt, **tol)
    # torch -> a fresh kernels model, loading torch tensors directly
    with torch.no_grad():
        for p in tm.parameters():
            p.mul_(1.5)
    km2 = MLP(act=act).to(kdt)
    res = km2.load_state_dict(tm.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    np.testing.assert_allclose(km2(xk).detach().numpy(), tm(xt).detach().numpy(), **tol)
    # and the values are exactly torch's
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(km2.state_dict()[k].numpy(), v.numpy())
    # kernels -> kernels
    km3 = MLP(act=act).to(kdt)
    km3.load_state_dict(km2.state_dict())
    np.testing.assert_array_equal(km3(xk).detach().numpy(), km2(xk).detach().numpy())


def test_load_state_dict_copies_in_place_and_converts():
    m = MLP()
    w = m.fc1.weight
    sd = {k: v.numpy().astype(np.float64) if v.dtype == kernels.float32 else v.numpy()
          for k, v in MLP().state_dict().items()}  # NumPy float64 values into a float32 model
    m.load_state_dict(sd)
    assert m.fc1.weight is w and w.dtype == kernels.float32 and w.requires_grad
    np.testing.assert_array_equal(w.detach().numpy(), sd["fc1.weight"].astype(np.float32))


def test_load_state_dict_torch_values_with_grad():
    torch = torch_or_skip()
    m = nn.Linear(3, 2)
    tw = torch.randn(2, 3, requires_grad=True)
    tb = torch.randn(4)[::2]  # non-contiguous
    m.load_state_dict({"weight": tw, "bias": tb})
    np.testing.assert_array_equal(m.weight.detach().numpy(), tw.detach().numpy())
    np.testing.assert_array_equal(m.bias.detach().numpy(), tb.numpy())
    # dtypes that kernels does not have are converted to the parameter's dtype
    m.load_state_dict({"weight": tw.to(torch.float16), "bias": tb.to(torch.bfloat16)})
    np.testing.assert_array_equal(m.weight.detach().numpy(), tw.detach().half().float().numpy())
    np.testing.assert_array_equal(m.bias.detach().numpy(), tb.to(torch.bfloat16).float().numpy())
    b = nn.Module()
    b.register_buffer("count", kernels.zeros(2, dtype=kernels.int64))
    b.load_state_dict({"count": torch.tensor([3, 4], dtype=torch.int32)})
    assert b.count.dtype == kernels.int64 and b.count.tolist() == [3, 4]


def test_load_state_dict_strict_errors():
    m = nn.Sequential(OrderedDict([("fc", nn.Linear(4, 5)), ("out", nn.Linear(5, 2))]))
    sd = m.state_dict()
    missing = {k: v for k, v in sd.items() if k != "out.bias"}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "out.bias"'):
        m.load_state_dict(missing)
    extra = dict(sd, **{"fc.scale": kernels.ones(1), "head.weight": kernels.ones(1)})
    # the root's unexpected keys come before its children's, as in torch
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "head.weight", '
                                           r'"fc.scale"'):
        m.load_state_dict(extra)
    bad = dict(sd, **{"fc.weight": kernels.zeros(3, 4)})
    with pytest.raises(RuntimeError,
                       match=r"size mismatch for fc.weight: copying a param with shape \(3, 4\) "
                             r"from checkpoint, the shape in current model is \(5, 4\)"):
        m.load_state_dict(bad)
    # all three at once, in torch's order, naming the model class
    both = {k: v for k, v in bad.items() if k != "out.bias"}
    both["zzz"] = kernels.ones(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(both)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:\n\tMissing key(s)")
    assert msg.index("Missing") < msg.index("Unexpected") < msg.index("size mismatch")
    # strict=False reports missing/unexpected keys and loads the rest
    before = m.out.weight.detach().numpy().copy()
    res = m.load_state_dict({"out.weight": kernels.zeros(2, 5), "zzz": kernels.ones(1)},
                            strict=False)
    assert res.missing_keys == ["fc.weight", "fc.bias", "out.bias"]
    assert res.unexpected_keys == ["zzz"]
    assert np.all(m.out.weight.detach().numpy() == 0) and np.any(before != 0)
    # a shape mismatch raises even with strict=False, as in torch
    with pytest.raises(RuntimeError, match="size mismatch for out.weight"):
        m.load_state_dict({"out.weight": kernels.zeros(5, 2)}, strict=False)
    with pytest.raises(RuntimeError, match='While copying the parameter named "out.bias"'):
        m.load_state_dict(dict(sd, **{"out.bias": "not a tensor"}))


def test_load_state_dict_error_matches_torch():
    torch = torch_or_skip()
    km = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Linear(5, 2))
    tsd = tm.state_dict()
    tsd["0.weight"] = torch.zeros(3, 4)
    del tsd["1.bias"]
    tsd["2.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as te:
        tm.load_state_dict(tsd)
    with pytest.raises(RuntimeError) as ke:
        km.load_state_dict(tsd)
    # the same message but for how shapes are printed (torch.Size([3, 4]) vs (3, 4))
    expected = str(te.value).replace("torch.Size([3, 4])", "(3, 4)").replace(
        "torch.Size([5, 4])", "(5, 4)")
    assert str(ke.value) == expected


def test_load_state_dict_assign():
    m = nn.Linear(2, 2)
    old = m.weight
    w = kernels.ones(2, 2)
    m.load_state_dict({"weight": w, "bias": kernels.zeros(2)}, assign=True)
    assert m.weight is not old and isinstance(m.weight, nn.Parameter)
    assert m.weight._same_storage(w) and m.weight.requires_grad


# ------------------------------------------------------------------ repr


def test_repr_matches_torch():
    torch = torch_or_skip()
    pairs = [
        (nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 3, bias=False)),
         torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                             torch.nn.Linear(8, 3, bias=False))),
        (nested(nn), nested(torch.nn)),
        (MLP(), torch_mlp()),
        (nn.ModuleList(), torch.nn.ModuleList()),
        (nn.Sequential(), torch.nn.Sequential()),
        (nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ReLU()]),
         torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.ReLU()])),
    ]
    for k, t in pairs:
        assert repr(k) == repr(t)
    assert repr(pairs[0][0]) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.1, inplace=False)\n"
        "  (3): Linear(in_features=8, out_features=3, bias=False)\n"
        ")")


LEAF_MODULES = [
    ("Linear", (3, 2), {}), ("Linear", (3, 2), {"bias": False}), ("Identity", (), {}),
    ("Flatten", (), {}), ("Flatten", (0, 2), {}), ("Unflatten", (1, (2, 3)), {}),
    ("Dropout", (), {}), ("Dropout", (0.2, True), {}),
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("ELU", (), {}),
    ("ELU", (0.5,), {}), ("Softplus", (), {}), ("Softplus", (2, 10), {}), ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("SiLU", (True,), {}),
    ("Softmax", (), {"dim": 1}), ("Softmax", (), {}), ("LogSoftmax", (-1,), {}),
    ("CrossEntropyLoss", (), {"label_smoothing": 0.1}), ("NLLLoss", (), {}), ("MSELoss", (), {}),
    ("L1Loss", (), {}), ("SmoothL1Loss", (), {"beta": 0.5}), ("HuberLoss", (), {"delta": 2.0}),
    ("BCELoss", (), {}), ("BCEWithLogitsLoss", (), {}), ("KLDivLoss", (), {"log_target": True}),
]


@pytest.mark.parametrize("name,args,kwargs", LEAF_MODULES,
                         ids=[f"{n}{i}" for i, (n, _, _) in enumerate(LEAF_MODULES)])
def test_leaf_module_repr_and_attributes_match_torch(name, args, kwargs):
    torch = torch_or_skip()
    k, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(k) == repr(t)
    assert [n for n, _ in k.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(k.state_dict()) == list(t.state_dict())
    for attr in ("reduction", "ignore_index", "label_smoothing", "beta", "delta", "log_target",
                 "negative_slope", "alpha", "threshold", "approximate", "dim", "inplace", "p",
                 "start_dim", "end_dim", "in_features", "out_features"):
        if hasattr(t, attr):
            assert getattr(k, attr) == getattr(t, attr), attr


def test_loss_weights_are_buffers_like_torch():
    torch = torch_or_skip()
    w = [1.0, 2.0, 0.5]
    cases = [
        (nn.CrossEntropyLoss(weight=T(w)), torch.nn.CrossEntropyLoss(weight=torch.tensor(w))),
        (nn.NLLLoss(weight=T(w)), torch.nn.NLLLoss(weight=torch.tensor(w))),
        (nn.BCELoss(weight=T(w)), torch.nn.BCELoss(weight=torch.tensor(w))),
        (nn.BCEWithLogitsLoss(pos_weight=T(w)),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))),
        (nn.BCEWithLogitsLoss(weight=T(w), pos_weight=T(w)),
         torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(w))),
    ]
    for k, t in cases:
        assert list(k.state_dict()) == list(t.state_dict())
        assert [n for n, _ in k.named_buffers()] == [n for n, _ in t.named_buffers()]
    k = cases[0][0].double()
    assert k.weight.dtype == kernels.float64


def test_legacy_reduction_arguments():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")


# ------------------------------------------------------------------ containers


def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]  # slices keep the keys, as torch
    x = kernels.randn(4, 2)
    np.testing.assert_allclose(s(x).detach().numpy(), c(a(x)).detach().numpy(), rtol=1e-6)
    d = nn.Linear(1, 1)
    s.append(d)
    assert s[3] is d and list(s._modules) == ["0", "1", "2", "3"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and list(s) == [a, c, d]
    s[0] = b
    assert s[0] is b
    s.insert(0, a)
    assert list(s) == [a, b, c, d]
    assert s.pop(1) is b and len(s) == 3
    with pytest.raises(IndexError, match="out of range"):
        s[5]
    named = nn.Sequential(OrderedDict([("first", a), ("second", c)]))
    assert list(named._modules) == ["first", "second"] and named.first is a
    assert list(named.state_dict()) == ["first.weight", "first.bias", "second.weight",
                                        "second.bias"]
    assert len(s + named) == 5
    with pytest.raises(TypeError):
        nn.Sequential(a, "not a module")


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and isinstance(layers[1:], nn.ModuleList)
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers += [nn.Identity()]
    assert len(layers) == 6 and isinstance(layers[-1], nn.Identity)
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers.insert(1, nn.Sigmoid())
    assert isinstance(layers[1], nn.Sigmoid) and len(layers) == 6
    assert len(list(layers.parameters())) == 4
    with pytest.raises(IndexError):
        layers[10]
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.ReLU())
    d = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    d["c"] = nn.Tanh()
    d.update([("e", nn.Identity())])
    assert list(d) == ["a", "b", "c", "e"] and "b" in d and len(d) == 4
    assert list(d.keys()) == ["a", "b", "c", "e"]
    assert d.pop("b").__class__ is nn.ReLU and "b" not in d
    assert list(d.state_dict()) == ["a.weight", "a.bias"]
    with pytest.raises(NotImplementedError, match="forward"):
        d(kernels.ones(1))


def test_flatten_unflatten_identity():
    x = kernels.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (2, 30))(nn.Flatten()(x)).shape == (2, 2, 30)
    assert nn.Identity(3, foo=4)(x) is x


# ------------------------------------------------------------------ Linear


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4)])
def test_linear_forward_backward_vs_torch(bias, shape):
    torch = torch_or_skip()
    k = nn.Linear(4, 3, bias=bias).double()
    t = torch.nn.Linear(4, 3, bias=bias).double()
    t.load_state_dict({n: to_torch(v) for n, v in k.state_dict().items()})
    x = RNG.standard_normal(shape)
    xk = T(x).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    yk, yt = k(xk), t(xt)
    np.testing.assert_allclose(yk.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = RNG.standard_normal(tuple(yt.shape))
    yk.backward(T(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xk.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(k.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    if bias:
        np.testing.assert_allclose(k.bias.grad.numpy(), t.bias.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_default_init_distribution():
    kernels.manual_seed(3)
    m = nn.Linear(256, 300)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    bound = 1 / math.sqrt(256)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), ...)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.02 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound and abs(b.std() - bound / math.sqrt(3)) < 0.1 * bound
    m2 = nn.Linear(3, 2, dtype=kernels.float64)
    assert m2.weight.dtype == kernels.float64 and m2.bias.dtype == kernels.float64
    with pytest.warns(UserWarning, match="zero-element"):  # as torch
        assert nn.Linear(0, 2).weight.shape == (2, 0)


def test_linear_bad_inputs_name_the_layer():
    m = nn.Linear(64, 10)
    with pytest.raises(ValueError, match=r"Linear\(in_features=64, out_features=10\): expected "
                                         r"input with last dim 64, got shape \(32, 63\)"):
        m(kernels.zeros(32, 63))
    with pytest.raises(ValueError, match=r"Linear\(in_features=64.*got shape \(\)"):
        m(kernels.zeros(()))
    with pytest.raises(TypeError, match="Linear"):
        m(np.zeros((2, 64)))
    with pytest.raises(TypeError, match=r"Linear\(in_features=64, out_features=10\): input is "
                                        r"kernels.float64 but the layer's weight is kernels.float32"):
        m(kernels.zeros(2, 64, dtype=kernels.float64))
    with pytest.raises(TypeError, match="Linear.*int64"):
        m(kernels.zeros(2, 64, dtype=kernels.int64))
    with pytest.raises(ValueError, match="Linear"):
        nn.Linear(-1, 3)


# ------------------------------------------------------------------ bad assignments


def test_bad_assignments_raise_like_torch():
    torch = torch_or_skip()
    k, t = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'kernels.Tensor' as parameter 'weight'"):
        k.weight = kernels.zeros(2, 2)
    with pytest.raises(TypeError):
        t.weight = torch.zeros(2, 2)
    s = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="as child module '0'"):
        setattr(s, "0", kernels.zeros(1))
    m = MLP()
    with pytest.raises(TypeError, match="as buffer 'scale'"):
        m.scale = 3.0
    with pytest.raises(KeyError, match="attribute 'fc1' already exists"):
        m.register_buffer("fc1", kernels.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.register_parameter("w", kernels.zeros(1))
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.register_buffer("b", np.zeros(1))
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("x", 3)
    w = nn.Parameter(kernels.ones(2))
    p = nn.Parameter(w * 2)  # a Parameter made from a non-leaf is itself a leaf, as in torch
    assert p.is_leaf and p.requires_grad


def test_assign_before_init():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_missing_forward():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                                                  r'"forward" function'):
        nn.Module()(1)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", True])
def test_bad_dropout_p(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)


# ------------------------------------------------------------------ init


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.mean(), a.std(), a.min(), a.max()


def test_calculate_gain_matches_torch():
    torch = torch_or_skip()
    for nl, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                      ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert nn.init.calculate_gain(nl, param) == pytest.approx(
            torch.nn.init.calculate_gain(nl, param))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swishy")
    with pytest.raises(ValueError, match="negative_slope"):
        nn.init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_init_statistics(dtype):
    dt = getattr(kernels, dtype)
    shape = (200, 100, 3, 3)  # fan_in = 900, fan_out = 1800
    t = kernels.empty(*shape, dtype=dt)
    fan_in, fan_out = 900, 1800
    tol_std = 0.01

    def check(fn, mean, std, lo=None, hi=None):
        assert fn(t) is t
        m, s, mn, mx = _stats(t)
        assert abs(m - mean) < 0.01 * max(std, 1e-3) + 5 * std / math.sqrt(t.numel()), fn
        assert abs(s / std - 1) < tol_std, (s, std)
        if lo is not None:
            assert mn >= lo and mx <= hi
            assert mn < lo + 0.01 * (hi - lo) and mx > hi - 0.01 * (hi - lo)

    check(lambda x: nn.init.uniform_(x, -2.0, 3.0), 0.5, 5 / math.sqrt(12), -2.0, 3.0)
    check(lambda x: nn.init.normal_(x, 1.0, 0.5), 1.0, 0.5)
    b = math.sqrt(6 / (fan_in + fan_out))
    check(nn.init.xavier_uniform_, 0.0, b / math.sqrt(3), -b, b)
    check(lambda x: nn.init.xavier_normal_(x, gain=2.0), 0.0, 2 * math.sqrt(2 / (fan_in + fan_out)))
    g = math.sqrt(2.0)
    b = g * math.sqrt(3 / fan_in)
    check(lambda x: nn.init.kaiming_uniform_(x, nonlinearity="relu"), 0.0, b / math.sqrt(3), -b, b)
    check(lambda x: nn.init.kaiming_normal_(x, mode="fan_out", nonlinearity="relu"), 0.0,
          g / math.sqrt(fan_out))
    g = math.sqrt(2 / (1 + 5))
    b = g * math.sqrt(3 / fan_in)
    check(lambda x: nn.init.kaiming_uniform_(x, a=math.sqrt(5)), 0.0, b / math.sqrt(3), -b, b)
    # truncated normal on [-1, 2] with std 1: known mean and std of the truncated distribution
    nn.init.trunc_normal_(t, 0.0, 1.0, -1.0, 2.0)
    m, s, mn, mx = _stats(t)
    from math import erf, exp, pi, sqrt

    phi = lambda x: exp(-x * x / 2) / sqrt(2 * pi)  # noqa: E731
    Phi = lambda x: 0.5 * (1 + erf(x / sqrt(2)))  # noqa: E731
    Z = Phi(2) - Phi(-1)
    tm = (phi(-1) - phi(2)) / Z
    tv = 1 + (-1 * phi(-1) - 2 * phi(2)) / Z - tm**2
    assert mn >= -1 and mx <= 2
    assert abs(m - tm) < 0.01 and abs(s - sqrt(tv)) < 0.01
    nn.init.constant_(t, 0.25)
    assert np.all(t.numpy() == 0.25)
    nn.init.ones_(t)
    assert np.all(t.numpy() == 1)
    nn.init.zeros_(t)
    assert np.all(t.numpy() == 0)
    e = nn.init.eye_(kernels.empty(3, 4, dtype=dt))
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 4))


def test_init_on_parameters_is_in_place_and_untracked():
    p = nn.Parameter(kernels.zeros(30, 20))
    nn.init.kaiming_normal_(p)
    assert p.requires_grad and p.grad_fn is None and np.any(p.detach().numpy() != 0)
    nn.init.zeros_(p)
    assert p.grad_fn is None and np.all(p.detach().numpy() == 0)


def test_init_is_reproducible_with_seed():
    kernels.manual_seed(7)
    a = nn.Linear(5, 4).weight.detach().numpy()
    kernels.manual_seed(7)
    b = nn.Linear(5, 4).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_init_bad_inputs():
    with pytest.raises(ValueError, match="Fan in and fan out"):
        nn.init.xavier_uniform_(kernels.empty(5))
    with pytest.raises(ValueError, match="Mode fan_mid not supported"):
        nn.init.kaiming_uniform_(kernels.empty(3, 3), mode="fan_mid")
    with pytest.raises(TypeError, match="floating point"):
        nn.init.normal_(kernels.zeros(3, dtype=kernels.int64))
    with pytest.raises(NotImplementedError, match="generator"):
        nn.init.uniform_(kernels.empty(3), generator=object())
    with pytest.warns(UserWarning, match="zero-element"):
        nn.init.kaiming_uniform_(kernels.empty(0, 3))


# ------------------------------------------------------------------ gradient clipping


def _grads_pair(torch, dtype, shapes=((4, 3), (3,), (2, 2, 2), (1,))):
    ks, ts = [], []
    for s in shapes:
        g = RNG.standard_normal(s) * 3
        kp = nn.Parameter(kernels.zeros(*s, dtype=dtype))
        kp.grad = T(g, dtype=dtype)
        tp = torch.nn.Parameter(torch.zeros(s, dtype=getattr(torch, str(dtype).split(".")[-1])))
        tp.grad = torch.tensor(g, dtype=tp.dtype)
        ks.append(kp)
        ts.append(tp)
    return ks, ts


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm_vs_torch(norm_type, max_norm, dtype):
    torch = torch_or_skip()
    ks, ts = _grads_pair(torch, getattr(kernels, dtype))
    nk = nn.utils.clip_grad_norm_(ks, max_norm, norm_type=norm_type)
    nt = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type=norm_type)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    assert isinstance(nk, kernels.Tensor) and nk.ndim == 0
    assert nk.dtype == getattr(kernels, dtype)
    np.testing.assert_allclose(nk.item(), nt.item(), rtol=rtol)
    for kp, tp in zip(ks, ts):
        np.testing.assert_allclose(kp.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    torch = torch_or_skip()
    p = nn.Parameter(kernels.zeros(3, dtype=kernels.float64))  # T() gives float64 grads
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no grads at all
    p.grad = T([3.0, 4.0, 0.0])
    n = nn.utils.clip_grad_norm_(p, 1.0)  # a single tensor
    assert n.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    p.grad = T([1.0, float("nan"), 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    p = nn.Parameter(kernels.zeros(2, dtype=kernels.float64))  # .grad must match its shape
    p.grad = T([1.0, float("inf")])
    tp = torch.nn.Parameter(torch.zeros(2))
    tp.grad = torch.tensor([1.0, float("inf")])
    nk = nn.utils.clip_grad_norm_([p], 1.0)
    nt = torch.nn.utils.clip_grad_norm_([tp], 1.0)
    assert math.isinf(nk.item()) and math.isinf(nt.item())
    np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(tp.grad.numpy()))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_value_vs_torch(dtype):
    torch = torch_or_skip()
    ks, ts = _grads_pair(torch, getattr(kernels, dtype))
    assert nn.utils.clip_grad_value_(ks, 1.5) is None
    torch.nn.utils.clip_grad_value_(ts, 1.5)
    for kp, tp in zip(ks, ts):
        np.testing.assert_array_equal(kp.grad.numpy(), tp.grad.numpy())
    assert max(np.abs(kp.grad.numpy()).max() for kp in ks) == 1.5


def test_clip_on_a_trained_model():
    m = MLP(act=False)
    (m(kernels.randn(8, 4)) * 100).sum().backward()
    grads = [p.grad for p in m.parameters()]
    total = nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    assert total.item() > 1
    assert [p.grad for p in m.parameters()] == grads or all(
        a is b for a, b in zip(grads, [p.grad for p in m.parameters()]))  # in place
    after = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum())
                          for p in m.parameters()))
    assert after == pytest.approx(1.0, rel=1e-4)


def test_parameters_to_vector_round_trip():
    m = MLP()
    v = nn.utils.parameters_to_vector(m.parameters())
    n = sum(p.numel() for p in m.parameters())
    assert v.shape == (n,)
    expected = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    np.testing.assert_array_equal(v.detach().numpy(), expected)
    nn.utils.vector_to_parameters(kernels.arange(n, dtype=kernels.float32), m.parameters())
    np.testing.assert_array_equal(
        np.concatenate([p.detach().numpy().ravel() for p in m.parameters()]), np.arange(n))
    with pytest.raises(ValueError, match="vector_to_parameters"):
        nn.utils.vector_to_parameters(kernels.zeros(3), m.parameters())
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(np.zeros(n), m.parameters())


# ------------------------------------------------------------------ functional module identity


def test_nn_functional_is_kernels_functional():
    assert nn.functional is kernels.functional
    import kernels.nn.functional as nnf  # noqa: F401 - importable as a module path too

    assert nnf is kernels.functional


# ------------------------------------------------------------------ activation and loss modules


ACTIVATIONS = [
    ("ReLU", (), {}, "relu"), ("Sigmoid", (), {}, "sigmoid"), ("Tanh", (), {}, "tanh"),
    ("LeakyReLU", (0.2,), {}, "leaky_relu"), ("ELU", (0.7,), {}, "elu"),
    ("Softplus", (2.0, 5.0), {}, "softplus"), ("GELU", (), {}, "gelu"),
    ("GELU", (), {"approximate": "tanh"}, "gelu"), ("SiLU", (), {}, "silu"),
    ("Softmax", (1,), {}, "softmax"), ("Softmax", (-1,), {}, "softmax"),
    ("LogSoftmax", (1,), {}, "log_softmax"), ("Softmax", (), {}, "softmax"),
]


@pytest.mark.parametrize("name,args,kwargs,fn", ACTIVATIONS,
                         ids=[f"{a[0]}{i}" for i, a in enumerate(ACTIVATIONS)])
def test_activation_modules_vs_torch(name, args, kwargs, fn):
    torch = torch_or_skip()
    x = RNG.standard_normal((3, 5, 2)) * 3
    xk = T(x).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's implicit-dim warning
        yk = getattr(nn, name)(*args, **kwargs)(xk)
        yt = getattr(torch.nn, name)(*args, **kwargs)(xt)
    np.testing.assert_allclose(yk.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(x.shape)
    yk.backward(T(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xk.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)


def _loss_inputs(torch, kind):
    n, c = 6, 4
    if kind == "class":
        x = RNG.standard_normal((n, c))
        y = RNG.integers(0, c, n)
        y[1] = 2
        return x, y, torch.tensor(y), T(y)
    if kind == "logprob":
        x = RNG.standard_normal((n, c))
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
        y = RNG.integers(0, c, n)
        return x, y, torch.tensor(y), T(y)
    if kind == "prob":
        x = 1 / (1 + np.exp(-RNG.standard_normal((n, c))))
        y = RNG.random((n, c))
        return x, y, torch.tensor(y), T(y)
    if kind == "kl":
        x = np.log(RNG.dirichlet(np.ones(c), n))
        y = RNG.dirichlet(np.ones(c), n)
        return x, y, torch.tensor(y), T(y)
    x = RNG.standard_normal((n, c))
    y = RNG.standard_normal((n, c))
    return x, y, torch.tensor(y), T(y)


LOSSES = [
    ("CrossEntropyLoss", {}, "class", "cross_entropy"),
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5, 1.5], "label_smoothing": 0.1,
                          "ignore_index": 2}, "class", "cross_entropy"),
    ("CrossEntropyLoss", {"reduction": "sum"}, "class", "cross_entropy"),
    ("NLLLoss", {}, "logprob", "nll_loss"),
    ("NLLLoss", {"weight": [1.0, 2.0, 0.5, 1.5], "reduction": "none"}, "logprob", "nll_loss"),
    ("MSELoss", {}, "real", "mse_loss"), ("MSELoss", {"reduction": "none"}, "real", "mse_loss"),
    ("L1Loss", {"reduction": "sum"}, "real", "l1_loss"),
    ("SmoothL1Loss", {"beta": 0.5}, "real", "smooth_l1_loss"),
    ("HuberLoss", {"delta": 0.7}, "real", "huber_loss"),
    ("BCELoss", {}, "prob", "binary_cross_entropy"),
    ("BCELoss", {"weight": [1.0, 2.0, 0.5, 1.5]}, "prob", "binary_cross_entropy"),
    ("BCEWithLogitsLoss", {"pos_weight": [1.0, 2.0, 0.5, 1.5]}, "prob",
     "binary_cross_entropy_with_logits"),
    ("BCEWithLogitsLoss", {"weight": [1.0, 2.0, 0.5, 1.5], "reduction": "sum"}, "prob",
     "binary_cross_entropy_with_logits"),
    ("KLDivLoss", {"reduction": "batchmean"}, "kl", "kl_div"),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, "kl", "kl_div"),
]


@pytest.mark.parametrize("name,kwargs,kind,fn", LOSSES,
                         ids=[f"{a[0]}{i}" for i, a in enumerate(LOSSES)])
def test_loss_modules_vs_torch(name, kwargs, kind, fn):
    torch = torch_or_skip()
    x, y, yt, yk = _loss_inputs(torch, kind)
    if kind == "kl" and kwargs.get("log_target"):
        y = np.log(y)
        yt, yk = torch.tensor(y), T(y)
    kkw = {k: (T(v, dtype=kernels.float64) if isinstance(v, list) else v) for k, v in kwargs.items()}
    tkw = {k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v)
           for k, v in kwargs.items()}
    xk = T(x).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    lk = getattr(nn, name)(**kkw)(xk, yk)
    lt = getattr(torch.nn, name)(**tkw)(xt, yt)
    np.testing.assert_allclose(lk.detach().numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(tuple(lt.shape))
    lk.backward(T(g))
    lt.backward(torch.tensor(g))
    np.testing.assert_allclose(xk.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_dropout_module_train_and_eval():
    m = nn.Dropout(0.5)
    x = kernels.ones(1000)
    y = m(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())
    assert np.all(nn.Dropout(0.0)(x).numpy() == 1)


def test_training_step_reduces_loss():
    """A few plain SGD steps on a tiny regression: parameters, grads and the in-place update."""
    kernels.manual_seed(1)
    m = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1)).double()
    xn = RNG.standard_normal((64, 3))
    x, y = T(xn), T(np.tanh(xn @ np.array([[1.0], [-2.0], [0.5]])))
    losses = []
    for _ in range(30):
        m.zero_grad()
        d = m(x) - y
        loss = (d * d).mean()
        loss.backward()
        nn.utils.clip_grad_norm_(m.parameters(), 5.0)
        with kernels.no_grad():
            for p in m.parameters():
                p.sub_(p.grad * 0.1)
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
