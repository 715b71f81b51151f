"""``nncalc inspect``: a network at a glance, like Keras' ``model.summary()``."""

from contextlib import ExitStack
from typing import Annotated

import typer

from nncalc.core import Network
from nncalc.errors import InputError, ShapeError, UsageError
from nncalc.operands import Request, gather

from .options import (
    ActivationOpt,
    Biases,
    Decimal,
    Delimiter,
    Header,
    InputFormat,
    LayerOrder,
    LayoutOpt,
    MaxMemory,
    ModelFormat,
    ShapesFmt,
    Weights,
)
from .output import print_items, stdout_is_tty
from .request import request_of
from .root import app, guarded


@app.command()
@guarded
def inspect(
    model: Annotated[
        str | None,
        typer.Argument(
            help="A model file: nncalc JSON, .npz, .safetensors or .onnx.", show_default=False
        ),
    ] = None,
    weights: Weights = None,
    biases: Biases = None,
    layout: LayoutOpt = "in-out",
    activation: ActivationOpt = None,
    model_format: ModelFormat = None,
    layer_order: LayerOrder = None,
    fmt: ShapesFmt = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    header: Header = None,
    decimal: Decimal = ".",
    max_memory: MaxMemory = None,
) -> None:
    """Summarize a network: one row per layer (name, W as n×p, bias, activation,
    parameters, dtype), the input and output widths and the totals.

    Reads any --model file, or -w/-b sets (the k-th -b pairs with the k-th -w).
    A state dict holds no activations: they show as unknown unless nncalc wrote the
    file or --activation gives them.

    Example: nncalc inspect mlp.safetensors --activation relu,softmax
    """
    mode = fmt.value if fmt else ("table" if stdout_is_tty() else "json")
    if mode not in ("table", "json"):
        raise UsageError(f"inspect draws a table or writes json, not {mode}")
    if model is not None and (weights or biases):
        raise UsageError("inspect reads a MODEL file or -w/-b sets, not both")
    if model is None and not weights:
        raise UsageError("inspect needs a MODEL file or -w/-b sets (see nncalc inspect --help)")
    if weights and len(biases or ()) != len(weights):
        raise UsageError(
            f"{len(weights)} -w but {len(biases or ())} -b: give one -b per -w (the k-th -b "
            "pairs with the k-th -w)"
        )
    req = request_of(locals())
    # a file without activations is still shown (they read as unknown); forward refuses it
    req = req._replace(model_options=req.model_options._replace(unknown_activations=True))
    net, names, source, kind, details, unknown = _network(req)
    from nncalc.models.summary import summary

    info = summary(net, source, kind, names, details, unknown)
    if mode == "json":
        import orjson

        from nncalc.sink import Sink

        with Sink(None) as sink:
            sink.write(orjson.dumps(info, option=orjson.OPT_APPEND_NEWLINE))
    else:
        from nncalc import render

        print_items([render.model_summary(info)], None, False)


def _network(
    req: Request,
) -> tuple[Network, tuple[str, ...], str, str, tuple[str, ...], tuple[int, ...]]:
    with ExitStack() as stack:
        # no inputs: a model brings its own widths; -w/-b are first read, then chained
        # to inputs as wide as the first W wants
        ops = gather(req, (1, 1), "X", {}, stack)
    if ops.model is not None:
        m = ops.model
        return m.network, m.names, m.source, m.format, m.details, m.unknown
    first = ops.layers[0]
    if first.w.ndim < 2:
        n = int(first.w.size)
    else:
        n = int(first.w.shape[1] if first.layout == "out-in" else first.w.shape[0])
    try:
        net, _ = ops.network((1, n), None)
    except ShapeError as e:
        raise InputError(str(e)) from None
    names = tuple(r.labels.w for r in ops.layers)
    return net, names, " ".join(f"-w {w}" for w in req.weights), "flags", ops.details, ()
