"""The benchmark suite: every kernel family against its peer library, same process, same inputs,
same thread count. Run it with ``python -m bench`` (or ``python bench/run.py``); see run.py."""
