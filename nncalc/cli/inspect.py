"""``nncalc inspect``: a network at a glance, like Keras' ``model.summary()``."""

import dataclasses
from typing import Annotated

import typer

from nncalc.core import Network
from nncalc.errors import InputError, ShapeError, UsageError
from nncalc.i18n import _, help_text
from nncalc.operands import Request

from .help import Command
from .options import GeneralFlags, NetworkFlags, ReportFmt, takes
from .output import hooks, print_items, stdout_is_tty
from .request import request_of
from .root import app, guarded

ModelArg = Annotated[
    str | None,
    typer.Argument(
        metavar="MODEL",
        help=help_text(
            "A model file: nncalc JSON, .npz, .safetensors or .onnx (or use --model, or -w/-b)."
        ),
        show_default=False,
    ),
]


@app.command(
    cls=Command,
    short_help=help_text("Summarize a network, one row per layer, like Keras' model.summary()."),
    help=help_text(
        "Summarize a network: one row per layer (name, W as n×p, bias, activation, "
        "parameters, dtype), the input and output widths and the totals.\n\n"
        "It takes the network as forward does: a MODEL file, -w/-b sets (the k-th -b "
        "pairs with the k-th -w), or --neurons with --inputs N. A state dict holds no "
        "activations: they show as unknown unless nncalc wrote the file or --activation "
        "gives them.\n\n"
        "Example: nncalc inspect mlp.safetensors --activation relu,softmax"
    ),
)
@guarded
@takes
def inspect(
    model_file: ModelArg = None,
    *,
    net: NetworkFlags,
    fmt: ReportFmt = None,
    general: GeneralFlags,
) -> None:
    """The ``inspect`` command (its help is the ``help=`` text above)."""
    del general
    mode = fmt.value if fmt else ("table" if stdout_is_tty() else "json")
    if mode not in ("table", "json"):
        raise UsageError(_("inspect draws a table or writes json, not {mode}").format(mode=mode))
    if model_file is not None:
        if net.model is not None or net.weights or net.biases:
            raise UsageError(_("inspect reads a MODEL file or -w/-b sets, not both"))
        net = dataclasses.replace(net, model=model_file)
    if net.model is None and not net.weights and not net.neurons and net.params is None:
        raise UsageError(_("inspect needs a MODEL file or -w/-b sets (see nncalc inspect --help)"))
    req = request_of(net)
    # a file without activations is still shown (they read as unknown); forward refuses it
    req = req.replace(model_options=req.model_options._replace(unknown_activations=True))
    network, names, source, kind, details, unknown = _network(req)
    from nncalc.models.summary import summary

    info = summary(network, source, kind, names, details, unknown)
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
    """The network without X, by the one rule every command uses (no inputs: a model
    brings its own widths; -w/-b say theirs, --inputs when W alone cannot)."""
    from nncalc.runner.whole import load_whole

    ops = load_whole(req, hooks()).ops
    if ops.model is not None:
        m = ops.model
        return m.network, m.names, m.source, m.format, m.details, m.unknown
    try:
        net = ops.network(None, None)[0]
    except ShapeError as e:
        raise InputError(str(e)) from None
    names = tuple(r.labels.w for r in ops.layers)
    source = " ".join(f"-w {w}" for w in req.weights) or (
        ops.generated.line if ops.generated else req.params or "flags"
    )
    return net, names, source, "flags", ops.details, ()
