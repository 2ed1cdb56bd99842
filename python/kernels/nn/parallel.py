"""torch.nn.parallel's single-process names. kernels runs a module on one device, so DataParallel
is a pass-through wrapper (its state_dict keys gain the "module." prefix, as torch's do) and
data_parallel calls the module; spreading one batch over several GPUs is not supported and says
so. Training across processes (DistributedDataParallel) is not supported yet."""
from __future__ import annotations

from .modules.module import Module

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]


def _one_device(device_ids, op):
    ids = list(device_ids) if device_ids is not None else []
    if len(ids) > 1:
        raise NotImplementedError(f"{op}: kernels runs a module on one device; got device_ids={ids} "
                                  "(splitting a batch over several devices is not supported yet)")


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        _one_device(device_ids, "DataParallel")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device, self.dim = output_device, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    _one_device(device_ids, "data_parallel")
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return module(*inputs, **(module_kwargs or {}))


class DistributedDataParallel(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("kernels does not support torch.nn.parallel.DistributedDataParallel yet")
