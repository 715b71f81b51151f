"""nncalc: one dense layer's forward pass, A = ReLU(X·W + b), every step shown.

>>> from nncalc import forward
>>> forward([[-0.9, -0.5, -0.7]], [[0.8, 0.7], [-0.4, -0.6], [0.0, 0.2]], [0.5, 0.5]).a
array([[0.  , 0.03]])
"""

from __future__ import annotations

from .errors import ExitStatus, InputError, NncalcError, ShapeError, UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs a few ms before signals are caught
if TYPE_CHECKING:
    from .core import Layer, Pass, forward, forward_chain, prepare, relu, stream
    from .shapes import Labels, Plan, plan

__version__ = "0.1.0"

# numpy is imported on first use, not with the package: the command line must install
# its signal handlers before any heavy import (a Ctrl-C then is one line, not a traceback)
_LAZY = {"Layer": "core", "Pass": "core", "forward": "core", "forward_chain": "core",
         "prepare": "core", "relu": "core", "stream": "core", "Labels": "shapes",
         "Plan": "shapes", "plan": "shapes"}  # fmt: skip


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'nncalc' has no attribute {name!r}")


__all__ = [
    "ExitStatus",
    "InputError",
    "Labels",
    "Layer",
    "NncalcError",
    "Pass",
    "Plan",
    "ShapeError",
    "UsageError",
    "__version__",
    "forward",
    "forward_chain",
    "plan",
    "prepare",
    "relu",
    "stream",
]
