"""Commands for learners: ``demo``, ``shapes`` and ``explain``."""

from contextlib import nullcontext
from typing import Annotated, Any

import numpy as np
import typer

from nncalc import examples, i18n
from nncalc.core import Network, prepare
from nncalc.errors import ExitStatus, UsageError
from nncalc.explain import pick_index, terms
from nncalc.formats import Format, Matrix
from nncalc.i18n import _, help_text, ngettext
from nncalc.runner.whole import Whole
from nncalc.shapes import Labels, Plan, plural
from nncalc.sink import Sink

from .help import Command
from .options import (
    OUTPUT,
    GeneralFlags,
    InputArg,
    InputFlags,
    LabelFlags,
    NetworkFlags,
    Precision,
    ReportFmt,
    option,
    takes,
)
from .output import hooks, print_items, stdout_is_tty
from .request import label_column_named, label_read, request_of, stages_of, stdin_default
from .root import app, guarded


def load(inputs: str | None, net: NetworkFlags, read: InputFlags, *, need_x: bool) -> Whole:
    """X and the network, read exactly as ``forward`` reads them (files, stdin, params, a
    model file or a draw); without X (``need_x`` False and none named, not even on
    stdin), the network alone.  How W/b were drawn is said as ``forward`` says it."""
    from nncalc.runner.whole import load_whole

    if inputs is None and (need_x or not (net.n_inputs or net.model or net.weights)):
        names = stdin_default(None, net.params)
        inputs = names[0] if names else None
    req = request_of(net, read, inputs)
    return load_whole(req, hooks(), verbose=read.verbose)


@app.command(
    cls=Command,
    short_help=help_text("Run the course's worked batch example, every table shown."),
    help=help_text(
        'Run the course\'s worked batch example with every table: the "try it now" '
        "command.\n\n"
        "X is 3 samples × 3 features, W wires them to 2 neurons, b = [0.5, 0.5] (the "
        "files are in samples/batch/)."
    ),
)
@guarded
@takes
def demo(precision: Precision = 4, *, general: GeneralFlags) -> None:
    """The ``demo`` command (its help is the ``help=`` text above)."""
    from nncalc import render

    del general  # --max-memory acts as it is parsed
    ex = examples.BATCH
    x = np.array(ex["x"])
    labels = Labels(
        "samples/batch/inputs.csv", "samples/batch/weights.csv", "samples/batch/biases.csv"
    )
    layer, pl = prepare(x.shape, np.array(ex["w"]), np.array(ex["b"]), labels=labels)
    res = layer.apply(x, keep_z=True)
    items = render.forward_tables(
        Matrix(x, labels.x, Format.CSV), layer, pl, res, labels, stages_of("all"), precision
    )
    print_items(items, None, False)


@app.command(
    cls=Command,
    short_help=help_text("Show how X, W and b fit together, or why they do not."),
    help=help_text(
        "Show how X, W and b fit together (m, n, p) and, if they do not, why and how to "
        "fix it; exit code 1 when X·W + b is not defined.\n\n"
        "Without X, give the network and --inputs N.\n\n"
        "Example: nncalc shapes samples/batch/inputs.csv -w samples/batch/weights.csv "
        "-b samples/batch/biases.csv"
    ),
)
@guarded
@takes
def shapes(
    inputs: InputArg = None,
    *,
    read: InputFlags,
    net: NetworkFlags,
    fmt: ReportFmt = None,
    general: GeneralFlags,
) -> None:
    """The ``shapes`` command (its help is the ``help=`` text above)."""
    del general
    mode = fmt.value if fmt else ("table" if stdout_is_tty() else "json")
    if mode not in ("table", "json"):
        raise UsageError(_("shapes draws a table or writes json, not {mode}").format(mode=mode))
    whole = load(inputs, net, read, need_x=False)
    ops = whole.ops
    with i18n.english() if mode == "json" else nullcontext():  # piped JSON is data
        plans = ops.plans(whole.x_shape)
    count = len(ops.layers)
    ok = len(plans) == count and plans[-1].ok
    network = count > 1 or ops.model is not None
    if mode == "json":
        import orjson

        doc = (
            plan_json(plans[0])
            if not network
            else {
                "ok": ok,
                "layers": [plan_json(pl) for pl in plans],
                "problems": [
                    {"layer": k, "message": p.message, "hint": p.hint}
                    for k, pl in enumerate(plans, 1)
                    for p in pl.problems
                ],
            }
        )
        with Sink(None) as sink:
            sink.write(orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE))
    else:
        from nncalc import render

        if not network:
            items = render.shape_report(plans[0], ops.layers[0].labels)
        else:
            acts = [r.activation for r in ops.layers]
            items = [render.chain_table(plans, acts, count), render.chain_verdict(plans, count)]
        print_items(items, None, False)
    if not ok:
        raise typer.Exit(int(ExitStatus.DATA))


def plan_json(pl: Plan) -> dict[str, Any]:
    """The shapes and a verdict, for scripts."""
    return {
        "ok": pl.ok,
        "m": pl.m,
        "n": pl.n,
        "p": pl.p,
        "x": list(pl.x_shape),
        "w": list(pl.w_shape),
        "b": None if pl.b_shape is None else list(pl.b_shape),
        "layout": pl.layout,
        "out": None if pl.out_shape is None else list(pl.out_shape),
        "problems": [{"message": p.message, "hint": p.hint} for p in pl.problems],
    }


Layer = Annotated[
    int | None,
    option(
        "--layer",
        "-l",
        panel=OUTPUT,
        metavar="K",
        help=help_text("Which layer, from 1 (its inputs are the previous layer's A)."),
    ),
]
Sample = Annotated[
    int | None,
    option(
        "--sample",
        "-s",
        panel=OUTPUT,
        metavar="I",
        help=help_text("Which sample (row of X), from 0 (default 0)."),
    ),
]
Neuron = Annotated[
    int | None,
    option(
        "--neuron",
        "-n",
        panel=OUTPUT,
        metavar="J",
        help=help_text("Which neuron, from 0 (default: all, up to 8)."),
    ),
]


@app.command(
    cls=Command,
    short_help=help_text("Show one sample's arithmetic, term by term."),
    help=help_text(
        "Show one sample's arithmetic term by term, as the course writes it: z2 = "
        "a1·w12 + a2·w22 + a3·w32 + b2, then = (-0.9)(0.7) + (-0.4)(-0.6) + (-0.7)(0.2) "
        "+ 0.5 = -0.03 → ReLU → 0 (inputs a, weights w with the input first and the "
        "neuron second, counted from 1).\n\n"
        "Example: nncalc explain samples/batch/inputs.csv -w samples/batch/weights.csv "
        "-b samples/batch/biases.csv --sample 2"
    ),
)
@guarded
@takes
def explain(
    inputs: InputArg = None,
    *,
    read: InputFlags,
    network: NetworkFlags,
    layer: Layer = None,
    sample: Sample = None,
    neuron: Neuron = None,
    precision: Precision = 4,
    truth: LabelFlags,
    general: GeneralFlags,
) -> None:
    """The ``explain`` command (its help is the ``help=`` text above)."""
    from nncalc import render

    del general
    read = label_read(read, truth)
    labels, label_column, classes = truth.labels, truth.label_column, truth.classes
    with label_column_named(truth):
        whole = load(inputs, network, read, need_x=True)
    x_matrix, ops = whole.x, whole.ops
    assert x_matrix is not None
    x = x_matrix.values
    net, plans = ops.network(x.shape)
    x2 = np.ascontiguousarray(x.reshape(-1, net.n), dtype=np.float64)
    k = pick_layer(layer, len(net))
    from nncalc.engines import local

    trace = local.trace(net, x2)
    inputs_k = x2 if k == 1 else trace[k - 2].a
    lay, res = net[k - 1], trace[k - 1]
    i = pick_index(sample, x2.shape[0], "sample", "--sample")
    if neuron is not None:
        chosen = [pick_index(neuron, lay.p, "neuron", "--neuron")]
    else:
        chosen = list(range(min(lay.p, 8)))
    if len(net) == 1:
        title = _("sample {i} of {x}: {features}, {neurons}").format(
            i=i,
            x=ops.layers[0].labels.x,
            features=plural(lay.n, "feature"),
            neurons=plural(lay.p, "neuron"),
        )
    else:
        source = "X" if k == 1 else _("A{prev}, layer {prev}'s activations").format(prev=k - 1)
        title = _("layer {k} of {count}, sample {i}: inputs are {source} ({values}), {neurons}")
        title = title.format(
            k=k,
            count=len(net),
            i=i,
            source=source,
            values=plural(lay.n, "value"),
            neurons=plural(lay.p, "neuron"),
        )
    lines = terms(inputs_k, lay, res, i, chosen, plans[0].single_sample)
    hidden = 0 if neuron is not None else lay.p - len(chosen)  # chosen: no footer
    items: list[Any] = [render.explanation(title, lines, precision, hidden)]
    if labels is not None or label_column is not None:
        items.append(sample_loss(net, trace[-1].a, i, labels, label_column, classes, x_matrix))
    print_items(items, None, False, soft_wrap=True)


def sample_loss(
    net: Network, out: np.ndarray, i: int, labels: str | None, column: str | None,
    classes: str | None, x: Matrix,
) -> str:  # fmt: skip
    """``explain --sample i`` with labels: that sample's loss, numbers put in."""
    from nncalc.explain import loss_line
    from nncalc.runner.evaluate import Truth, labels_whole

    from .forward import class_names

    names = class_names(classes)
    a = np.atleast_2d(out)
    loss, y = labels_whole(Truth(labels, column), net, names, len(a), (x.source, x.ids))
    return loss_line(loss.name, a[i], y[i], i, names if loss.classes else None)


def pick_layer(value: int | None, count: int) -> int:
    """--layer K, 1-based; default the first layer (the only one of a single layer)."""
    if value is None:
        return 1
    if not 1 <= value <= count:
        raise UsageError(
            ngettext(
                "--layer {k} is out of range: the network has {count} layer (1 to {count})",
                "--layer {k} is out of range: the network has {count} layers (1 to {count})",
                count,
            ).format(k=value, count=count)
        )
    return value
