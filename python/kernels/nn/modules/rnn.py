"""Recurrent layers ``RNN``, ``LSTM``, ``GRU`` and cells ``RNNCell``, ``LSTMCell``, ``GRUCell``,
with torch's constructor arguments, parameter names (weight_ih_l{k}[_reverse], ...), shapes,
initialisation (every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))) and return values:

    RNN / GRU   (output, h_n)             LSTM   (output, (h_n, c_n))
    output (T, B, D*H) ((B, T, D*H) with batch_first, a PackedSequence for a packed input),
    h_n / c_n (num_layers*D, B, H); an unbatched input (T, input_size) drops the B dims.

The maths and the kernels are in kernels.ops.rnn; dropout (between layers, training only) is the
ordinary dropout op. proj_size is not supported.
"""
from __future__ import annotations

import math
import warnings

from ... import _C
from ..._args import check_tensor, expect_tensor, is_int, is_number
from ..._device import as_device, as_dtype
from ...ops import rnn as _ops
from ...tensor import empty
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

Tensor = _C.Tensor

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_LAYER_FNS = {"LSTM": _ops.lstm, "GRU": _ops.gru, "RNN_TANH": _ops.rnn_tanh, "RNN_RELU": _ops.rnn_relu}


def _positive_int(cls, name, v):
    if not is_int(v):
        raise TypeError(f"{cls}: {name} should be of type int, got: {type(v).__name__}")
    if v <= 0:
        raise ValueError(f"{cls}: {name} must be greater than zero, got {v}")
    return int(v)


def _shape(t):
    return tuple(t.shape)


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU: parameters, checks and the call into kernels.ops.rnn."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = self._get_name()
        if mode not in _GATES:
            raise ValueError(f"{name}: unrecognized RNN mode {mode!r}")
        if not is_number(dropout) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        input_size = _positive_int(name, "input_size", input_size)
        hidden_size = _positive_int(name, "hidden_size", hidden_size)
        num_layers = _positive_int(name, "num_layers", num_layers)
        if proj_size != 0:
            raise ValueError(f"{name}: proj_size={proj_size} is not supported (LSTM projections are not "
                             "implemented); use proj_size=0")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        kw = dict(dtype=as_dtype(dtype, _C.dtype.float32), device=as_device(device))
        D = 2 if self.bidirectional else 1
        G = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else hidden_size * D
                shapes = [("weight_ih", (G, in_size)), ("weight_hh", (G, hidden_size))]
                if self.bias:
                    shapes += [("bias_ih", (G,)), ("bias_hh", (G,))]
                for pname, shape in shapes:
                    setattr(self, pname + sfx, Parameter(empty(shape, **kw)))
                    self._flat_weights_names.append(pname + sfx)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[k:k + per] for k in range(0, len(w), per)]

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self):
        """Nothing to do: the kernels read the parameters where they are (torch API parity)."""

    # ---------------------------------------------------------------- checks

    def _check_input(self, input, batch_sizes):
        name = self._get_name()
        if batch_sizes is None and input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead "
                             f"(shape {_shape(input)})")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input {_shape(input)} has {input.shape[-1]} features but "
                             f"input_size is {self.input_size}")
        if batch_sizes is None:
            T = input.shape[1 if (self.batch_first and input.ndim == 3) else 0]
            if T == 0:
                raise ValueError(f"{name}: input {_shape(input)} has an empty sequence (T=0)")

    def _check_hidden(self, h, expected, what, input):
        name = self._get_name()
        check_tensor(name, h, what)
        if _shape(h) != tuple(expected):
            raise ValueError(f"{name}: Expected {what} size {tuple(expected)} for input {_shape(input)}, "
                             f"got {_shape(h)}")
        if h.device != input.device:
            raise ValueError(f"{name}: {what} {_shape(h)} is on {h.device} but the input "
                             f"{_shape(input)} is on {input.device}")

    # ---------------------------------------------------------------- forward

    def forward(self, input, hx=None):
        name = self._get_name()
        is_lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            B = int(batch_sizes[0])
            x, batched = data, True
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: expected a Tensor or PackedSequence as input, got "
                                f"{type(input).__name__}")
            batch_sizes = sorted_indices = unsorted_indices = None
            x = input
        self._check_input(x, batch_sizes)
        if not packed:
            batched = x.ndim == 3
            if not batched:
                x = x.unsqueeze(0 if self.batch_first else 1)
            B = x.shape[0 if self.batch_first else 1]
        D = 2 if self.bidirectional else 1
        expected = (self.num_layers * D, B, self.hidden_size)
        states = None
        if hx is not None:
            states = list(hx) if is_lstm else [hx]
            if is_lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
            names = ["h_0", "c_0"] if is_lstm else ["hx"]
            for k, (s, what) in enumerate(zip(states, names)):
                check_tensor(name, s, what)
                if not batched:
                    if s.ndim != 2:
                        raise ValueError(f"{name}: for unbatched 2-D input, {what} should also be 2-D "
                                         f"but got shape {_shape(s)}")
                    s = s.unsqueeze(1)
                elif s.ndim != 3:
                    raise ValueError(f"{name}: for batched 3-D input, {what} should also be 3-D but got "
                                     f"shape {_shape(s)}")
                self._check_hidden(s, expected, what, input if not packed else x)
                if sorted_indices is not None:
                    s = s.index_select(1, sorted_indices)
                states[k] = s
        fn = _LAYER_FNS[self.mode]
        if is_lstm:
            out = fn(x, states, self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
                     self.bidirectional, self.batch_first, batch_sizes)
        else:
            out = fn(x, None if states is None else states[0], self._flat_weights, self.bias,
                     self.num_layers, self.dropout, self.training, self.bidirectional, self.batch_first,
                     batch_sizes)
        output, hidden = out[0], list(out[1:])
        if packed:
            if unsorted_indices is not None:
                hidden = [h.index_select(1, unsorted_indices) for h in hidden]
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        elif not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            hidden = [h.squeeze(1) for h in hidden]
        return (output, tuple(hidden)) if is_lstm else (output, hidden[0])

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM, gates (i, f, g, o): c_t = f c_{t-1} + i g, h_t = o tanh(c_t)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """GRU, gates (r, z, n): n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h = (1 - z) n + z h."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)


# ---------------------------------------------------------------- cells


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = self._get_name()
        self.input_size = _positive_int(name, "input_size", input_size)
        self.hidden_size = _positive_int(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        kw = dict(dtype=as_dtype(dtype, _C.dtype.float32), device=as_device(device))
        G = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((G, input_size), **kw))
        self.weight_hh = Parameter(empty((G, hidden_size), **kw))
        if self.bias:
            self.bias_ih = Parameter(empty(G, **kw))
            self.bias_hh = Parameter(empty(G, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _check(self, input):
        name = self._get_name()
        expect_tensor(name, input)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead "
                             f"(shape {_shape(input)})")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input {_shape(input)} has {input.shape[-1]} features but "
                             f"input_size is {self.input_size}")

    def _state(self, input, h, what):
        """h, or zeros when None; checked against the input's batch."""
        name = self._get_name()
        want = (input.shape[0], self.hidden_size) if input.ndim == 2 else (self.hidden_size,)
        if h is None:
            return _C.full(list(want), 0.0, input.dtype, input.device)
        check_tensor(name, h, what)
        if _shape(h) != want:
            raise ValueError(f"{name}: {what} must have shape {want} for input {_shape(input)}, got "
                             f"{_shape(h)}")
        if h.device != input.device:
            raise ValueError(f"{name}: {what} {_shape(h)} is on {h.device} but the input "
                             f"{_shape(input)} is on {input.device}")
        return h

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check(input)
        hx = self._state(input, hx, "hx")
        fn = _ops.rnn_tanh_cell if self.nonlinearity == "tanh" else _ops.rnn_relu_cell
        return fn(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    """One LSTM step: (h', c') from (x, (h, c))."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        self._check(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
        h = self._state(input, hx[0], "hx[0]")
        c = self._state(input, hx[1], "hx[1]")
        return _ops.lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step: h' from (x, h)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        self._check(input)
        hx = self._state(input, hx, "hx")
        return _ops.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
