"""The math of dense networks in plain numpy: no I/O and no CLI here, so
``from nncalc.core import Network`` works in a notebook.

``activations`` (one record per activation), ``layer`` (one dense layer, its shape
checks and streaming), ``network`` (layers in order).
"""

from .activations import ACTIVATIONS, Activation, activation
from .layer import Array, Layer, Pass, block_rows, forward, layer_of, prepare, regroup, relu, stream
from .network import Network, chain_problem, forward_chain

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Array",
    "Layer",
    "Network",
    "Pass",
    "activation",
    "block_rows",
    "chain_problem",
    "forward",
    "forward_chain",
    "layer_of",
    "prepare",
    "regroup",
    "relu",
    "stream",
]
