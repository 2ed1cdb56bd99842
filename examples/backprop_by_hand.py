"""Backpropagation written out with the delta rules, checked against autograd, then used to train.

    python examples/backprop_by_hand.py [--epochs 30] [--seed 0] [--device cpu] [--out runs/backprop_by_hand]

A 64-32-10 sigmoid MLP on scikit-learn's 8x8 digits, with the squared error of the sigmoid
outputs against one-hot targets, E = 1/(2N) sum_n sum_k (y_nk - t_nk)^2. With layer l computing
a_l = sigmoid(z_l), z_l = a_{l-1} W_l^T + b_l (W_l is (out, in), as nn.Linear):

    delta_L = (a_L - t) * a_L (1 - a_L) / N                      output layer, (N, out)
    delta_l = (delta_{l+1} W_{l+1}) * a_l (1 - a_l)              hidden layers
    dE/dW_l = delta_l^T a_{l-1},   dE/db_l = sum over n of delta_l

Everything is float64 so that the manual gradients can be compared with autograd's to 1e-10
(the difference is often exactly 0: autograd does the same arithmetic in the same order).
"""
import time

import _common
import kernels
from kernels import data, nn, train
from kernels.functional import mse_loss, one_hot


def forward_by_hand(layers, x):
    """The activations [x, a_1, ..., a_L], kept for the backward pass."""
    acts = [x]
    for lin in layers:
        acts.append(kernels.sigmoid(acts[-1] @ lin.weight.t() + lin.bias))
    return acts


def backward_by_hand(layers, acts, t):
    """[(dE/dW_l, dE/db_l) for each layer] by the delta rules, from the saved activations."""
    y = acts[-1]
    delta = (y - t) * y * (1 - y) / y.shape[0]
    grads = []
    for l in reversed(range(len(layers))):
        a_prev = acts[l]
        grads.append((delta.t() @ a_prev, delta.sum(0)))
        if l > 0:  # the input layer needs no delta
            delta = (delta @ layers[l].weight) * a_prev * (1 - a_prev)
    return grads[::-1]


def squared_error(y, t):
    return 0.5 * ((y - t) ** 2).sum().item() / y.shape[0]


def check_against_autograd(layers, x, t):
    """Max |manual - autograd| per parameter, on one batch."""
    with kernels.no_grad():
        grads = backward_by_hand(layers, forward_by_hand(layers, x), t)
    model = nn.Sequential(*[m for lin in layers for m in (lin, nn.Sigmoid())])
    model.zero_grad()
    loss = 0.5 * mse_loss(model(x), t, reduction="sum") / x.shape[0]
    loss.backward()
    diffs = {}
    for i, (lin, (dw, db)) in enumerate(zip(layers, grads), 1):
        diffs[f"W{i}"] = (dw - lin.weight.grad).abs().max().item()
        diffs[f"b{i}"] = (db - lin.bias.grad).abs().max().item()
    model.zero_grad()
    return diffs


def main(argv=None):
    p = _common.parser(__doc__, epochs=30)
    p.add_argument("--lr", type=float, default=2.0)
    _common.add_run_options(p, "runs/backprop_by_hand")
    args, start = _common.start(p, argv)

    def prepare(ds):
        x, labels = ds.tensors
        return (x.to(args.device, kernels.float64),
                one_hot(labels, 10).to(args.device, kernels.float64), labels.to(args.device))

    x_train, t_train, _ = prepare(data.digits(train=True, flatten=True))
    x_test, t_test, labels_test = prepare(data.digits(train=False, flatten=True))
    layers = [nn.Linear(64, 32), nn.Linear(32, 10)]
    for lin in layers:
        lin.to(args.device, kernels.float64)

    diffs = check_against_autograd(layers, x_train[:256], t_train[:256])
    print("max |manual - autograd| on 256 digits:",
          ", ".join(f"{name} {d:.1e}" for name, d in diffs.items()))
    worst = max(diffs.values())

    # minibatch gradient descent with the manual gradients; autograd is off throughout
    loader = data.DataLoader(data.TensorDataset(x_train, t_train), batch_size=32, shuffle=True)
    history = train.History()
    with kernels.no_grad():
        for epoch in range(1, args.epochs + 1):
            total = 0.0
            for x, t in loader:
                acts = forward_by_hand(layers, x)
                total += squared_error(acts[-1], t) * x.shape[0]
                for lin, (dw, db) in zip(layers, backward_by_hand(layers, acts, t)):
                    lin.weight -= args.lr * dw
                    lin.bias -= args.lr * db
            y_test = forward_by_hand(layers, x_test)[-1]
            acc = (y_test.argmax(1) == labels_test).float().mean().item()
            history.append({"epoch": epoch, "loss": total / len(x_train),
                            "val_loss": squared_error(y_test, t_test), "val_accuracy": acc})
            print(f"epoch {epoch}: loss {history['loss'][-1]:.4f}, test accuracy {acc:.3f}")

    train.plot_history(history, f"{args.out}/loss.png",
                       title="64-32-10 sigmoid MLP, gradients by the delta rules "
                             "(validation: the 360 test digits)")
    print(f"largest difference from autograd {worst:.1e}; "
          f"{time.perf_counter() - start:.1f} s; picture in {args.out}/")
    return worst


if __name__ == "__main__":
    main()
