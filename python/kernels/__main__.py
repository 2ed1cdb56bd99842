"""``python -m kernels``: the same as the ``kernels-train`` command."""
import sys

from .cli import main

sys.exit(main())
