"""Reverse-mode automatic differentiation.

Every differentiable op is one ``Function`` subclass whose ``forward`` and ``backward`` call the
C++ kernels in ``kernels._C`` directly; ``Function.apply`` records a ``Node`` when any input
requires a gradient. ``backward`` walks the recorded graph in topological order, summing the
gradients of nodes that are used more than once.

Saved tensors are stored as raw handles (``Tensor._raw()``: same memory, no autograd attributes),
so a graph never holds a reference cycle through its own outputs.
"""
from __future__ import annotations

from . import _C

Tensor = _C.Tensor
_graph_edges = _C._graph_edges

# Grad mode is a per-thread flag kept in C++ (kernels._C), where the operators' fast paths read it.
is_grad_enabled = _C._is_grad_enabled
_set_grad_enabled = _C._set_grad_enabled


class set_grad_enabled:
    """Context manager (and function) that turns graph recording on or off."""

    def __init__(self, mode: bool):
        self.prev = is_grad_enabled()
        _set_grad_enabled(bool(mode))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_grad_enabled(self.prev)
        return False


class no_grad:
    """``with kernels.no_grad():`` runs ops without recording them; also a decorator."""

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set_grad_enabled(False)
        return self

    def __exit__(self, *exc):
        _set_grad_enabled(self.prev)
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class enable_grad(no_grad):
    def __enter__(self):
        self.prev = is_grad_enabled()
        _set_grad_enabled(True)
        return self


class Context:
    """What a Function's forward leaves for its backward."""

    # Class-level defaults and no __init__: one is made for every op, recorded or not.
    _saved = ()
    _versions = ()
    needs_input_grad = ()
    non_differentiable = ()

    def save_for_backward(self, *tensors):
        # List comprehensions, not generators: this runs for every recorded op.
        saved = [None if t is None else t._raw() for t in tensors]
        self._saved = tuple(saved)
        self._versions = tuple([None if t is None else t._version for t in saved])

    @property
    def saved_tensors(self):
        """The saved tensors, refused (as torch refuses them) if one was written in place since it
        was saved: its backward would otherwise use values it never saw."""
        for t, v in zip(self._saved, self._versions):
            if t is not None and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.type()} {list(t.shape)}] is at version {t._version}; expected "
                    f"version {v} instead. Hint: the in-place write came after the forward op that saved "
                    "it; use the out-of-place op, or clone() before writing")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tuple(id(t) for t in tensors)


class _Leaf:
    """Graph node that adds the incoming gradient into a leaf tensor's ``.grad``."""

    __slots__ = ("tensor",)
    n_outputs = 1

    def __init__(self, tensor):
        self.tensor = tensor

    def name(self):
        return "AccumulateGrad"


class Node:
    __slots__ = ("fn", "ctx", "edges", "out_meta", "freed")

    def __init__(self, fn, ctx, edges, out_meta):
        self.fn = fn  # the Function subclass
        self.ctx = ctx
        self.edges = edges  # per forward arg: None or (node, output_nr, shape)
        self.out_meta = out_meta  # per output: (shape, dtype, device) or None if not differentiable
        self.freed = False

    @property
    def n_outputs(self):
        return len(self.out_meta)

    def name(self):
        return self.fn.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"


# out_meta of a node with one differentiable output: the metadata is only needed to fill in
# zeros for outputs that received no gradient, which cannot happen with a single output.
_SINGLE_OUTPUT = (True,)


class Function:
    """Base class of differentiable ops.

    Subclasses define ``forward(ctx, *args)`` returning a Tensor or a tuple of Tensors, and
    ``backward(ctx, *grad_outputs)`` returning one gradient (or None) per forward argument.
    """

    @staticmethod
    def forward(ctx, *args):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        ctx = Context()
        if not is_grad_enabled():
            return cls.forward(ctx, *args)
        graph = _graph_edges(args, _Leaf)  # (needs, edges, stale), or None: nothing needs a gradient
        if graph is None:
            return cls.forward(ctx, *args)
        ctx.needs_input_grad, edges, stale = graph
        if stale >= 0:
            _refuse_stale_view(cls, args[stale])
        out = cls.forward(ctx, *args)
        if type(out) is not tuple:
            if out.is_floating_point() and not ctx.non_differentiable:
                out._requires_grad = True
                out.grad_fn = Node(cls, ctx, edges, _SINGLE_OUTPUT)
            return out
        outs = out
        skip = ctx.non_differentiable
        metas = []
        for o in outs:
            if not o.is_floating_point() or id(o) in skip:
                metas.append(None)
            else:
                metas.append((o.shape, o.dtype, o.device))
        node = Node(cls, ctx, edges, tuple(metas))
        for i, (o, meta) in enumerate(zip(outs, metas)):
            if meta is not None:
                o._requires_grad = True
                o.grad_fn = node
                if i:
                    o._output_nr = i
        return out


def _refuse_stale_view(fn, view):
    raise RuntimeError(
        f"{fn.__name__}: a view ({view.type()} {list(view.shape)}) is used after an in-place op recorded "
        "by autograd gave the tensor it views a new place in the graph; torch would carry the view's "
        "gradient over to it, kernels does not yet. Take the view again after the in-place op")


def backward(tensor, grad=None, retain_graph=False):
    """Compute d(tensor)/d(leaf) for every leaf that requires grad, summing into ``leaf.grad``."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: the tensor does not require grad and has no grad_fn "
            f"(shape {tuple(tensor.shape)}); did you forget requires_grad=True?"
        )
    caller = None
    if grad is None:
        if tensor.numel() != 1:
            raise RuntimeError(
                "backward: grad can be implicitly created only for scalar outputs, got a tensor of "
                f"shape {tuple(tensor.shape)}; pass a gradient of that shape"
            )
        grad = _C.full(list(tensor.shape), 1.0, tensor.dtype, tensor.device)
    else:
        if not isinstance(grad, Tensor):
            raise TypeError(f"backward: gradient must be a Tensor, got {type(grad).__name__}")
        if grad._same_meta(tensor):  # the usual case, in one call
            pass
        elif tuple(grad.shape) != tuple(tensor.shape):
            raise ValueError(
                f"backward: gradient of shape {tuple(grad.shape)} does not match the tensor's shape "
                f"{tuple(tensor.shape)}"
            )
        else:
            raise TypeError(
                f"backward: gradient is {grad.dtype} on {grad.device} but the tensor is "
                f"{tensor.dtype} on {tensor.device}"
            )
        # The caller's memory goes into the graph as it is (backward functions never write to
        # their incoming gradients); only a leaf's .grad that would share it gets a copy
        # (_add_to_leaf), so the usual graph pays no extra pass over the gradient.
        caller = grad = grad._raw()
    root = tensor.grad_fn
    if root is None:  # a leaf: d(t)/d(t) is the identity
        _add_to_leaf(tensor, grad, caller)
        return
    run_backward(root, tensor._output_nr, grad, retain_graph, caller)


def _add_to_leaf(t, grad, caller=None):
    g = t.grad
    if g is not None:
        t.grad = _C.add_forward(g, grad)
    elif caller is not None and grad._same_storage(caller):
        t.grad = _C.clone(grad)  # never let a leaf's .grad alias the caller's gradient tensor
    else:
        t.grad = grad


def run_backward(root, output_nr, grad, retain_graph, caller=None):
    """caller: the gradient tensor the user passed to backward(), if any (see backward())."""
    # Count, for every node, the edges that lead into it from the part of the graph we will run.
    deps = {}
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _Leaf):
            continue
        for e in node.edges:
            if e is None:
                continue
            child = e[0]
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)

    buffers = {root: [None] * root.n_outputs}
    buffers[root][output_nr] = grad
    ready = [root]
    with no_grad():
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if isinstance(node, _Leaf):
                if grads is not None and grads[0] is not None:
                    _add_to_leaf(node.tensor, grads[0], caller)
                continue
            if node.freed:
                raise RuntimeError(
                    f"backward: trying to backward through {node.name()} a second time; its saved "
                    "tensors were freed after the first backward. Pass retain_graph=True to the "
                    "first backward if you need to call it twice."
                )
            in_grads = None
            if grads is not None and (grads[0] is not None if len(grads) == 1 else any(g is not None for g in grads)):
                grads = _fill_missing(node, grads)
                in_grads = node.fn.backward(node.ctx, *grads)
                if not isinstance(in_grads, tuple):
                    in_grads = (in_grads,)
                if len(in_grads) < len(node.edges):
                    raise RuntimeError(
                        f"{node.name()} returned {len(in_grads)} gradients for "
                        f"{len(node.edges)} inputs"
                    )
            if not retain_graph:
                node.ctx = None
                node.freed = True
            for i, e in enumerate(node.edges):
                if e is None:
                    continue
                child, nr, shape = e
                g = None if in_grads is None else in_grads[i]
                if g is not None:
                    if g.shape != shape:
                        raise RuntimeError(
                            f"{node.name()} returned a gradient of shape {tuple(g.shape)} for input "
                            f"{i} of shape {tuple(shape)}"
                        )
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.n_outputs
                    old = buf[nr]
                    buf[nr] = g if old is None else _C.add_forward(old, g)
                deps[child] -= 1
                if deps[child] == 0:
                    ready.append(child)


def _fill_missing(node, grads):
    """Give differentiable outputs that received no gradient a zero one (multi-output ops)."""
    if len(grads) == 1:
        return grads
    out = list(grads)
    for i, (g, meta) in enumerate(zip(grads, node.out_meta)):
        if g is None and meta is not None:
            shape, dtype, device = meta
            out[i] = _C.full(list(shape), 0.0, dtype, device)
    return out
