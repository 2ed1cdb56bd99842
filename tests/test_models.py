"""kernels.models against the same networks written in torch: a torch state_dict loaded into ours
gives the same logits and the same gradients; batch-norm running statistics follow torch's over
several training steps; LeCun's C3 table keeps its missing connections at zero."""
import functools
import types

import numpy as np
import pytest

import kernels
from kernels import models, nn, optim
from opcheck import DEVICES


# ---------------------------------------------------------------- the torch twins


@functools.lru_cache(maxsize=None)
def _twins(torch):
    """The torch twins (classes made on first use, so the module imports without torch)."""
    tnn = torch.nn

    class TorchLeNet5(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = tnn.Conv2d(1, 6, 5)
            self.s2 = tnn.AvgPool2d(2)
            self.c3 = tnn.Conv2d(6, 16, 5)
            self.s4 = tnn.AvgPool2d(2)
            self.c5 = tnn.Conv2d(16, 120, 5)
            self.f6 = tnn.Linear(120, 84)
            self.output = tnn.Linear(84, 10)

        def forward(self, x, mask=None):
            x = self.s2(torch.tanh(self.c1(x)))
            w3 = self.c3.weight if mask is None else self.c3.weight * mask
            x = self.s4(torch.tanh(tnn.functional.conv2d(x, w3, self.c3.bias)))
            x = torch.tanh(self.c5(x)).flatten(1)
            return self.output(torch.tanh(self.f6(x)))

    class TorchModernLeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(
                tnn.Conv2d(1, 6, 5, bias=False), tnn.BatchNorm2d(6), tnn.ReLU(), tnn.MaxPool2d(2),
                tnn.Conv2d(6, 16, 5, bias=False), tnn.BatchNorm2d(16), tnn.ReLU(), tnn.MaxPool2d(2))
            self.classifier = tnn.Sequential(
                tnn.Flatten(), tnn.Linear(400, 120, bias=False), tnn.BatchNorm1d(120), tnn.ReLU(),
                tnn.Dropout(0.25), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    class TorchBlock(tnn.Module):
        def __init__(self, cin, c, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, c, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(c)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(c, c, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(c)
            self.downsample = (tnn.Sequential(tnn.Conv2d(cin, c, 1, stride, bias=False), tnn.BatchNorm2d(c))
                               if stride != 1 or cin != c else None)

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class TorchResNet(tnn.Module):
        def __init__(self, blocks, width):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, width, 3, 1, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(width)
            self.relu = tnn.ReLU()
            c = width
            for i, (n, w) in enumerate(zip(blocks, (width, 2 * width, 4 * width)), 1):
                layer = []
                for j in range(n):
                    layer.append(TorchBlock(c, w, 2 if i > 1 and j == 0 else 1))
                    c = w
                setattr(self, f"layer{i}", tnn.Sequential(*layer))
            self.avgpool = tnn.AdaptiveAvgPool2d(1)
            self.fc = tnn.Linear(c, 10)

        def forward(self, x):
            x = self.layer3(self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x))))))
            return self.fc(self.avgpool(x).flatten(1))

    return types.SimpleNamespace(LeNet5=TorchLeNet5, ModernLeNet=TorchModernLeNet, ResNet=TorchResNet)


def _pair(torch, name):
    twins = _twins(torch)
    torch.manual_seed(0)
    if name == "lenet5":
        return models.LeNet5(), twins.LeNet5()
    if name == "modern":
        return models.ModernLeNet(), twins.ModernLeNet()
    return models.ResNet(blocks=(2, 1, 1), width=8), twins.ResNet((2, 1, 1), 8)


def _inputs(n=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 32, 32)), rng.integers(0, 10, n)


def _grads(model):
    return {k: p.grad.detach().cpu().numpy() for k, p in model.named_parameters()}


@pytest.mark.parametrize("name", ["lenet5", "modern", "resnet"])
@pytest.mark.parametrize("train_mode", [True, False])
def test_model_matches_torch_logits_and_gradients(name, train_mode, device, torch):
    tnn = torch.nn
    ours, theirs = _pair(torch, name)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # float64 on the CPU checks the maths tightly; CUDA kernels are float32
    exact = device == "cpu"
    if exact:
        theirs.double()
    ours.load_state_dict(theirs.state_dict())
    (ours.double() if exact else ours).to(device)
    ours.train(train_mode)
    theirs.train(train_mode)
    for m in theirs.modules():  # dropout draws differ between libraries: compare without it
        if isinstance(m, tnn.Dropout):
            m.p = 0.0
    for m in ours.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    x, y = _inputs()
    if not exact:
        x = x.astype(np.float32)
    out = ours(kernels.tensor(x, device=device))
    loss = nn.functional.cross_entropy(out, kernels.tensor(y, device=device))
    loss.backward()
    tout = theirs(torch.from_numpy(x))
    tloss = tnn.functional.cross_entropy(tout, torch.from_numpy(y))
    tloss.backward()
    rtol, atol = (1e-9, 1e-10) if exact else (2e-4, 2e-5)
    np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    tgrads = {k: p.grad.numpy() for k, p in theirs.named_parameters()}
    for k, g in _grads(ours).items():
        np.testing.assert_allclose(g, tgrads[k], rtol=100 * rtol, atol=10 * atol, err_msg=k)


@pytest.mark.parametrize("name", ["modern", "resnet"])
def test_running_statistics_follow_torch_over_training_steps(name, torch):
    tnn = torch.nn
    ours, theirs = _pair(torch, name)
    ours.load_state_dict(theirs.state_dict())
    opt = optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    for m in theirs.modules():
        if isinstance(m, tnn.Dropout):
            m.p = 0.0
    for m in ours.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    for step in range(4):
        x, y = _inputs(8, seed=step)
        x = x.astype(np.float32)
        opt.zero_grad()
        nn.functional.cross_entropy(ours(kernels.tensor(x)), kernels.tensor(y)).backward()
        opt.step()
        topt.zero_grad()
        tnn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    tsd = theirs.state_dict()
    for k, v in ours.state_dict().items():
        if k.endswith("num_batches_tracked"):
            assert int(v.item()) == int(tsd[k]) == 4, k
        else:
            np.testing.assert_allclose(v.numpy(), tsd[k].numpy(), rtol=2e-3, atol=2e-4, err_msg=k)
    ours.eval()
    theirs.eval()
    x, _ = _inputs(3, seed=9)
    x = x.astype(np.float32)
    np.testing.assert_allclose(ours(kernels.tensor(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=2e-3, atol=2e-3)


def test_lecun_c3_table_keeps_missing_connections_at_zero(torch):
    tnn = torch.nn
    torch.manual_seed(0)
    ours, theirs = models.LeNet5(lecun_c3=True), _twins(torch).LeNet5()
    sd = theirs.state_dict()
    ours.load_state_dict(sd, strict=False)
    assert set(ours.state_dict()) - set(sd) == {"c3.mask"}
    assert int(ours.c3.mask.numpy()[:, :, 0, 0].sum()) == 60  # 60 of 96 map pairs, as Table I
    mask = torch.from_numpy(models.lenet.LECUN_C3_TABLE.T.astype(np.float32))[:, :, None, None]
    x, y = _inputs()
    x = x.astype(np.float32)
    out = ours(kernels.tensor(x))
    nn.functional.cross_entropy(out, kernels.tensor(y)).backward()
    tout = theirs(torch.from_numpy(x), mask)
    tnn.functional.cross_entropy(tout, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = ours.c3.weight.grad.numpy()
    assert np.all(g[~models.lenet.LECUN_C3_TABLE.T] == 0)
    np.testing.assert_allclose(g * mask.numpy(), theirs.c3.weight.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_plain_network_has_no_shortcuts():
    plain = models.ResNet(blocks=(1, 1, 1), width=4, skip=False)
    assert not any("downsample" in k for k in plain.state_dict())
    x = kernels.tensor(np.random.default_rng(0).standard_normal((2, 1, 16, 16)).astype(np.float32))
    assert tuple(plain(x).shape) == (2, 10)


def test_model_argument_errors():
    with pytest.raises(ValueError, match="ResNet: blocks"):
        models.ResNet(blocks=(1, 0, 1))
    with pytest.raises(ValueError, match="ResNet: width"):
        models.ResNet(width=0)


def test_parameter_counts(torch):
    assert sum(p.numel() for p in models.LeNet5().parameters()) == 61706
    assert sum(p.numel() for p in models.resnet_small().parameters()) == \
        sum(p.numel() for p in _twins(torch).ResNet((1, 1, 1), 16).parameters())
