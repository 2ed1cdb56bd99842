"""kernels: a deep-learning library whose every compute kernel is hand-written."""
from . import _C
