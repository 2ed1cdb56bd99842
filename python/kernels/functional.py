"""Functions in the style of torch.nn.functional, assembled from the op families."""
from .ops.matmul import linear  # noqa: F401
