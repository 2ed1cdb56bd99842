"""How much of PyTorch's public surface kernels provides, counted name by name.

    python tools/compat_coverage.py              # the Markdown table
    python tools/compat_coverage.py --missing    # and, per namespace, the names kernels lacks

Imports real torch and kernels side by side (no import hook) and walks four namespaces:

    torch                 -> kernels
    torch.Tensor          -> kernels.Tensor
    torch.nn              -> kernels.nn
    torch.nn.functional   -> kernels.functional   (kernels.nn.functional is the same module)

Which torch names count:
* every name in dir() with no leading underscore;
* a module counts only as the namespace's own submodule under its own name (torch.nn,
  torch.cuda, nn.init): not the modules a namespace happens to import (torch.os, torch.math,
  torch.windows which is torch.signal.windows, nn.functional.torch, nn.functional.np);
* not Python's typing names a module imports (Optional, Callable, ...), TYPE_CHECKING, the
  documentation strings of nn.functional (reproducibility_notes, ...) and torch.Tensor as
  nn.functional re-exports it (see NOT_API);
* for torch.Tensor also the dunder methods that make a tensor behave as one: those torch.Tensor
  defines itself (its attribute is not `object`'s) and that are callable: operators (__add__,
  __radd__, __iadd__, __matmul__, __eq__, __neg__, ...), indexing and iteration (__getitem__,
  __setitem__, __len__, __iter__, __contains__, __reversed__), conversions (__bool__, __float__,
  __int__, __index__, __complex__, __array__, __dlpack__), __repr__, __format__, __hash__ and
  copying / pickling (__deepcopy__, __reduce_ex__, __setstate__); minus Python's class
  machinery (__new__, __init_subclass__, __subclasshook__, __dir__, __class__), Python 2's
  spellings (__div__, __rdiv__, __idiv__, __nonzero__, __long__) and torch's dispatch hooks
  (__torch_function__, __torch_dispatch__, __dlpack_c_exchange_api__).

A name is covered when kernels' namespace has it (for a dunder: an attribute that is not
`object`'s), unless that object says `_kernels_placeholder = True` (nn.Transformer and the rest
of the attention family exist only so that imports succeed; constructing them raises).

Out of scope: docs/compat_out_of_scope.md holds a table of name patterns (regular expressions,
matched in full); the "in scope" columns count only the names no pattern matches.
"""
from __future__ import annotations

import argparse
import pathlib
import re
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT_OF_SCOPE_MD = ROOT / "docs" / "compat_out_of_scope.md"

TENSOR_DUNDERS_EXCLUDED = {
    # Python's class machinery
    "__new__", "__init__", "__init_subclass__", "__subclasshook__", "__dir__", "__class__",
    "__getattribute__", "__setattr__", "__delattr__", "__sizeof__", "__reduce__", "__getstate__",
    # Python 2 spellings
    "__div__", "__rdiv__", "__idiv__", "__nonzero__", "__long__",
    # torch's dispatch / extension hooks
    "__torch_function__", "__torch_dispatch__", "__dlpack_c_exchange_api__",
}
# Public-looking names that are not API: TYPE_CHECKING, documentation strings, and torch.Tensor
# as re-exported by torch.nn.functional (it is counted once, as its own namespace).
NOT_API = {"TYPE_CHECKING", "reproducibility_notes", "tf32_notes", "sparse_support_notes", "Tensor",
           "GRID_SAMPLE_INTERPOLATION_MODES", "GRID_SAMPLE_PADDING_MODES", "assert_int_or_pair"}


def out_of_scope_patterns(path=OUT_OF_SCOPE_MD):
    """[(family, compiled regex)] from the table rows `| family | `regex` | why |` of the doc
    (`\\|` in a cell is Markdown's escape of a literal bar). Every row of the table must parse."""
    rows = []
    for line in path.read_text().splitlines():
        if not line.startswith("|") or line.startswith("| ---") or line.startswith("| family"):
            continue
        m = re.match(r"\|\s*([^|`]+?)\s*\|\s*`([^`]+)`\s*\|.*\|\s*$", line)
        if not m:
            raise SystemExit(f"compat_coverage: cannot read this row of {path}:\n{line}")
        rows.append((m.group(1), re.compile(m.group(2).replace("\\|", "|"))))
    if not rows:
        raise SystemExit(f"compat_coverage: no name patterns found in {path}")
    return rows


def is_dunder(name):
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def _python_reexport(obj):
    """typing's and collections.abc's names (Optional, Callable, ...) that a torch module imports."""
    mod = getattr(obj, "__module__", None) if isinstance(obj, type) or "typing" in type(obj).__module__ else None
    return mod in ("typing", "collections.abc", "builtins", "typing_extensions")


def torch_names(namespace, is_tensor, module_name=None):
    names = []
    for name in dir(namespace):
        try:
            obj = getattr(namespace, name)
        except Exception:  # a lazy attribute that fails to load: still part of the surface
            obj = None
        if is_dunder(name):
            if not is_tensor or name in TENSOR_DUNDERS_EXCLUDED:
                continue
            if obj is getattr(object, name, None) or not callable(obj):
                continue
            names.append(name)
        elif name.startswith("_") or name in NOT_API:
            continue
        elif isinstance(obj, types.ModuleType):
            if getattr(obj, "__name__", "") == f"{module_name}.{name}":
                names.append(name)  # torch.nn, torch.cuda, nn.init: its own submodule by its own name
            # else torch.os, torch.windows (torch.signal.windows), nn.functional.torch, ...: an import
        elif _python_reexport(obj):
            continue
        else:
            names.append(name)
    return sorted(names)


def covered(ours, name):
    try:
        obj = getattr(ours, name)
    except Exception:
        return False
    if is_dunder(name) and obj is getattr(object, name, None):
        return False
    if obj is None and is_dunder(name):  # __hash__ = None: explicitly unhashable
        return False
    return getattr(obj, "_kernels_placeholder", False) is not True


def out_of_scope(name, patterns):
    for family, rx in patterns:
        if rx.fullmatch(name):
            return family
    return None


def count(torch, kernels, patterns):
    spaces = [
        ("torch", torch, kernels, False),
        ("torch.Tensor", torch.Tensor, kernels.Tensor, True),
        ("torch.nn", torch.nn, kernels.nn, False),
        ("torch.nn.functional", torch.nn.functional, kernels.functional, False),
    ]
    rows = []
    for label, theirs, ours, is_tensor in spaces:
        names = torch_names(theirs, is_tensor, None if is_tensor else label)
        have = {n for n in names if covered(ours, n)}
        scope = {n: out_of_scope(n, patterns) for n in names}
        in_scope = [n for n in names if scope[n] is None]
        rows.append({
            "namespace": label, "names": names, "covered": have, "scope": scope,
            "in_scope": in_scope, "covered_in_scope": [n for n in in_scope if n in have],
        })
    return rows


def pct(a, b):
    return f"{100.0 * a / b:.0f}%" if b else "-"


def table(rows, torch_version, kernels_version):
    out = [f"Public names of torch {torch_version} that kernels {kernels_version} provides "
           f"(rule: tools/compat_coverage.py; out of scope: docs/compat_out_of_scope.md).", "",
           "| namespace | torch names | covered | % | in scope | covered in scope | % in scope |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    tot = [0, 0, 0, 0]
    for r in rows:
        n, c, s, cs = len(r["names"]), len(r["covered"]), len(r["in_scope"]), len(r["covered_in_scope"])
        tot = [tot[0] + n, tot[1] + c, tot[2] + s, tot[3] + cs]
        out.append(f"| `{r['namespace']}` | {n} | {c} | {pct(c, n)} | {s} | {cs} | {pct(cs, s)} |")
    out.append(f"| **all** | {tot[0]} | {tot[1]} | {pct(tot[1], tot[0])} | {tot[2]} | {tot[3]} | "
               f"{pct(tot[3], tot[2])} |")
    return "\n".join(out)


def missing(rows):
    out = []
    for r in rows:
        lacking = [n for n in r["in_scope"] if n not in r["covered"]]
        out += ["", f"### `{r['namespace']}`: {len(lacking)} in-scope names missing", "",
                ", ".join(f"`{n}`" for n in lacking) or "(none)"]
        oos = {}
        for n in r["names"]:
            if r["scope"][n] is not None and n not in r["covered"]:
                oos.setdefault(r["scope"][n], []).append(n)
        if oos:
            out += ["", "Out of scope (missing, by family): " + "; ".join(
                f"{fam} {len(ns)}" for fam, ns in oos.items())]
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--missing", action="store_true", help="also list the in-scope names kernels lacks")
    args = p.parse_args(argv)
    try:
        import torch
    except ImportError:
        raise SystemExit("compat_coverage: needs real PyTorch installed (pip install torch)")
    sys.path.insert(0, str(ROOT / "python"))
    import kernels

    rows = count(torch, kernels, out_of_scope_patterns())
    print(table(rows, torch.__version__, getattr(kernels, "__version__", "?")))
    if args.missing:
        print(missing(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
