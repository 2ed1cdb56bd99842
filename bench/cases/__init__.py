"""One module per kernel family; each has ``cases(opts)`` returning a list of harness.Case.
FAMILIES is the order the suite runs and reports them in."""
FAMILIES = ["gemm", "conv2d", "activation", "pool", "norm", "loss", "rnn", "step", "overhead"]
