"""nncalc: the forward pass of dense layers and networks, every step shown.

>>> from nncalc import forward
>>> forward([[-0.9, -0.5, -0.7]], [[0.8, 0.7], [-0.4, -0.6], [0.0, 0.2]], [0.5, 0.5]).a
array([[0.  , 0.03]])
>>> from nncalc import Layer, Network
>>> net = Network([Layer([[0.8, 0.7], [-0.4, -0.6], [0.0, 0.2]], [0.5, 0.5]),
...                Layer([[1.0], [-1.0]], [0.0], "sigmoid")])
>>> net([[-0.8, -0.5, -0.6]]).round(4)
array([[0.485]])
"""

from __future__ import annotations

from .errors import ExitStatus, InputError, NncalcError, ShapeError, UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs a few ms before signals are caught
if TYPE_CHECKING:
    from typing import Any

    from .core import (
        ACTIVATIONS,
        Activation,
        Layer,
        Network,
        Pass,
        activation,
        forward,
        forward_chain,
        prepare,
        relu,
        stream,
    )
    from .explain import Explanation, explanation
    from .models import Model
    from .shapes import Labels, Plan, plan

__version__ = "0.2.0"

# numpy is imported on first use, not with the package: the command line must install
# its signal handlers before any heavy import (a Ctrl-C then is one line, not a traceback)
_LAZY = {
    **dict.fromkeys(("ACTIVATIONS", "Activation", "Layer", "Network", "Pass", "activation",
                     "forward", "forward_chain", "prepare", "relu", "stream"), "core"),
    **dict.fromkeys(("Labels", "Plan", "plan"), "shapes"),
    **dict.fromkeys(("Explanation", "explanation"), "explain"),
}  # fmt: skip


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'nncalc' has no attribute {name!r}")


def load_model(path: str, **options: Any) -> Network:
    """The network in a model file: nncalc JSON, .npz, .safetensors or .onnx.

    ``options`` are those of :class:`nncalc.models.LoadOptions` (``activations=("relu",
    "softmax")`` for a state dict that names none, ``layer_order``, ``dtype``).
    """
    return read_model(path, **options).network


def read_model(path: str, **options: Any) -> Model:
    """Like :func:`load_model`, with the layer names and format found in the file."""
    from .models import LoadOptions
    from .models import read_model as read

    return read(path, LoadOptions(**options))


__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Explanation",
    "InputError",
    "Labels",
    "Layer",
    "Network",
    "NncalcError",
    "Pass",
    "Plan",
    "ShapeError",
    "__version__",
    "activation",
    "explanation",
    "forward",
    "forward_chain",
    "load_model",
    "plan",
    "prepare",
    "read_model",
    "relu",
    "stream",
]
_ = (ExitStatus, UsageError)  # importable for scripts that catch them; not the notebook API
