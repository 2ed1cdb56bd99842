"""kernels-train's errors: bad options exit 2 with one line naming the option and what it accepts;
errors found later (missing data, foreign or mismatched checkpoints) exit 1 with one line, no
traceback (unless --debug), and leave files as they were."""
import gzip
import importlib.util
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import kernels
from kernels import cli, nn, optim, train

pytest.importorskip("kernels.nn")
pytest.importorskip("kernels.optim")

_ENV = dict(os.environ, OMP_NUM_THREADS="1",
            PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(kernels.__file__)))
            + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _usage_error(argv, capsys):
    """Run main(argv), expect argparse-style exit 2; -> the error line."""
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert str(e.value) == last  # the exception carries the message it printed
    return last


def _later_error(argv, capsys):
    """Run main(argv), expect exit status 1 and exactly one line on stderr; -> that line."""
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kernels-train: error: "), err
    return lines[0]


@pytest.mark.parametrize("argv,line", [
    (["lenet5", "--epochs", "-3"], "kernels-train lenet5: error: argument --epochs: must be an integer >= 1, got -3"),
    (["mlp", "--epochs", "0"], "argument --epochs: must be an integer >= 1, got 0"),
    (["mlp", "--epochs", "two"], "argument --epochs: expected an integer >= 1, got 'two'"),
    (["mlp", "--batch-size", "0"], "argument --batch-size: must be an integer >= 1, got 0"),
    (["mlp", "--lr", "0"], "argument --lr: must be a number in (0, inf), got 0"),
    (["mlp", "--lr=-1e-3"], "argument --lr: must be a number in (0, inf), got -1e-3"),
    (["mlp", "--lr", "nan"], "argument --lr: must be a number in (0, inf), got nan"),
    (["mlp", "--weight-decay", "-1"], "argument --weight-decay: must be a number in [0, inf), got -1"),
    (["mlp", "--threads", "0"], "argument --threads: must be an integer >= 1, got 0"),
    (["mlp", "--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["mlp", "--device", "tpu"], "argument --device: expected cpu, cuda or cuda:N, got 'tpu'"),
    (["mlp", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs' (choose from 'adam', 'adamw', 'sgd')"),
    (["mlp", "--hidden", "64", "0"], "argument --hidden: must be an integer >= 1, got 0"),
    (["mlp", "--dropout", "1"], "argument --dropout: must be a number in [0, 1), got 1"),
    (["lenet5", "--max-shift", "-1"], "argument --max-shift: must be an integer >= 0, got -1"),
    (["lenet5", "--val-size", "-5"], "argument --val-size: must be an integer >= 0, got -5"),
    (["lenet5", "--patience", "0"], "argument --patience: must be an integer >= 1, got 0"),
    (["lenet5", "--label-smoothing", "1"], "argument --label-smoothing: must be a number in [0, 1), got 1"),
    (["resnet", "--width", "0"], "argument --width: must be an integer >= 1, got 0"),
    (["resnet", "--blocks", "1", "0", "1"], "argument --blocks: must be an integer >= 1, got 0"),
    (["charlstm", "--seq-len", "0"], "argument --seq-len: must be an integer >= 1, got 0"),
    (["charlstm", "--layers", "0"], "argument --layers: must be an integer >= 1, got 0"),
    (["charlstm", "--temperature", "0"], "argument --temperature: must be a number in (0, inf), got 0"),
    (["charlstm", "--val-fraction", "1"], "argument --val-fraction: must be a number in [0, 1), got 1"),
    (["charlstm", "--clip", "-1"], "argument --clip: must be a number in (0, inf), got -1"),
    (["seq2seq", "--steps", "0"], "argument --steps: must be an integer >= 1, got 0"),
    (["seq2seq", "--min-len", "0"], "argument --min-len: must be an integer >= 1, got 0"),
    (["seq2seq", "--teacher-forcing", "1.5"], "argument --teacher-forcing: must be a number in [0, 1], got 1.5"),
    # combinations, checked after parsing, reported the same way
    (["mlp", "--resume"], "kernels-train mlp: error: --resume needs --checkpoint PATH"),
    (["seq2seq", "--min-len", "5", "--max-len", "3"], "error: --min-len must be <= --max-len, got 5 and 3"),
    (["charlstm", "--sample-only"], "error: --sample-only needs --checkpoint PATH"),
])
def test_bad_options_exit_2_naming_the_option(argv, line, capsys):
    assert _usage_error(argv, capsys).endswith(line)


def test_plot_dir_without_matplotlib_fails_before_training(capsys, monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    line = _usage_error(["seq2seq", "--plot-dir", str(tmp_path / "p"), "--checkpoint", str(tmp_path / "c")], capsys)
    assert "--plot-dir needs matplotlib" in line
    assert os.listdir(tmp_path) == []


def test_bad_option_in_a_real_process_exits_2_without_traceback():
    r = subprocess.run([sys.executable, "-m", "kernels", "lenet5", "--epochs", "-3"], capture_output=True,
                       text=True, env=_ENV, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == \
        "kernels-train lenet5: error: argument --epochs: must be an integer >= 1, got -3"


def test_missing_data_is_one_line_exit_1(capsys, tmp_path):
    line = _later_error(["mlp", "--data", str(tmp_path / "nonexistent"), "--epochs", "1"], capsys)
    assert "mnist: training files not found in" in line and "nonexistent" in line
    line = _later_error(["charlstm", "--text", str(tmp_path / "none.txt"), "--epochs", "1"], capsys)
    assert line == f"kernels-train: error: load_text: no such file {str(tmp_path / 'none.txt')!r}"
    line = _later_error(["charlstm", "--sample-only", "--checkpoint", str(tmp_path / "c.ckpt")], capsys)
    assert line == f"kernels-train: error: --sample-only: no checkpoint at {tmp_path / 'c.ckpt'}"
    # --debug shows the real exception instead
    with pytest.raises(FileNotFoundError, match="mnist: training files not found"):
        cli.main(["mlp", "--data", str(tmp_path / "nonexistent"), "--debug"])


def test_missing_data_in_a_real_process(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kernels", "mlp", "--data", str(tmp_path / "nonexistent")],
                       capture_output=True, text=True, env=_ENV, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("kernels-train: error: mnist: training files not found")


# ---------------------------------------------------------------- resuming from another run

_S2S = ["seq2seq", "--min-len", "2", "--max-len", "3", "--hidden", "8", "--steps", "2", "--batch-size", "4",
        "--test-size", "4", "--epochs", "2", "--quiet"]


@pytest.fixture
def s2s_checkpoint(tmp_path, capsys):
    ck = tmp_path / "s2s.ckpt"
    assert cli.main(_S2S + ["--epochs", "1", "--checkpoint", str(ck)]) == 0
    capsys.readouterr()
    saved = kernels.load(ck)
    assert saved["config"]["job"] == "seq2seq" and saved["config"]["--hidden"] == 8
    assert saved["classes"] == {"model": "Seq2Seq", "optimizer": "Adam", "scheduler": "OneCycleLR"}
    return ck


def _unchanged(path):
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    return lambda: (path.read_bytes(), os.stat(path).st_mtime_ns) == before


@pytest.mark.parametrize("change,why", [
    (["--optimizer", "sgd"], "--optimizer: 'adam' in the checkpoint, 'sgd' now"),
    (["--hidden", "16"], "--hidden: 8 in the checkpoint, 16 now"),
    (["--cell", "gru", "--lr", "0.01"], "--cell: 'lstm' in the checkpoint, 'gru' now; --lr: 0.003 in the checkpoint, 0.01 now"),
    (["--epochs", "3"], "--epochs: 1 in the checkpoint, 3 now"),
    (["--task", "sort"], "--task: 'reverse' in the checkpoint, 'sort' now"),
])
def test_resume_refuses_a_checkpoint_of_another_run(s2s_checkpoint, change, why, capsys):
    ck = s2s_checkpoint
    same = _unchanged(ck)
    line = _later_error(_S2S + ["--epochs", "1", "--checkpoint", str(ck), "--resume"] + change, capsys)
    assert line == f"kernels-train: error: load_checkpoint: {ck} does not match this run: {why}"
    assert same()


def test_resume_refuses_another_job_and_foreign_files(s2s_checkpoint, tmp_path, capsys):
    ck = s2s_checkpoint
    same = _unchanged(ck)
    charlstm = ["charlstm", "--hidden", "8", "--layers", "1", "--embedding", "4", "--seq-len", "5",
                "--epochs", "1", "--batch-size", "2", "--sample-length", "0", "--quiet"]
    line = _later_error(charlstm + ["--checkpoint", str(ck), "--resume"], capsys)
    assert line.endswith(f"{ck} does not match this run: job: 'seq2seq' in the checkpoint, 'charlstm' now")
    line = _later_error(["charlstm", "--checkpoint", str(ck), "--sample-only"], capsys)
    assert line == f"kernels-train: error: --sample-only: {ck} is a seq2seq checkpoint"
    assert same()

    plain = tmp_path / "weights.ckpt"
    kernels.save({"w": kernels.ones(2)}, plain)
    line = _later_error(_S2S + ["--checkpoint", str(plain), "--resume"], capsys)
    assert line.endswith(f"{plain} is a kernels file but not a training checkpoint "
                         "(written by kernels.save, not kernels.train.save_checkpoint)")
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    line = _later_error(_S2S + ["--checkpoint", str(junk), "--resume"], capsys)
    assert line.startswith(f"kernels-train: error: load: {junk} is damaged (truncated or corrupt zip archive")
    assert junk.read_bytes() == b"PK\x03\x04 not really a zip"
    with pytest.raises(ValueError, match="junk.ckpt is damaged"):
        cli.main(_S2S + ["--checkpoint", str(junk), "--resume", "--debug"])


def test_resume_of_the_same_run_continues(s2s_checkpoint, capsys):
    assert cli.main([a for a in _S2S if a != "--quiet"] + ["--epochs", "1", "--checkpoint", str(s2s_checkpoint),
                                                           "--resume"]) == 0
    assert "resumed from" in capsys.readouterr().out


def _idx_folder(folder):
    """A tiny MNIST in LeCun's IDX format (the image jobs' --data)."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 32), ("t10k", 8)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 255, (n, 28, 28)).astype(np.uint8)
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as fh:
            fh.write(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
        with open(folder / f"{prefix}-labels-idx1-ubyte", "wb") as fh:
            fh.write(struct.pack(">II", 0x801, n) + labels.tobytes())
    return folder


@pytest.fixture
def mlp_run(tmp_path, capsys):
    data = _idx_folder(tmp_path)
    ck = tmp_path / "mlp.ckpt"
    common = ["--data", str(data), "--epochs", "1", "--batch-size", "16", "--quiet", "--checkpoint", str(ck)]
    assert cli.main(["mlp", "--hidden", "8"] + common) == 0
    capsys.readouterr()
    return ["mlp", "--hidden", "8"] + common, ck, common


@pytest.mark.parametrize("change,why", [
    (["--schedule", "none"], "--schedule: 'onecycle' in the checkpoint, 'none' now"),
    (["--schedule", "cosine", "--lr", "0.5"], "--lr: 0.002 in the checkpoint, 0.5 now; "
                                              "--schedule: 'onecycle' in the checkpoint, 'cosine' now"),
    (["--optimizer", "sgd"], "--optimizer: 'adam' in the checkpoint, 'sgd' now"),
    (["--hidden", "8", "8"], "--hidden: 8 in the checkpoint, 8 8 now"),
    (["--batch-size", "8"], "--batch-size: 16 in the checkpoint, 8 now"),
])
def test_image_job_resume_refuses_another_run(mlp_run, change, why, capsys):
    base, ck, common = mlp_run
    same = _unchanged(ck)
    line = _later_error(base + ["--resume"] + change, capsys)
    assert line == f"kernels-train: error: load_checkpoint: {ck} does not match this run: {why}"
    assert same()
    line = _later_error(["lenet5"] + common + ["--resume"], capsys)
    assert line.endswith("job: 'mlp' in the checkpoint, 'lenet5' now")
    assert same()


def test_image_job_val_size_beyond_the_data_is_a_usage_error(mlp_run, capsys):
    base, ck, _ = mlp_run
    assert _usage_error(base + ["--val-size", "32"], capsys).endswith(
        "error: --val-size must be smaller than the 32 training images, got 32")


def test_checkpoints_from_before_configs_were_recorded(mlp_run, capsys):
    # such a file has no "config" or "classes": its state alone must show what differs
    base, ck, _ = mlp_run
    old = kernels.load(ck)
    del old["config"], old["classes"]
    kernels.save(old, ck)
    same = _unchanged(ck)
    line = _later_error(base + ["--resume", "--optimizer", "sgd"], capsys)
    assert line.endswith("does not match this run: optimizer: the checkpoint's parameter group 0 lacks "
                         "'dampening', 'momentum', 'nesterov', which SGD needs (another kind of optimizer wrote it)")
    line = _later_error(base + ["--resume", "--schedule", "none"], capsys)
    assert line.endswith("does not match this run: scheduler: saved state in the checkpoint, none now")
    line = _later_error(base + ["--resume", "--schedule", "cosine"], capsys)
    assert "scheduler state: " in line and "(a different kind of schedule)" in line
    line = _later_error(base + ["--resume", "--hidden", "16"], capsys)
    assert "model shapes (checkpoint vs now): '1.weight' (8, 784) vs (16, 784)" in line
    assert same()
    assert cli.main(base + ["--resume"]) == 0  # the same run still resumes


# ---------------------------------------------------------------- the library underneath


def test_load_checkpoint_checks_before_changing_anything(tmp_path):
    kernels.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=10)
    path = tmp_path / "ck"
    train.save_checkpoint(path, model, opt, sched, epoch=1, config={"job": "a", "--lr": 0.01})

    other = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2), nn.Linear(2, 2))
    before = {k: v.numpy().copy() for k, v in other.state_dict().items()}
    with pytest.raises(ValueError) as e:
        train.load_checkpoint(path, other, optim.SGD(other.parameters(), lr=0.1))
    msg = str(e.value)
    assert msg.startswith(f"load_checkpoint: {path} does not match this run: optimizer: Adam in the checkpoint, "
                          "SGD now; model: the checkpoint lacks '3.bias', '3.weight'; model shapes")
    assert "'0.weight' (4, 3) vs (5, 3)" in msg
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])  # untouched

    # a config given: it must match the recorded one, and a scheduled run needs its scheduler
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.01)
    with pytest.raises(ValueError, match=r"--lr: 0.01 in the checkpoint, 0.02 now$"):
        train.load_checkpoint(path, fresh, fresh_opt, config={"job": "a", "--lr": 0.02})
    with pytest.raises(ValueError, match=r"job: 'a' in the checkpoint, 'b' now$"):
        train.load_checkpoint(path, fresh, fresh_opt, config={"job": "b", "--lr": 0.02})
    with pytest.raises(ValueError, match=r"scheduler: OneCycleLR in the checkpoint, none now$"):
        train.load_checkpoint(path, fresh, fresh_opt, config={"job": "a", "--lr": 0.01})
    sched = optim.lr_scheduler.OneCycleLR(fresh_opt, max_lr=0.01, total_steps=10)
    ckpt = train.load_checkpoint(path, fresh, fresh_opt, sched, config={"job": "a", "--lr": 0.01})
    assert ckpt["epoch"] == 1
    # without a config (library use), the scheduler may be left out
    assert train.load_checkpoint(path, fresh, fresh_opt)["epoch"] == 1
    assert train.checkpoint_mismatches(ckpt, fresh, fresh_opt, sched) == []


def test_fit_records_and_checks_its_config(tmp_path):
    kernels.manual_seed(0)
    x, y = kernels.randn(16, 3), kernels.tensor(np.arange(16) % 2)
    from kernels import data

    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=8)
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "fit.ckpt"
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, verbose=0,
              callbacks=[train.ModelCheckpoint(path)], config={"job": "t", "width": 2})
    assert kernels.load(path)["config"] == {"job": "t", "width": 2}
    same = _unchanged(path)
    with pytest.raises(ValueError, match=r"width: 2 in the checkpoint, 3 now$"):
        train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, verbose=0, resume_from=path,
                  callbacks=[train.ModelCheckpoint(path)], config={"job": "t", "width": 3})
    assert same()
