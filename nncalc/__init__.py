"""nncalc: one dense layer's forward pass, A = ReLU(X·W + b), every step shown.

>>> from nncalc import forward
>>> forward([[-0.9, -0.5, -0.7]], [[0.8, 0.7], [-0.4, -0.6], [0.0, 0.2]], [0.5, 0.5]).a
array([[0.  , 0.03]])
"""

from .core import Layer, Pass, forward, forward_chain, prepare, relu, stream
from .errors import ExitStatus, InputError, NncalcError, ShapeError, UsageError
from .shapes import Labels, Plan, plan

__version__ = "0.1.0"

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
