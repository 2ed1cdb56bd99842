"""torch.utils for kernels.compat: the data subpackage (kernels.data)."""
from .. import data  # noqa: F401
