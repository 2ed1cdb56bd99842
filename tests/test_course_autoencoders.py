"""The autoencoder and VAE examples train on a tiny budget and reach real outcomes."""

import pytest
from examples_loader import load_example as load

pytest.importorskip("matplotlib")
pytest.importorskip("mlxtend")


@pytest.fixture(scope="module")
def autoencoders(tmp_path_factory):
    out = tmp_path_factory.mktemp("autoencoders")
    # 2 epochs of 125 steps: past the plateau where a model outputs the mean image
    return load("autoencoders").main(["--epochs", "2", "--out", str(out)]), out


@pytest.mark.parametrize("kind", ["dense", "sparse", "denoising", "conv"])
def test_autoencoder_beats_the_mean_image(autoencoders, kind):
    results, _ = autoencoders
    baseline = results["mean_image_mse"]
    assert 0.05 < baseline < 0.09  # the variance of MNIST pixels around the mean digit
    assert results[kind]["mse"] < 0.7 * baseline, results[kind]


def test_sparse_code_is_sparser_than_dense(autoencoders):
    results, _ = autoencoders
    assert results["sparse"]["sparsity"] > results["dense"]["sparsity"] + 0.4, results


def test_denoising_removes_noise(autoencoders):
    r = autoencoders[0]["denoising"]
    assert r["mse"] < 0.5 * r["noisy_mse"], r


def test_autoencoder_picture(autoencoders):
    _, out = autoencoders
    assert (out / "recon.png").stat().st_size > 10_000


def test_single_kind_and_subset(tmp_path):
    results = load("autoencoders").main(["--kind", "dense", "--epochs", "1", "--train-size", "500",
                                         "--out", str(tmp_path)])
    assert set(results) == {"mean_image_mse", "dense"}
    assert (tmp_path / "recon.png").is_file()


def test_vae_elbo_improves(tmp_path, capsys):
    history = load("vae").main(["--epochs", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    train, test = history["train_elbo"], history["test_elbo"]
    assert len(train) == len(test) == 2
    # the ELBO is a bound on a log-likelihood of 784 pixels: negative, a few hundred nats
    assert all(-400 < v < 0 for v in train + test), out
    assert train[-1] > train[0] + 20 and test[-1] > test[0] + 5, out
    for name in ("samples.png", "traversal.png", "latent.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name


def test_vae_wider_latent_still_draws_a_traversal(tmp_path):
    history = load("vae").main(["--latent", "8", "--epochs", "1", "--train-size", "500",
                                "--out", str(tmp_path)])
    assert len(history["test_elbo"]) == 1
    assert (tmp_path / "traversal.png").is_file() and (tmp_path / "samples.png").is_file()
    assert not (tmp_path / "latent.png").exists()  # the scatter is for a 2-D latent only
