"""python -m kernels.compat script.py [args...]: run a PyTorch script on kernels (see kernels.compat)."""
import runpy
import sys

from . import install


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m kernels.compat script.py [args...]\n\n"
              "Runs script.py with `import torch` (torch.nn, torch.optim, torch.utils.data, ...) "
              "resolved to kernels, and torchvision's MNIST served from the built-in mnist_5k.")
        return 0 if argv else 2
    script = argv[0]
    install()
    sys.argv = list(argv)
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
