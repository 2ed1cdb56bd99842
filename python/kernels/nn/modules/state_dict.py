"""``state_dict`` / ``load_state_dict`` of ``nn.Module`` (a base class of ``Module``), as torch's.

Keys are the dotted names of the parameters and persistent buffers, a module's own before its
children's ("fc1.weight", "0.bias", "block.1.running_mean"), so state_dicts move between the two
libraries unchanged. Loading copies into the existing tensors in place (converting dtype and
device); values may be kernels tensors, NumPy arrays or anything speaking DLPack (torch tensors).
"""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from ... import _C
from ...autograd import no_grad
from ...tensor import from_dlpack, tensor as _make_tensor
from ..parameter import Parameter

Tensor = _C.Tensor

__all__ = []  # reached through kernels.nn.Module


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns (torch's ``IncompatibleKeys``)."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _shape(t):
    return tuple(int(s) for s in t.shape)


def _as_kernels_tensor(value):
    """A state_dict value as a kernels Tensor: kernels tensors as they are, NumPy arrays and
    numbers copied, anything speaking DLPack (torch tensors, ...) shared. None if not a tensor."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return _make_tensor(value)
    if hasattr(value, "__dlpack__"):
        if hasattr(value, "detach"):  # torch refuses to export tensors that require grad
            value = value.detach()
        if hasattr(value, "is_contiguous") and not value.is_contiguous():
            value = value.contiguous()
        try:
            return from_dlpack(value)
        except (TypeError, ValueError, RuntimeError, BufferError):
            # A dtype DLPack cannot bring over (float16, int32...): go through NumPy instead.
            if hasattr(value, "cpu"):
                value = value.cpu()
            if hasattr(value, "is_floating_point") and value.is_floating_point() and hasattr(value, "double"):
                value = value.double()  # bfloat16 has no NumPy dtype
            return _make_tensor(np.asarray(value.numpy() if hasattr(value, "numpy") else value))
    return None


class StateDictMixin:
    """The state_dict half of ``Module``: it uses the registries ``Module`` keeps (_parameters,
    _buffers, _non_persistent_buffers_set, _modules) and its ``_version`` and ``_get_name``."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """An OrderedDict from dotted names to detached tensors sharing the model's memory:
        parameters and persistent buffers, a module's own before its children's."""
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        persistent_buffers = {k: v for k, v in self._buffers.items()
                              if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(),
                                                        persistent_buffers.items())
                       if v is not None}
        assign = bool(local_metadata.get("assign_to_params_buffers", False))
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            raw = state_dict[key]
            value = _as_kernels_tensor(raw)
            if value is None:
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected a Tensor (kernels, '
                    f"torch or NumPy) from checkpoint but received {type(raw)}"
                )
                continue
            if _shape(value) != _shape(param):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {_shape(value)} from "
                    f"checkpoint, the shape in current model is {_shape(param)}."
                )
                continue
            try:
                with no_grad():
                    if assign:
                        new = value.to(device=param.device)
                        if isinstance(param, Parameter):
                            setattr(self, name, Parameter(new._raw(), param.requires_grad))
                        else:
                            self._buffers[name] = new
                    else:
                        if value.dtype != param.dtype or value.device != param.device:
                            value = value.to(device=param.device, dtype=param.dtype)
                        param.copy_(value)
            except Exception as ex:  # noqa: BLE001 - reported as torch does
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model are '
                    f"{_shape(param)} and whose dimensions in the checkpoint are {_shape(value)}, "
                    f"an exception occurred : {ex.args}."
                )
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix):
                    input_name = key[len(prefix):].split(".", 1)
                    if input_name[0] not in self._modules and input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy ``state_dict``'s values into this module's parameters and buffers, in place.

        Values may be kernels tensors, NumPy arrays or torch tensors (any DLPack producer), and
        are converted to each parameter's dtype and device. Returns (missing_keys,
        unexpected_keys); with ``strict`` a missing or unexpected key raises RuntimeError, and a
        shape mismatch always does.
        """
        if not isinstance(state_dict, dict) and not hasattr(state_dict, "keys"):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict)}."
            )
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            module._load_from_state_dict(state_dict, prefix, local_metadata, True,
                                         missing_keys, unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        load(self)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self._get_name(), "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)
