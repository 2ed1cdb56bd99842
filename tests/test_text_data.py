"""kernels.data.text: the default text, the vocabulary, the split and the TBPTT chunking."""
import numpy as np
import pytest

from kernels.data import text as textdata


def test_default_text_is_pythons_documentation():
    t = textdata.load_text()
    assert len(t) > 400_000 and "assert" in t


def test_load_text_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="load_text: no such file"):
        textdata.load_text(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        textdata.load_text(tmp_path / "empty.txt")


def test_vocab_round_trip_and_unknown_characters():
    v = textdata.CharVocab.from_text("hello, wörld")
    assert v.chars == sorted(set("hello, wörld")) and len(v) == 10
    ids = v.encode("hello wörld")
    assert ids.dtype == np.int64 and v.decode(ids) == "hello wörld"
    assert textdata.CharVocab.from_state_dict(v.state_dict()).chars == v.chars
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['x'\]"):
        v.encode("helxo")
    with pytest.raises(ValueError, match="no characters"):
        textdata.CharVocab("")


def test_split_keeps_order():
    ids = np.arange(100)
    a, b = textdata.split_text(ids, 0.1)
    assert a.tolist() == list(range(90)) and b.tolist() == list(range(90, 100))
    with pytest.raises(ValueError, match="val_fraction"):
        textdata.split_text(ids, 1.0)


@pytest.mark.parametrize("batch_first", [True, False])
def test_tbptt_chunks_continue_each_stream(batch_first):
    ids = np.arange(1003)
    b = textdata.TBPTTBatches(ids, batch_size=4, seq_len=30, batch_first=batch_first)
    per = (1003 - 1) // 4  # 250 steps per stream
    assert len(b) == -(-per // 30) and b.num_targets == 4 * per
    xs, ys = [], []
    for x, y in b:
        x, y = x.numpy(), y.numpy()
        if not batch_first:
            x, y = x.T, y.T
        xs.append(x)
        ys.append(y)
    x, y = np.concatenate(xs, 1), np.concatenate(ys, 1)
    assert x.shape == (4, per)
    np.testing.assert_array_equal(x[1], np.arange(per, 2 * per))  # stream 1 is contiguous text
    np.testing.assert_array_equal(y, x + 1)  # the target is the next character
    assert xs[-1].shape[1] == per - 30 * (len(b) - 1)  # the short tail chunk is kept


def test_tbptt_errors():
    with pytest.raises(ValueError, match="too short"):
        textdata.TBPTTBatches(np.arange(3), batch_size=4, seq_len=2)
    with pytest.raises(ValueError, match="positive"):
        textdata.TBPTTBatches(np.arange(30), batch_size=0, seq_len=2)
