"""Commands for learners: ``demo``, ``shapes`` and ``explain``."""

import sys
from contextlib import ExitStack
from typing import Annotated, Any

import numpy as np
import typer

from nncalc import examples
from nncalc.core import prepare
from nncalc.errors import ExitStatus
from nncalc.explain import pick_index, terms
from nncalc.formats import Format, Matrix
from nncalc.operands import Loaded, Request, load_all
from nncalc.shapes import Labels, Plan, plan

from .options import (
    AllowNonfinite,
    Biases,
    Columns,
    Decimal,
    Delimiter,
    DropColumns,
    Header,
    IdColumn,
    Init,
    InputFormat,
    LayoutOpt,
    Neurons,
    ParamsOpt,
    Precision,
    Seed,
    ShapesFmt,
    SkipRows,
    Weights,
    drawn_notice,
    make_request,
    print_items,
    stages_of,
    stdin_default,
    stdout_is_tty,
)
from .root import app, guarded, note

InputArg = Annotated[
    str | None, typer.Argument(help="Inputs X (a file, or '-' for stdin).", show_default=False)
]


def _load(inputs: str | None, req: Request) -> Loaded:
    """Read X, W and b exactly as ``forward`` does (files, stdin, params or a draw)."""
    names = stdin_default([inputs] if inputs else None, req.params)
    with ExitStack() as stack:
        loaded = load_all(req._replace(inputs=names[0] if names else None), stack)
    gen = loaded.params.generated
    if gen and gen.made_b and not gen.made_w:
        note(drawn_notice(gen, False) or "")
    return loaded


@app.command()
@guarded
def demo(precision: Precision = 4) -> None:
    """Run the course's worked batch example with every table: the "try it now" command.

    X is 3 samples × 3 features, W wires them to 2 neurons, b = [0.5, 0.5]
    (the files are in samples/batch/).
    """
    from nncalc import render

    ex = examples.BATCH
    x = np.array(ex["x"])
    labels = Labels("samples/batch/inputs.csv", "samples/batch/weights.csv",
                    "samples/batch/biases.csv")  # fmt: skip
    layer, pl = prepare(x.shape, ex["w"], ex["b"], labels=labels)
    res = layer.apply(x, keep_z=True)
    items = render.forward_tables(
        Matrix(x, labels.x, Format.CSV), layer, pl, res, labels, stages_of("all"), precision
    )
    print_items(items, None, False)


@app.command()
@guarded
def shapes(
    inputs: InputArg = None,
    weights: Weights = None,
    biases: Biases = None,
    params: ParamsOpt = None,
    layout: LayoutOpt = "in-out",
    neurons: Neurons = None,
    seed: Seed = None,
    init: Init = "randn",
    fmt: ShapesFmt = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    header: Header = None,
    decimal: Decimal = ".",
    allow_nonfinite: AllowNonfinite = False,
    columns: Columns = None,
    drop_columns: DropColumns = None,
    skip_rows: SkipRows = 0,
    id_column: IdColumn = None,
) -> None:
    """Show how X, W and b fit together (m, n, p) and, if they don't, why and how to fix it.

    Exit code 1 when X·W + b is not defined.

    Example: nncalc shapes samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv
    """
    req = make_request(
        weights, biases, params, layout, neurons, seed, init, input_format, delimiter, header,
        decimal, allow_nonfinite, columns, drop_columns, skip_rows, id_column,
    )  # fmt: skip
    loaded = _load(inputs, req)
    pr = loaded.params
    b_shape = None if pr.b is None else pr.b.shape
    pl = plan(loaded.x.values.shape, pr.w.shape, b_shape, req.layout, pr.labels)
    mode = fmt.value if fmt else ("table" if stdout_is_tty() else "json")
    if mode == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps(plan_json(pl), option=orjson.OPT_APPEND_NEWLINE))
        sys.stdout.flush()
    else:
        from nncalc import render

        print_items(render.shape_report(pl, pr.labels), None, False)
    if not pl.ok:
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


@app.command()
@guarded
def explain(
    inputs: InputArg = None,
    weights: Weights = None,
    biases: Biases = None,
    params: ParamsOpt = None,
    layout: LayoutOpt = "in-out",
    neurons: Neurons = None,
    seed: Seed = None,
    init: Init = "randn",
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample", "-s", help="Which sample (row of X), from 0. Default 0.", show_default=False
        ),
    ] = None,
    neuron: Annotated[
        int | None,
        typer.Option(
            "--neuron",
            "-n",
            help="Which neuron, from 0. Default: all (up to 8).",
            show_default=False,
        ),
    ] = None,
    precision: Precision = 4,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    header: Header = None,
    decimal: Decimal = ".",
    allow_nonfinite: AllowNonfinite = False,
    columns: Columns = None,
    drop_columns: DropColumns = None,
    skip_rows: SkipRows = 0,
    id_column: IdColumn = None,
) -> None:
    """Show one sample's arithmetic term by term, as a teacher writes it on the board:
    z[0,1] = (-0.9)(0.7) + (-0.5)(-0.6) + (-0.7)(0.2) + 0.5 = 0.03 → ReLU → 0.03

    Example: nncalc explain samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv --sample 2
    """
    from nncalc import render

    req = make_request(
        weights, biases, params, layout, neurons, seed, init, input_format, delimiter, header,
        decimal, allow_nonfinite, columns, drop_columns, skip_rows, id_column,
    )  # fmt: skip
    loaded = _load(inputs, req)
    x = loaded.x.values
    pr = loaded.params
    layer, pl = prepare(x.shape, pr.w, pr.b, layout=req.layout, labels=pr.labels)
    x2 = np.ascontiguousarray(x.reshape(-1, layer.n), dtype=np.float64)
    res = layer.apply(x2, keep_z=True)
    i = pick_index(sample, x2.shape[0], "sample", "--sample")
    if neuron is not None:
        chosen = [pick_index(neuron, layer.p, "neuron", "--neuron")]
    else:
        chosen = list(range(min(layer.p, 8)))
    title = f"sample {i} of {pr.labels.x}: {layer.n} features, {layer.p} neurons"
    lines = terms(x2, layer, res, i, chosen, pl.single_sample)
    items = [render.explanation(title, lines, precision, layer.p - len(chosen))]
    print_items(items, None, False, soft_wrap=True)
