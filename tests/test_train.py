"""kernels.train: fit and its pieces, History, callbacks, non-finite losses, exact resumption."""
import io
import math
import os

import numpy as np
import pytest

import kernels
from kernels import data, train

nn = pytest.importorskip("kernels.nn")
optim = pytest.importorskip("kernels.optim")


def _blobs(n=240, d=6, classes=3, seed=0):
    rs = np.random.RandomState(seed)
    centers = rs.randn(classes, d) * 3
    y = rs.randint(0, classes, n)
    x = centers[y] + rs.randn(n, d)
    return data.TensorDataset(kernels.tensor(x.astype(np.float32)), kernels.tensor(y))


def _mlp(d=6, classes=3, hidden=16, p=0.0):
    layers = [nn.Linear(d, hidden), nn.ReLU()]
    if p:
        layers.append(nn.Dropout(p))
    layers.append(nn.Linear(hidden, classes))
    return nn.Sequential(*layers)


def _loaders(bs=32, **kw):
    ds = _blobs()
    train_set, val_set = data.random_split(ds, [180, 60], generator=data.Generator(0))
    return (data.DataLoader(train_set, batch_size=bs, shuffle=True, **kw),
            data.DataLoader(val_set, batch_size=64))


def test_fit_learns_and_fills_history():
    kernels.manual_seed(0)
    model = _mlp()
    tl, vl = _loaders()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    out = io.StringIO()
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, tl, vl, epochs=5, scheduler=sched, file=out)
    assert isinstance(hist, train.History) and hist.epochs == 5
    for key in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "samples_per_s", "time"):
        assert len(hist[key]) == 5, key
    assert hist["epoch"] == [1, 2, 3, 4, 5]
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert hist["val_accuracy"][-1] >= 0.9
    assert hist["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert all(r > 0 for r in hist["samples_per_s"])
    assert hist.records[2]["lr"] == hist["lr"][2] and hist.records[4]["epoch"] == 5
    assert hist.best("val_loss")["epoch"] in hist["epoch"]
    lines = out.getvalue().strip().splitlines()  # StringIO is not a terminal: epoch lines, no bar
    assert len(lines) == 5 and lines[0].startswith("epoch 1/5") and "samples/s" in lines[0]
    assert "val_accuracy" in lines[-1] and "\r" not in out.getvalue()


def test_pieces_work_on_their_own():
    kernels.manual_seed(1)
    model = _mlp()
    tl, vl = _loaders()
    opt = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    before = train.evaluate(model, loss_fn, vl)
    assert before["samples"] == 60 and set(before) >= {"loss", "accuracy", "samples_per_s"}
    model.eval()
    logs = train.train_one_epoch(model, loss_fn, opt, tl, progress=False)
    assert model.training  # train_one_epoch put it in train mode
    assert logs["samples"] == 180 and math.isfinite(logs["loss"])
    model.train()
    after = train.evaluate(model, loss_fn, vl, metrics=("accuracy", lambda o, t: 1.0))
    assert model.training  # mode restored after evaluate
    assert after["<lambda>"] == 1.0
    assert after["loss"] < before["loss"]
    # accuracy is computed from the argmax of the outputs
    assert train.accuracy(kernels.tensor([[0.1, 2.0], [3.0, 0.0]]), kernels.tensor([1, 1])) == 0.5
    assert train.accuracy(kernels.tensor([0.5, -1.0, 2.0]), kernels.tensor([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)


def test_progress_bar_on_a_terminal_and_plain_fallback(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    bar = train.ProgressBar(4, desc="epoch 1", file=out)
    for i in range(4):
        bar.update(1, loss="0.5", samples_s="100")
    bar.close()
    assert bar.enabled and "epoch 1" in out.getvalue()
    # without tqdm: a plain self-overwriting line
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *a, **k):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    out = Tty()
    bar = train.ProgressBar(3, desc="epoch 2", file=out, min_interval=0)
    for _ in range(3):
        bar.update(1, loss="0.25")
    bar.close()
    assert "\repoch 2 3/3  loss=0.25" in out.getvalue()
    # not a terminal: nothing per batch
    out = io.StringIO()
    bar = train.ProgressBar(3, file=out)
    bar.update(1, loss="1")
    bar.close()
    assert out.getvalue() == "" and not bar.enabled


def test_early_stopping_and_restore_best_weights():
    kernels.manual_seed(2)
    model = _mlp()
    tl, vl = _loaders()
    opt = optim.SGD(model.parameters(), lr=0.0)  # nothing changes: val_loss never improves
    es = train.EarlyStopping("val_loss", patience=2)
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, tl, vl, epochs=20, callbacks=[es], verbose=0)
    assert hist.epochs == 4 and es.stopped_epoch == 4 and es.best_epoch == 1
    # min_delta: improvements smaller than it do not count
    es2 = train.EarlyStopping("val_accuracy", patience=1, min_delta=0.5)
    assert es2.mode == "max"
    opt = optim.SGD(model.parameters(), lr=0.1)
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, tl, vl, epochs=20, callbacks=[es2], verbose=0)
    assert hist.epochs == 3
    # restore_best_weights puts the best epoch's parameters back
    kernels.manual_seed(3)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=5.0)  # diverges after a good first step or two
    es3 = train.EarlyStopping("val_loss", patience=1, restore_best_weights=True)
    snaps = []
    cb = train.LambdaCallback(on_epoch_end=lambda e, logs: snaps.append(
        {k: v.clone() for k, v in model.state_dict().items()}))
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, tl, vl, epochs=6, callbacks=[es3, cb], verbose=0)
    best = es3.best_epoch
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), snaps[best - 1][k].numpy())
    with pytest.raises(ValueError, match="EarlyStopping: monitored quantity 'val_loss'"):
        train.fit(model, nn.CrossEntropyLoss(), opt, tl, None, epochs=1,
                  callbacks=[train.EarlyStopping()], verbose=0)


def test_model_checkpoint_best_only_and_formatting(tmp_path):
    kernels.manual_seed(4)
    model = _mlp()
    tl, vl = _loaders()
    opt = optim.Adam(model.parameters(), lr=0.02)
    every = train.ModelCheckpoint(str(tmp_path / "e{epoch:02d}.ckpt"))
    best = train.ModelCheckpoint(tmp_path / "best.ckpt", monitor="val_loss", save_best_only=True)
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, tl, vl, epochs=3, callbacks=[every, best], verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["best.ckpt", "e01.ckpt", "e02.ckpt", "e03.ckpt"]
    ck = kernels.load(tmp_path / "best.ckpt")
    assert ck["epoch"] == hist.best("val_loss")["epoch"]
    assert set(ck) >= {"model", "optimizer", "scheduler", "rng_state", "history", "epoch"}
    assert len(ck["history"]["records"]) == ck["epoch"]
    w = train.ModelCheckpoint(tmp_path / "w.ckpt", save_weights_only=True)
    train.fit(model, nn.CrossEntropyLoss(), opt, tl, vl, epochs=1, callbacks=[w], verbose=0)
    sd = kernels.load(tmp_path / "w.ckpt")
    assert set(sd) == set(model.state_dict())


def test_non_finite_loss_stops_and_keeps_last_checkpoint(tmp_path):
    kernels.manual_seed(5)
    model = _mlp()
    tl, vl = _loaders()
    opt = optim.SGD(model.parameters(), lr=0.05)
    ce = nn.CrossEntropyLoss()
    calls = {"n": 0}
    steps_per_epoch = len(tl)

    def flaky_loss(out, target):
        calls["n"] += model.training  # count training steps only, not validation batches
        loss = ce(out, target)
        if calls["n"] == 2 * steps_per_epoch + 3:  # epoch 3, step 3
            return loss * float("nan")
        return loss

    path = tmp_path / "last.ckpt"
    cb = train.ModelCheckpoint(path)
    with pytest.raises(RuntimeError, match=r"nan at epoch 3, step 3") as e:
        train.fit(model, flaky_loss, opt, tl, vl, epochs=5, callbacks=[cb], verbose=0)
    assert isinstance(e.value, train.NonFiniteLossError) and e.value.epoch == 3 and e.value.step == 3
    ck = kernels.load(path)  # intact, and still the one from epoch 2
    assert ck["epoch"] == 2 and os.listdir(tmp_path) == ["last.ckpt"]
    # the bad step was not applied: parameters are finite
    assert all(np.isfinite(p.detach().numpy()).all() for p in model.parameters())

    def inf_loss(out, target):
        return ce(out, target) + float("inf")

    with pytest.raises(RuntimeError, match=r"inf at epoch 1, step 1"):
        train.fit(model, inf_loss, opt, tl, epochs=1, verbose=0)


def _resume_setup(loader_seed):
    """A run that uses every source of randomness: init, dropout, shuffling, augmentation."""
    kernels.manual_seed(123)
    x = kernels.rand(96, 1, 6, 6)
    y = kernels.tensor(np.arange(96) % 4)
    ds = data.TensorDataset(x, y, transform=data.Compose([data.RandomShift(1), data.AddGaussianNoise(0.05)]))
    tl = data.DataLoader(ds, batch_size=16, shuffle=True, seed=loader_seed)
    vl = data.DataLoader(data.TensorDataset(x, y), batch_size=48)
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 24), nn.ReLU(), nn.Dropout(0.3), nn.Linear(24, 4))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.02, total_steps=4 * len(tl))
    es = train.EarlyStopping("val_loss", patience=10)
    return model, opt, sched, tl, vl, es


@pytest.mark.parametrize("loader_seed", [None, 9])
def test_resume_is_bit_identical_to_uninterrupted_training(tmp_path, loader_seed):
    loss_fn = nn.CrossEntropyLoss()
    model, opt, sched, tl, vl, es = _resume_setup(loader_seed)
    straight = train.fit(model, loss_fn, opt, tl, vl, epochs=4, scheduler=sched,
                         scheduler_interval="batch", callbacks=[es], verbose=0)
    final = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    path = tmp_path / "ck.npz"
    model, opt, sched, tl, vl, es = _resume_setup(loader_seed)
    first = train.fit(model, loss_fn, opt, tl, vl, epochs=2, scheduler=sched, scheduler_interval="batch",
                      callbacks=[es, train.ModelCheckpoint(path)], verbose=0)
    assert first["loss"] == straight["loss"][:2]

    # a fresh process would rebuild everything from scratch (other seeds, other state) ...
    kernels.manual_seed(999)
    model, opt, sched, tl, vl, es = _resume_setup(None if loader_seed is None else 555)
    kernels.rand(17)
    resumed = train.fit(model, loss_fn, opt, tl, vl, epochs=4, scheduler=sched, scheduler_interval="batch",
                        callbacks=[es, train.ModelCheckpoint(path)], verbose=0, resume_from=path)
    assert resumed["epoch"] == [1, 2, 3, 4]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert resumed[key] == straight[key], key  # bit for bit
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), final[k])
    assert es.best == min(straight["val_loss"])


def test_resume_finished_run_and_checkpoint_helpers(tmp_path):
    model, opt, sched, tl, vl, es = _resume_setup(None)
    path = tmp_path / "c.ckpt"
    train.save_checkpoint(path, model, opt, sched, epoch=4, history=train.History([{"epoch": 4, "loss": 1.0}]))
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, tl, epochs=4, resume_from=path, verbose=0)
    assert hist["loss"] == [1.0]  # nothing left to do
    kernels.save({"not": "a training checkpoint"}, tmp_path / "x.ckpt")
    with pytest.raises(ValueError, match="not a training checkpoint"):
        train.load_checkpoint(tmp_path / "x.ckpt", model)


def test_batch_loss_carries_a_detached_state_and_weights_by_n():
    kernels.manual_seed(7)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.0)  # the model stays as it is: losses can be compared
    batches = [kernels.randn(2, 3), kernels.randn(5, 3), kernels.randn(1, 3)]
    seen, returned, values = [], [], []

    def batch_loss(m, x, state):
        seen.append(state)
        out = m(x)
        carried = out.sum() if state is None else out.sum() + state
        returned.append(float(carried.item()))
        loss = (out * out).mean()
        values.append(float(loss.item()))
        return loss, x.shape[0], carried

    logs = train.train_one_epoch(model, None, opt, batches, metrics=(), progress=False,
                                 batch_loss=batch_loss)
    assert seen[0] is None and len(seen) == 3
    for s, r in zip(seen[1:], returned):  # the previous batch's state, cut from its graph
        assert not s.requires_grad and float(s.item()) == r
    assert logs["samples"] == 8
    assert logs["loss"] == (values[0] * 2 + values[1] * 5 + values[2] * 1) / 8
    seen.clear()
    train_values, values[:] = list(values), []
    val = train.evaluate(model, None, batches, metrics=(), batch_loss=batch_loss)
    assert seen[0] is None and val["samples"] == 8  # a fresh state for every pass
    assert val["loss"] == pytest.approx(logs["loss"]) and values == pytest.approx(train_values)
    with pytest.raises(ValueError, match="pass metrics=\\(\\) with it"):
        train.train_one_epoch(model, None, opt, batches, batch_loss=batch_loss)
    with pytest.raises(ValueError, match="pass metrics=\\(\\) with it"):
        train.evaluate(model, None, batches, batch_loss=batch_loss)


def test_resume_from_a_missing_or_an_existing_checkpoint(tmp_path):
    model, opt, sched, tl, vl, es = _resume_setup(None)
    path, lines = tmp_path / "r.ckpt", []
    assert train.resume(path, model, opt, sched, missing_ok=True, log=lines.append) is None
    assert lines == [f"no checkpoint at {path} yet: starting from scratch"]
    with pytest.raises(OSError):
        train.resume(path, model, opt, sched)  # without missing_ok a missing file is an error
    history = train.History([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}])
    train.save_checkpoint(path, model, opt, sched, epoch=2, history=history, config={"job": "a"})
    fresh = train.History()
    ckpt = train.resume(path, model, opt, sched, history=fresh, config={"job": "a"}, log=lines.append)
    assert ckpt["epoch"] == 2 and fresh["loss"] == [0.5, 0.25]
    assert lines[-1] == f"resumed from {path} after epoch 2"
    with pytest.raises(ValueError, match="job: 'a' in the checkpoint, 'b' now"):
        train.resume(path, model, opt, sched, config={"job": "b"}, missing_ok=True)


def test_reduce_lr_on_plateau_and_device_argument():
    kernels.manual_seed(6)
    model = _mlp()
    tl, vl = _loaders()
    opt = optim.SGD(model.parameters(), lr=0.0)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    opt.param_groups[0]["lr"] = 0.0
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, tl, vl, epochs=3, scheduler=sched,
                     device="cpu", verbose=0)
    assert hist.epochs == 3


def test_plot_history(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    h = train.History()
    for e in range(1, 5):
        h.append({"epoch": e, "loss": 1.0 / e, "val_loss": 1.2 / e, "accuracy": 0.5 + e / 10,
                  "val_accuracy": 0.45 + e / 10})
    path = train.plot_history(h, tmp_path / "plots" / "h.png")
    raw = open(path, "rb").read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) > 5000
    import builtins

    real_import = builtins.__import__

    def no_mpl(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    with pytest.raises(ImportError, match=r"pip install 'dlkernels\[plot\]'"):
        train.plot_history(h, tmp_path / "x.png")
