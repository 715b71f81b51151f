"""A request → the inputs' reader and a checked Network: what every command computes on.

``request`` is what the user named, ``sources`` where X and files are read from,
``layers`` how W, b and activations become layers.
"""

from .layers import Operands, RawLayer, gather
from .request import Generated, Request
from .sources import load_all, load_optional, load_params_file, load_shown, stream_inputs

__all__ = [
    "Generated",
    "Operands",
    "RawLayer",
    "Request",
    "gather",
    "load_all",
    "load_optional",
    "load_params_file",
    "load_shown",
    "stream_inputs",
]
