"""One module per op family; each holds the autograd Functions that call the C++ kernels."""
import importlib

FAMILIES = (
    "elementwise", "inplace", "reduce", "shape", "indexing", "matmul", "activation", "loss",
    "conv", "norm", "pool", "upsample", "pad", "rnn", "embedding", "triangular",
    "vector_norm", "pixel_shuffle", "random_fill", "masked",
    "tile", "compare", "tensor_functions", "multinomial",
)

modules = [importlib.import_module(f"{__name__}.{name}") for name in FAMILIES]
