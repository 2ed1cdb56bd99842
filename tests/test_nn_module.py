"""kernels.nn.Module mechanics: Parameter, registration and traversal, hooks, modes, zero_grad,
deepcopy and pickle, state_dict (keys, round trips with torch, strict errors), repr against
torch's, containers, bad assignments, and a plain training step."""
from collections import OrderedDict

import numpy as np
import pytest

import kernels
from kernels import nn
from kernels.nn import functional as F
from nn_models import MLP, T, nested, torch_mlp, torch_or_skip

RNG = np.random.default_rng(1234)


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


def test_nn_functional_is_kernels_functional():
    assert nn.functional is kernels.functional
    import kernels.nn.functional as nnf  # noqa: F401 - importable as a module path too

    assert nnf is kernels.functional


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
