"""One module per kernel family, named as the op family and its tests (tests/test_<family>.py):
each has ``cases(opts)`` returning a list of harness.Case, its shapes from kernels.testing.cases.
FAMILIES is the order the suite runs and reports them in; overhead (the Python layer's cost per
op) is the one that is no op family."""
FAMILIES = ["matmul", "conv2d", "activation", "pool", "norm", "loss", "rnn", "train", "overhead"]
