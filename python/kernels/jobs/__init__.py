"""The training jobs behind ``kernels-train``: one module per model family, each exposing a
:class:`kernels.cli.Command` (registered by name in ``kernels.cli.SUBCOMMANDS``)."""
