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

from typing import TYPE_CHECKING, Any

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
from .errors import InputError, NncalcError, ShapeError
from .shapes import Labels, Plan, plan

if TYPE_CHECKING:
    from .models import Model

__version__ = "0.2.0"


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
    "forward",
    "forward_chain",
    "load_model",
    "plan",
    "prepare",
    "read_model",
    "relu",
    "stream",
]
