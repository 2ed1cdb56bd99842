"""Recurrent cells and layers: rnn_tanh / rnn_relu / lstm / gru, with torch's gate orders
(LSTM i,f,g,o; GRU r,z,n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))) and parameter shapes
(weight_ih (G*H, I), weight_hh (G*H, H), bias_ih / bias_hh (G*H)).

Cells, as torch's ``_VF`` cells::

    lstm_cell(input, (hx, cx), w_ih, w_hh, b_ih=None, b_hh=None) -> (hy, cy)
    gru_cell / rnn_tanh_cell / rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> hy

Layers (stacked, optionally bidirectional), as torch's ``_VF.lstm`` / ``_VF.gru`` / ...::

    lstm(input, (h0, c0), params, has_biases, num_layers, dropout, train, bidirectional,
         batch_first, batch_sizes=None) -> (output, h_n, c_n)
    gru / rnn_tanh / rnn_relu(input, h0, params, ...) -> (output, h_n)

``params`` is the flat list torch's modules keep: per layer, per direction, w_ih, w_hh[, b_ih,
b_hh]. With ``batch_sizes`` (a PackedSequence's), ``input`` is the packed data (rows of all
steps). Each layer (every direction at once) is one autograd Function whose forward and backward
are single C++ calls that walk the whole sequence (_C.lstm_forward / _C.lstm_backward, ...);
dropout between layers is the ordinary dropout op.
"""
from __future__ import annotations

from .. import _C
from .._args import check_optional_tensor, check_tensor, is_int
from ..autograd import Function
from .activation import dropout as _dropout
from .shape import cat as _cat

__all__ = []  # reached as kernels.functional.* and kernels.ops.rnn.*

_CELL_CALLS = {
    "rnn_tanh": (_C.rnn_tanh_cell_forward, _C.rnn_tanh_cell_backward),
    "rnn_relu": (_C.rnn_relu_cell_forward, _C.rnn_relu_cell_backward),
    "gru": (_C.gru_cell_forward, _C.gru_cell_backward),
}
_LAYER_CALLS = {
    "rnn_tanh": (_C.rnn_tanh_forward, _C.rnn_tanh_backward),
    "rnn_relu": (_C.rnn_relu_forward, _C.rnn_relu_backward),
    "gru": (_C.gru_forward, _C.gru_backward),
}


# ---------------------------------------------------------------- Functions


class LstmCell(Function):
    @staticmethod
    def forward(ctx, input, hx, cx, w_ih, w_hh, b_ih, b_hh):
        hy, cy, ws = _C.lstm_cell_forward(input, hx, cx, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(input, cx, w_ih, w_hh, b_ih, b_hh)
        ctx.ws = ws
        return hy, cy

    @staticmethod
    def backward(ctx, grad_hy, grad_cy):
        input, cx, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        n = ctx.needs_input_grad
        mask = [bool(n[0]), bool(n[3]), bool(n[4]), bool(n[5]), bool(n[6])]
        dx, dhx, dcx, dwi, dwh, dbi, dbh = _C.lstm_cell_backward(
            grad_hy, grad_cy, input, cx, w_ih, w_hh, b_ih, b_hh, ctx.ws, mask)
        return dx, dhx, dcx, dwi, dwh, dbi, dbh


class SimpleCell(Function):
    """gru_cell / rnn_tanh_cell / rnn_relu_cell (mode is the first argument)."""

    @staticmethod
    def forward(ctx, mode, input, hx, w_ih, w_hh, b_ih, b_hh):
        fwd, ctx.bwd = _CELL_CALLS[mode]
        hy, ws = fwd(input, hx, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(input, w_ih, w_hh, b_ih, b_hh)
        ctx.ws = ws
        return hy

    @staticmethod
    def backward(ctx, grad_hy):
        input, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        n = ctx.needs_input_grad
        mask = [bool(n[1]), bool(n[3]), bool(n[4]), bool(n[5]), bool(n[6])]
        dx, dhx, dwi, dwh, dbi, dbh = ctx.bwd(grad_hy, input, w_ih, w_hh, b_ih, b_hh, ctx.ws, mask)
        return None, dx, dhx, dwi, dwh, dbi, dbh


class LstmLayer(Function):
    """One LSTM layer, every direction: (input, h0, c0, *weights) -> (output, h_n, c_n)."""

    @staticmethod
    def forward(ctx, batch_sizes, batch_first, input, h0, c0, *weights):
        y, hn, cn, ws = _C.lstm_forward(input, batch_sizes, batch_first, h0, c0, list(weights))
        ctx.save_for_backward(input, c0, batch_sizes, *weights)
        ctx.batch_first = batch_first
        ctx.ws = ws
        return y, hn, cn

    @staticmethod
    def backward(ctx, grad_y, grad_hn, grad_cn):
        input, c0, batch_sizes, *weights = ctx.saved_tensors
        n = ctx.needs_input_grad
        mask = [bool(n[2]), any(n[5:])]
        dx, dh0, dc0, dw = _C.lstm_backward(grad_y, grad_hn, grad_cn, input, batch_sizes, ctx.batch_first,
                                           c0, weights, ctx.ws, mask)
        return (None, None, dx, dh0, dc0, *dw)


class SimpleLayer(Function):
    """One GRU / Elman RNN layer, every direction: (input, h0, *weights) -> (output, h_n)."""

    @staticmethod
    def forward(ctx, mode, batch_sizes, batch_first, input, h0, *weights):
        fwd, ctx.bwd = _LAYER_CALLS[mode]
        y, hn, ws = fwd(input, batch_sizes, batch_first, h0, list(weights))
        ctx.save_for_backward(input, batch_sizes, *weights)
        ctx.batch_first = batch_first
        ctx.ws = ws
        return y, hn

    @staticmethod
    def backward(ctx, grad_y, grad_hn):
        input, batch_sizes, *weights = ctx.saved_tensors
        n = ctx.needs_input_grad
        mask = [bool(n[3]), any(n[5:])]
        dx, dh0, dw = ctx.bwd(grad_y, grad_hn, input, batch_sizes, ctx.batch_first, weights, ctx.ws, mask)
        return (None, None, None, dx, dh0, *dw)


# ---------------------------------------------------------------- cells


def _cell_args(op, input, states, w_ih, w_hh, b_ih, b_hh):
    check_tensor(op, input, "input")
    for name, t in (("w_ih", w_ih), ("w_hh", w_hh)):
        check_tensor(op, t, name)
    for name, t in (("b_ih", b_ih), ("b_hh", b_hh)):
        check_optional_tensor(op, t, name)
    if input.ndim not in (1, 2):
        raise ValueError(f"{op}: expected input of shape (input_size,) or (B, input_size), got "
                         f"{tuple(input.shape)}")
    unbatched = input.ndim == 1
    for name, s in states:
        check_tensor(op, s, name)
        if s.ndim != input.ndim:
            raise ValueError(f"{op}: {name} {tuple(s.shape)} must be {input.ndim}-D like the input "
                             f"{tuple(input.shape)}")
    if unbatched:
        input = input.unsqueeze(0)
        states = [(n, s.unsqueeze(0)) for n, s in states]
    return unbatched, input, [s for _, s in states]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: hx = (h, c), each (B, H) (or (H,) with a 1-D input). Returns (hy, cy)."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError("lstm_cell: hx must be a pair (h, c) of tensors")
    unbatched, x, (h, c) = _cell_args("lstm_cell", input, [("hx", hx[0]), ("cx", hx[1])], w_ih, w_hh,
                                      b_ih, b_hh)
    hy, cy = LstmCell.apply(x, h, c, w_ih, w_hh, b_ih, b_hh)
    if unbatched:
        return hy.squeeze(0), cy.squeeze(0)
    return hy, cy


def _simple_cell(mode):
    op = mode + "_cell"

    def cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        unbatched, x, (h,) = _cell_args(op, input, [("hx", hx)], w_ih, w_hh, b_ih, b_hh)
        hy = SimpleCell.apply(mode, x, h, w_ih, w_hh, b_ih, b_hh)
        return hy.squeeze(0) if unbatched else hy

    cell.__name__ = op
    cell.__doc__ = f"One {mode} step: hx (B, H) (or (H,) with a 1-D input). Returns hy."
    return cell


gru_cell = _simple_cell("gru")
rnn_tanh_cell = _simple_cell("rnn_tanh")
rnn_relu_cell = _simple_cell("rnn_relu")


# ---------------------------------------------------------------- layers


def _layer_stack(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                 batch_first, batch_sizes):
    """Runs the layers one after the other. hx: [h0] or [h0, c0], each (L*D, B, H) (None: zeros).
    Returns (output, h_n[, c_n])."""
    op = mode
    if not is_int(num_layers) or num_layers < 1:
        raise ValueError(f"{op}: num_layers must be a positive int, got {num_layers!r}")
    D = 2 if bidirectional else 1
    per = 4 if has_biases else 2
    params = list(params)
    if len(params) != num_layers * D * per:
        raise ValueError(f"{op}: expected {num_layers * D * per} parameters for num_layers={num_layers}, "
                         f"bidirectional={bool(bidirectional)}, bias={bool(has_biases)}, got {len(params)}")
    batch_first = bool(batch_first) and batch_sizes is None
    is_lstm = mode == "lstm"
    x = input
    outs_h, outs_c = [], []
    for layer in range(num_layers):
        weights = []
        for d in range(D):
            p = params[(layer * D + d) * per:(layer * D + d + 1) * per]
            weights += p if has_biases else [p[0], p[1], None, None]
        states = [None if s is None else s.narrow(0, layer * D, D) for s in hx]
        if any(s is None for s in states):
            H = weights[1].shape[1]
            B = int(batch_sizes[0]) if batch_sizes is not None else x.shape[0 if batch_first else 1]
            zeros = _C.full([D, B, H], 0.0, x.dtype, x.device)
            states = [zeros if s is None else s for s in states]
        if is_lstm:
            x, hn, cn = LstmLayer.apply(batch_sizes, batch_first, x, states[0], states[1], *weights)
            outs_c.append(cn)
        else:
            x, hn = SimpleLayer.apply(mode, batch_sizes, batch_first, x, states[0], *weights)
        outs_h.append(hn)
        if dropout and train and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    h_n = outs_h[0] if num_layers == 1 else _cat(outs_h, 0)
    if is_lstm:
        c_n = outs_c[0] if num_layers == 1 else _cat(outs_c, 0)
        return x, h_n, c_n
    return x, h_n


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first,
         batch_sizes=None):
    """Stacked LSTM over a whole sequence. hx = (h0, c0) or None. Returns (output, h_n, c_n)."""
    check_tensor("lstm", input, "input")
    if hx is None:
        hx = (None, None)
    return _layer_stack("lstm", input, list(hx), params, has_biases, num_layers, dropout, train,
                        bidirectional, batch_first, batch_sizes)


def _simple_stack(mode):
    def layers(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first,
               batch_sizes=None):
        check_tensor(mode, input, "input")
        return _layer_stack(mode, input, [hx], params, has_biases, num_layers, dropout, train,
                            bidirectional, batch_first, batch_sizes)

    layers.__name__ = mode
    layers.__doc__ = f"Stacked {mode} over a whole sequence. hx = h0 or None. Returns (output, h_n)."
    return layers


gru = _simple_stack("gru")
rnn_tanh = _simple_stack("rnn_tanh")
rnn_relu = _simple_stack("rnn_relu")
