"""Python-side cost per op: what the autograd layer adds on top of the C++ kernel call.

    python bench/bench_overhead.py [--repeats 200000]

On 1-element tensors the kernel itself is negligible, so the differences are pure overhead:
  raw      _C.add_forward(a, b)                    (pybind11 call + kernel + result object)
  no-grad  a + b with no input requiring grad      (operator dispatch, dtype promotion, Function.apply)
  grad     a + b with a requiring grad             (the same + recording a graph node)
The same three figures for torch are printed next to ours when torch is installed.
"""
from __future__ import annotations

import argparse
import timeit

import kernels
from kernels import _C


def per_call_us(stmt, number):
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=200_000)
    args = p.parse_args(argv)
    n = args.repeats

    a, b = kernels.ones(1), kernels.ones(1)
    g = kernels.ones(1, requires_grad=True)
    rows = [
        ("raw _C.add_forward", per_call_us(lambda: _C.add_forward(a, b), n)),
        ("a + b (no grad)", per_call_us(lambda: a + b, n)),
        ("a + b (records graph)", per_call_us(lambda: g + b, n)),
    ]
    try:
        import torch

        torch.set_num_threads(kernels.get_num_threads())
        ta, tb = torch.ones(1), torch.ones(1)
        tg = torch.ones(1, requires_grad=True)
        rows += [
            ("torch a + b (no grad)", per_call_us(lambda: ta + tb, n)),
            ("torch a + b (records graph)", per_call_us(lambda: tg + tb, n)),
        ]
    except ImportError:
        pass
    print(f"{'what':32s} {'us per call':>12s}")
    for name, us in rows:
        print(f"{name:32s} {us:12.2f}")
    print(f"\nPython layer overhead over the raw call: {rows[1][1] - rows[0][1]:.2f} us without a graph, "
          f"{rows[2][1] - rows[0][1]:.2f} us when recording one")
    return rows


if __name__ == "__main__":
    main()
