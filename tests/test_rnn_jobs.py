"""kernels-train charlstm / seq2seq and their examples, on tiny budgets, reaching real numbers."""
import math
import re

import numpy as np
import pytest

import kernels
from kernels import cli
from kernels.jobs.seq2seq import EOS, PAD, make_batch, sequence_accuracy
from examples_loader import load_example


def _loss(out, name):
    m = re.search(name + r" loss: ([0-9.]+)", out)
    assert m, out
    return float(m.group(1))


def _small_text(tmp_path):
    # a repetitive text a small LSTM learns within one short epoch
    rng = np.random.default_rng(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran"]
    text = " ".join(rng.choice(words, 6000)) + "\n"
    path = tmp_path / "small.txt"
    path.write_text(text)
    return path, len(set(text))


def test_charlstm_learns_and_resumes(tmp_path, capsys):
    path, vocab = _small_text(tmp_path)
    ck = tmp_path / "lm.ckpt"
    base = ["charlstm", "--text", str(path), "--hidden", "48", "--layers", "2", "--embedding", "16",
            "--seq-len", "25", "--batch-size", "16", "--lr", "1e-2", "--sample-length", "40",
            "--checkpoint", str(ck), "--seed", "0"]
    assert cli.main(base + ["--epochs", "1"]) == 0
    out = capsys.readouterr().out
    val1 = _loss(out, "validation")
    assert val1 < 0.75 * math.log(vocab), out  # well below a uniform guess
    assert kernels.load(ck)["epoch"] == 1
    assert cli.main(base + ["--epochs", "2", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "resumed from" in out and "epoch 2/2" in out
    assert _loss(out, "validation") < val1
    assert cli.main(["charlstm", "--checkpoint", str(ck), "--sample-only", "--sample-length", "30",
                     "--prime", "the "]) == 0
    sample = capsys.readouterr().out.strip()
    assert sample.startswith("the ") and len(sample) == 34


def test_seq2seq_helpers():
    rng = np.random.default_rng(0)
    src, lengths, tgt_in, tgt_out = make_batch(rng, 6, "reverse", 2, 5)
    assert lengths == sorted(lengths, reverse=True)
    for i, L in enumerate(lengths):
        np.testing.assert_array_equal(tgt_out[i, :L], src[i, :L][::-1])
        assert tgt_out[i, L] == EOS and (tgt_out[i, L + 1:] == PAD).all()
        np.testing.assert_array_equal(tgt_in[i, 1:L + 1], tgt_out[i, :L])
    assert sequence_accuracy(tgt_out, tgt_out) == 1.0
    wrong = tgt_out.copy()
    wrong[0, 0] = PAD
    assert sequence_accuracy(wrong, tgt_out) == pytest.approx(5 / 6)


@pytest.mark.parametrize("extra", [[], ["--cell", "gru", "--bidirectional", "--teacher-forcing", "0.5"]])
def test_seq2seq_job_learns_short_reversal(extra, capsys):
    rc = cli.main(["seq2seq", "--min-len", "2", "--max-len", "4", "--hidden", "64", "--steps", "150",
                   "--epochs", "2", "--batch-size", "64", "--test-size", "200", "--lr", "1e-2",
                   "--quiet"] + extra)
    assert rc == 0
    out = capsys.readouterr().out
    m = re.search(r"test sequence accuracy: ([0-9.]+) \((\d+)/200\)", out)
    assert m and float(m.group(1)) >= 0.8, out


def test_seq2seq_job_argument_errors():
    with pytest.raises(SystemExit, match="min-len"):
        cli.main(["seq2seq", "--min-len", "5", "--max-len", "3"])
    with pytest.raises(SystemExit, match="teacher-forcing"):
        cli.main(["seq2seq", "--teacher-forcing", "1.5"])


def test_char_lstmload_example(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    val = load_example("train_char_lstm").main(["--epochs", "3", "--hidden", "128", "--max-chars", "200000",
                                            "--out", str(tmp_path)])
    # nats/char: a uniform guess over this vocabulary is 4.6, character frequencies alone 3.24
    assert val < 2.8
    assert (tmp_path / "history.png").stat().st_size > 0


def test_seq2seqload_example(capsys):
    acc = load_example("train_seq2seq").main(["--steps", "300", "--task", "sort", "--min-len", "2",
                                          "--max-len", "4", "--hidden", "64"])
    assert acc >= 0.8
    assert "whole-sequence accuracy on 1,000 new sequences" in capsys.readouterr().out
