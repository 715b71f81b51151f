"""``nncalc draw``: the network as a picture (SVG, PNG or a one-file HTML page)."""

import shlex
import sys
from typing import Annotated

from nncalc.errors import UsageError
from nncalc.explain import pick_index
from nncalc.i18n import N_, _, help_text
from nncalc.runner.job import Job
from nncalc.sink import Sink

from .help import Command
from .options import (
    OUTPUT,
    Force,
    GeneralFlags,
    InputArg,
    InputFlags,
    NetworkFlags,
    Output,
    option,
    takes,
)
from .output import hooks, stdout_is_tty
from .request import request_of
from .root import app, guarded

SampleOpt = Annotated[
    int | None,
    option(
        "--sample",
        panel=OUTPUT,
        metavar="I",
        help=help_text("Write sample I's x, z and a in the nodes (from 0; default 0 with X)."),
    ),
]
DrawPrecision = Annotated[
    int,
    option(
        "--precision",
        panel=OUTPUT,
        min=1,
        max=17,
        metavar="DIGITS",
        help=help_text("Significant digits drawn (default 3)."),
    ),
]


NEEDS_X = N_("--sample needs inputs X: nncalc draw X.csv --sample 0 ...")


@app.command(
    cls=Command,
    short_help=help_text("Draw the network as a picture: SVG, PNG or an HTML page."),
    help=help_text(
        "Draw the network: inputs on the left, each layer's neurons to the right, one "
        "line per weight (blue positive, red negative, wider for a larger |w|), each "
        "neuron's bias.\n\n"
        "-o names the picture: .svg, .png or .html. With X, one sample's numbers are "
        "written in the nodes; without X, give the whole network (or --inputs N).\n\n"
        "Example: nncalc draw samples/batch/inputs.csv -w samples/batch/weights.csv -b "
        "samples/batch/biases.csv --sample 1 -o batch.svg"
    ),
)
@guarded
@takes
def draw(
    inputs: InputArg = None,
    *,
    read: InputFlags,
    net: NetworkFlags,
    sample: SampleOpt = None,
    output: Output = None,
    force: Force = False,
    precision: DrawPrecision = 3,
    general: GeneralFlags,
) -> None:
    """The ``draw`` command (its help is the ``help=`` text above)."""
    from nncalc.diagram import picture, picture_kind
    from nncalc.runner.whole import load_whole

    del general
    to_stdout = output in (None, "-")
    if to_stdout and stdout_is_tty():
        raise UsageError(_("name the picture: -o net.svg (or .png, .html)"))
    kind = "svg" if to_stdout else picture_kind(output or "")
    if inputs is None and sample is not None and net.params is None:
        raise UsageError(_(NEEDS_X))
    req = request_of(net, read, inputs)
    whole = load_whole(req, hooks(), verbose=read.verbose)
    network = whole.ops.network(whole.x_shape)[0]
    x = None if whole.x is None else whole.x.values.reshape(-1, network.n)
    if sample is not None and x is None:
        raise UsageError(_(NEEDS_X))
    row = None if x is None else pick_index(sample, x.shape[0], "sample", "--sample")
    command = shlex.join(["nncalc", *sys.argv[1:]])
    data = picture(network, kind, x, row, command, precision=precision)
    with Sink(output, protect=Job(req=req).protect(whole.ops), force=force) as sink:
        sink.write(data)
