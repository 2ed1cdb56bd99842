"""The course's first examples (perceptron, backprop by hand, initialisation and optimizers) run
on a tiny budget and show what they claim."""
import re

import numpy as np
import pytest

import kernels
from examples_loader import load_example


def load(name, *needs):
    for module in ("matplotlib",) + needs:
        pytest.importorskip(module)
    return load_example(name)


# ------------------------------------------------------------------------------ perceptron

def test_perceptron_rule_one_epoch_by_hand():
    P = load("perceptron")
    x = kernels.tensor(P.INPUTS)
    # W = 0 classes every point 0; OR's errors t - y = (0,1,1,1) give X^T (t - y) = (2, 2, 3)
    w, accs, converged = P.train_perceptron(x, kernels.tensor(P.TARGETS["OR"]), 1, verbose=False)
    assert w.tolist() == [2.0, 2.0, 3.0] and accs == [0.25] and converged is None


@pytest.mark.parametrize("table", ["OR", "AND"])
def test_perceptron_converges_on_separable_tables(table):
    P = load("perceptron")
    x, t = kernels.tensor(P.INPUTS), kernels.tensor(P.TARGETS[table])
    w, accs, converged = P.train_perceptron(x, t, 20, verbose=False)
    assert converged is not None and accs[-1] == 1.0
    assert P.step(P.with_bias(x) @ w).tolist() == P.TARGETS[table]


def test_perceptron_never_solves_xor():
    P = load("perceptron")
    x, t = kernels.tensor(P.INPUTS), kernels.tensor(P.TARGETS["XOR"])
    for eta in (1.0, 0.1):
        w, accs, converged = P.train_perceptron(x, t, 100, eta=eta, verbose=False)
        assert converged is None and max(accs) < 1.0


def test_perceptron_example_mlp_solves_xor(tmp_path, capsys):
    P = load("perceptron")
    acc = P.main(["--epochs", "10", "--mlp-steps", "150", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert acc == 1.0, out
    assert re.search(r"^OR: converged after \d+ epochs", out, re.M), out
    assert re.search(r"^AND: converged after \d+ epochs", out, re.M), out
    assert "XOR: no convergence in 10 epochs" in out
    assert "W = [" in out  # the weights are printed every epoch
    assert (tmp_path / "decision_boundaries.png").stat().st_size > 0


# ------------------------------------------------------------------------------ backprop by hand

def test_backprop_by_hand_matches_autograd_and_trains(tmp_path, capsys):
    B = load("backprop_by_hand", "sklearn")
    worst = B.main(["--epochs", "4", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert worst <= 1e-10, out
    for name in ("W1", "b1", "W2", "b2"):
        assert re.search(name + r" \d\.\de[+-]\d\d", out), out
    losses = [float(v) for v in re.findall(r"^epoch \d+: loss ([\d.]+)", out, re.M)]
    assert len(losses) == 4 and all(b < a for a, b in zip(losses, losses[1:])), out
    assert losses[-1] < 0.9 * losses[0], out
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_backprop_by_hand_matches_torch_on_three_layers():
    """An independent reference (torch.autograd), and a net deep enough that the hidden delta
    rule is applied twice."""
    torch = pytest.importorskip("torch")
    B = load("backprop_by_hand")
    rng = np.random.default_rng(0)
    x = rng.random((50, 64))
    t = np.eye(10)[rng.integers(0, 10, 50)]
    layers = [kernels.nn.Linear(a, b).to(kernels.float64) for a, b in ((64, 16), (16, 12), (12, 10))]
    with kernels.no_grad():
        grads = B.backward_by_hand(layers, B.forward_by_hand(layers, kernels.tensor(x)),
                                   kernels.tensor(t))

    params = [(torch.tensor(lin.weight.detach().numpy(), requires_grad=True),
               torch.tensor(lin.bias.detach().numpy(), requires_grad=True)) for lin in layers]
    a = torch.tensor(x)
    for w, b in params:
        a = torch.sigmoid(a @ w.T + b)
    (0.5 * ((a - torch.tensor(t)) ** 2).sum() / len(x)).backward()
    for (dw, db), (w, b) in zip(grads, params):
        assert np.abs(w.grad.numpy()).max() > 1e-6  # a real gradient, not an empty comparison
        np.testing.assert_allclose(dw.numpy(), w.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(db.numpy(), b.grad.numpy(), rtol=0, atol=1e-10)


# ------------------------------------------------------------------------------ init and optimizers

def test_init_and_optimizers_comparison(tmp_path):
    M = load("init_and_optimizers", "sklearn")
    # after 2 epochs (seeds 0-3 checked): zero and std-1e-3 starts are still at ln(10) = 2.30,
    # Xavier about 1.0, He about 0.38; plain SGD about 1.8, the others 0.15-0.4
    result = M.main(["--epochs", "2", "--out", str(tmp_path)])
    init, opt = result["init"], result["optimizer"]
    assert init["zero"] > 2.2 and init["normal, std 1e-3"] > 2.2, init
    assert init["He"] < 0.5 * init["zero"] and init["Xavier"] < 0.7 * init["zero"], init
    sgd = opt["SGD, lr 0.01"]
    for name, loss in opt.items():
        if name != "SGD, lr 0.01":
            assert loss < 0.5 * sgd, opt
    assert (tmp_path / "loss_curves.png").stat().st_size > 0
