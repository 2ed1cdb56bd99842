"""``BatchNorm1d``, ``BatchNorm2d`` and ``BatchNorm3d``, as torch.nn.

Parameters ``weight`` (ones) and ``bias`` (zeros) when ``affine``; buffers ``running_mean``
(zeros), ``running_var`` (ones) and ``num_batches_tracked`` (an int64 scalar) when
``track_running_stats``: torch's state_dict keys, so state_dicts move between the two libraries.
In training mode the layer normalises with the batch statistics and updates the running ones
(``momentum=None``: a cumulative average, momentum 1 / num_batches_tracked); in eval mode it uses
the running statistics, or the batch statistics when it tracks none.
"""
from __future__ import annotations


from ... import _C
from ... import functional as F
from ..._args import expect_tensor, is_int, is_number
from ..._device import as_device, as_dtype
from ...autograd import no_grad
from ...tensor import ones, tensor, zeros
from .module import Module
from .normalization import _affine_params, _reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _BatchNorm(Module):
    _version = 2  # torch's: version 2 added num_batches_tracked
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]
    _ranks = ()  # accepted input ranks
    _layout = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        name = type(self).__name__
        if not is_int(num_features) or num_features < 0:
            raise ValueError(f"{name}: num_features must be a non-negative int, got {num_features!r}")
        if momentum is not None and not is_number(momentum):
            raise TypeError(f"{name}: momentum must be a number or None, got {momentum!r}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine_params(self, self.num_features, affine, bias, device, dtype)
        kw = dict(dtype=as_dtype(dtype, _C.dtype.float32), device=as_device(device))
        if track_running_stats:
            self.register_buffer("running_mean", zeros(self.num_features, **kw))
            self.register_buffer("running_var", ones(self.num_features, **kw))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=_C.dtype.int64, device=kw["device"]))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input):
        expect_tensor(type(self).__name__, input)
        if input.ndim not in self._ranks:
            raise ValueError(
                f"{type(self).__name__}: expected {self._layout} input, got shape {tuple(input.shape)} "
                f"({input.ndim}-D)"
            )
        if (self.affine or self.track_running_stats) and input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input with {self.num_features} "
                f"channels (dim 1), got shape {tuple(input.shape)}"
            )

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        # Batch statistics when training, and in eval when there are no running statistics.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias, use_batch,
                            factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            # A checkpoint from before num_batches_tracked existed: start the count at 0 (torch).
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                                   else tensor(0, dtype=_C.dtype.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input."""

    _ranks = (2, 3)
    _layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input."""

    _ranks = (4,)
    _layout = "4-D (N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input."""

    _ranks = (5,)
    _layout = "5-D (N, C, D, H, W)"
