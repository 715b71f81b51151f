"""``nncalc draw``: the network as a picture (SVG, PNG or a one-file HTML page)."""

import shlex
import sys
from contextlib import ExitStack
from typing import Annotated

import numpy as np
import typer

from nncalc.errors import UsageError
from nncalc.explain import pick_index
from nncalc.formats import ReadOptions
from nncalc.models import LoadOptions, read_model
from nncalc.operands import read_named
from nncalc.sink import Sink

from .options import Force, Output, stdout_is_tty
from .root import app, guarded

ModelOpt = Annotated[
    str | None,
    typer.Option("--model", help="The network, from a model file (net.json).", show_default=False),
]
SampleOpt = Annotated[
    int | None,
    typer.Option(
        "--sample",
        help="Write this sample's numbers in the nodes (0-based; default 0 when X is given).",
        show_default=False,
    ),
]


@app.command()
@guarded
def draw(
    inputs: Annotated[
        str | None,
        typer.Argument(help="Inputs X: a sample's numbers go in the nodes.", show_default=False),
    ] = None,
    model: ModelOpt = None,
    sample: SampleOpt = None,
    output: Output = None,
    force: Force = False,
) -> None:
    """Draw the network: inputs on the left, each layer's neurons to the right, one line
    per weight (blue positive, red negative, wider for larger |w|).

    -o names the picture: .svg, .png or .html. Example:
    nncalc draw samples/batch/inputs.csv --model net.json --sample 1 -o net.svg
    """
    from nncalc.diagram import picture, picture_kind

    if model is None:
        raise UsageError("name the network: --model net.json")
    if output in (None, "-") and stdout_is_tty():
        raise UsageError("name the picture: -o net.svg (or .png, .html)")
    kind = "svg" if output in (None, "-") else picture_kind(output)
    if sample is not None and inputs is None:
        raise UsageError("--sample needs inputs X: nncalc draw X.csv --sample 0 ...")
    net = read_model(model, LoadOptions()).network
    x = None
    row = None
    if inputs is not None:
        with ExitStack() as stack:
            x = np.atleast_2d(read_named(inputs, ReadOptions(), stack, "inputs").values)
        row = pick_index(sample, x.shape[0], "sample", "--sample")
    data = picture(net, kind, x, row, shlex.join(["nncalc", *sys.argv[1:]]))
    protect = tuple(n for n in (inputs, model) if n)
    with Sink(output, protect=protect, force=force) as sink:
        sink.write(data)
