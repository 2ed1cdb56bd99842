"""The scripts in examples/ run from the public API on a tiny budget and reach real numbers."""
import importlib.util

import pytest
from examples_loader import load_example as load

if importlib.util.find_spec("mlxtend") is None or importlib.util.find_spec("matplotlib") is None:
    pytest.skip("the examples need mlxtend and matplotlib (pip install 'dlkernels[test]')",
                allow_module_level=True)


@pytest.mark.parametrize("script,epochs,floor,pictures", [
    ("train_lenet5", 3, 0.90, ("history.png", "c1_filters.png", "confusion.png")),
    ("train_resnet", 2, 0.85, ("history.png", "conv1_filters.png", "confusion.png", "resnet.npz")),
])
def test_cnn_example_trains(script, epochs, floor, pictures, tmp_path, capsys):
    acc = load(script).main(["--epochs", str(epochs), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert acc >= floor, out
    for name in pictures:
        assert (tmp_path / name).stat().st_size > 0, name
    if script == "train_resnet":  # the reloaded weights give the same accuracy
        assert f"reloaded weights: test accuracy {acc:.4f}" in out
