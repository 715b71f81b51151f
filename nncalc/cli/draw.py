"""``nncalc draw``: the network as a picture (SVG, PNG or a one-file HTML page)."""

import shlex
import sys
from contextlib import ExitStack
from typing import Annotated

import numpy as np
import typer

from nncalc.core import Network
from nncalc.errors import UsageError
from nncalc.explain import pick_index
from nncalc.operands import Request, gather, load_all
from nncalc.sink import Sink

from .options import (
    ActivationOpt,
    AllowNonfinite,
    Biases,
    Decimal,
    Delimiter,
    Force,
    Header,
    Init,
    InputFormat,
    LayerOrder,
    LayoutOpt,
    MaxMemory,
    ModelFormat,
    ModelOpt,
    Neurons,
    Output,
    ParamsOpt,
    Seed,
    Weights,
)
from .output import stdout_is_tty
from .request import request_of, stdin_default
from .root import app, guarded

SampleOpt = Annotated[
    int | None,
    typer.Option(
        "--sample",
        help="Write this sample's x, z and a in the nodes (0-based; default 0 when X is given).",
        show_default=False,
    ),
]


def network_of(inputs: str | None, req: Request) -> tuple[Network, np.ndarray | None]:
    """The network and X, read exactly as ``forward`` reads them; without X (and no
    --params to hold it) the network must be given whole, for nothing can be drawn to fit."""
    if inputs is None and req.params is None:
        if req.neurons or not (req.weights or req.model) or len(req.biases) < len(req.weights):
            raise UsageError(
                "without inputs X, name the whole network: -w/-b pairs or --model (with X, "
                "--neurons and a missing -b are drawn to fit it)"
            )
        with ExitStack() as stack:
            ops = gather(req, (1, 1), "X", {}, stack)
        first = ops.layers[0]
        n = (
            first.w.shape[-1]
            if first.layout == "out-in" and first.w.ndim == 2
            else first.w.shape[0]
        )
        return ops.network((1, n))[0], None
    names = stdin_default([inputs] if inputs else None, req.params)
    req = req._replace(inputs=names[0] if names else None)
    with ExitStack() as stack:
        loaded = load_all(req, stack)
        x = loaded.x.values
        ops = gather(req, x.shape, loaded.x.source, loaded.from_file, stack)
    net, _ = ops.network(x.shape)
    return net, x.reshape(-1, net.n)


@app.command()
@guarded
def draw(
    inputs: Annotated[
        str | None,
        typer.Argument(
            help="Inputs X (a file, or '-' for stdin): a sample's numbers go in the nodes.",
            show_default=False,
        ),
    ] = None,
    weights: Weights = None,
    biases: Biases = None,
    model: ModelOpt = None,
    params: ParamsOpt = None,
    layout: LayoutOpt = "in-out",
    neurons: Neurons = None,
    seed: Seed = None,
    init: Init = "randn",
    sample: SampleOpt = None,
    output: Output = None,
    force: Force = False,
    precision: Annotated[
        int, typer.Option("--precision", min=1, max=17, help="Significant digits drawn.")
    ] = 3,
    activation: ActivationOpt = None,
    model_format: ModelFormat = None,
    layer_order: LayerOrder = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    header: Header = None,
    decimal: Decimal = ".",
    allow_nonfinite: AllowNonfinite = False,
    max_memory: MaxMemory = None,
) -> None:
    """Draw the network: inputs on the left, each layer's neurons to the right, one line
    per weight (blue positive, red negative, wider for a larger |w|), each neuron's bias.

    -o names the picture: .svg, .png or .html. With X, one sample's numbers are written
    in the nodes. Example:
    nncalc draw samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv --sample 1 -o batch.svg
    """
    from nncalc.diagram import picture, picture_kind

    to_stdout = output in (None, "-")
    if to_stdout and stdout_is_tty():
        raise UsageError("name the picture: -o net.svg (or .png, .html)")
    kind = "svg" if to_stdout else picture_kind(output or "")
    if sample is not None and inputs is None and params is None:
        raise UsageError("--sample needs inputs X: nncalc draw X.csv --sample 0 ...")
    req = request_of(locals())
    net, x = network_of(inputs, req)
    row = None if x is None else pick_index(sample, x.shape[0], "sample", "--sample")
    command = shlex.join(["nncalc", *sys.argv[1:]])
    data = picture(net, kind, x, row, command, precision=precision)
    with Sink(output, protect=req._replace(inputs=inputs).names, force=force) as sink:
        sink.write(data)


def check_report(path: str) -> None:
    """``forward --report``: an .html name (checked before any work is done)."""
    if not path.lower().endswith((".html", ".htm")):
        raise UsageError(f"--report writes one HTML file: name a .html file, not {path}")


def write_report(
    path: str, net: Network, x: np.ndarray, items: list[object], protect: tuple[str, ...],
    force: bool,
) -> None:  # fmt: skip
    """The tables just drawn, the picture and the command line, as one HTML file."""
    from nncalc import render
    from nncalc.diagram.report import report_html

    command = shlex.join(["nncalc", *sys.argv[1:]])
    page = report_html(command, net, x.reshape(-1, net.n), render.tables_html(items))  # type: ignore[arg-type]
    with Sink(path, protect=protect, force=force) as sink:
        sink.write(page)
