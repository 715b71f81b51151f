"""``nncalc evaluate``: how good a network is on labelled rows — loss, accuracy, the
confusion matrix, per-class precision/recall/F1 — parsed here, computed by
:mod:`nncalc.runner.evaluate`, drawn by :mod:`nncalc.render.metrics`."""

from enum import Enum
from typing import Annotated

import typer

from nncalc.errors import UsageError
from nncalc.runner.evaluate import Truth, as_json, run_evaluate
from nncalc.runner.job import Job

from .forward import class_names, input_progress, report
from .options import (
    ActivationOpt,
    AllowNonfinite,
    Biases,
    Columns,
    Decimal,
    Delimiter,
    DropColumns,
    DTypeOpt,
    EngineName,
    EngineOpt,
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
    Precision,
    Seed,
    SkipRows,
    Threshold,
    Verbose,
    Weights,
)
from .output import print_items, stdout_is_tty
from .request import request_of, stdin_default
from .root import app, guarded


class LossName(str, Enum):
    auto = "auto"
    cross_entropy = "cross_entropy"
    binary_cross_entropy = "binary_cross_entropy"
    mse = "mse"
    mae = "mae"


class EvalFormat(str, Enum):
    table = "table"
    json = "json"


@app.command()
@guarded
def evaluate(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Inputs X, m×n (samples × features): a CSV/TSV/JSON/NDJSON/Parquet file, "
            "'-' for stdin, or numbers (1,2,3;4,5,6).",
            show_default=False,
        ),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(
            "--labels",
            help="True labels, one per line: a class index, a class name from --classes, a "
            "one-hot row, or (mse/mae) the output's true numbers.",
            show_default=False,
        ),
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option(
            "--label-column",
            help="Take the true labels from this column of X (name or position), as "
            "--id-column takes ids.",
            show_default=False,
        ),
    ] = None,
    loss: Annotated[
        LossName,
        typer.Option(
            "--loss",
            help="auto: softmax → cross_entropy, one sigmoid output → binary_cross_entropy, "
            "else mse.",
        ),
    ] = LossName.auto,
    classes: Annotated[
        str | None,
        typer.Option(
            "--classes",
            help="Class names, in output order: setosa,versicolor,virginica or a file, one "
            "per line (labels may then be names).",
            show_default=False,
        ),
    ] = None,
    threshold: Threshold = None,
    weights: Weights = None,
    biases: Biases = None,
    model: ModelOpt = None,
    params: ParamsOpt = None,
    layout: LayoutOpt = "in-out",
    neurons: Neurons = None,
    seed: Seed = None,
    init: Init = "randn",
    fmt: Annotated[
        EvalFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (default on a terminal) or json (default when piped).",
            show_default=False,
        ),
    ] = None,
    output: Output = None,
    force: Force = False,
    precision: Precision = 4,
    activation: ActivationOpt = None,
    model_format: ModelFormat = None,
    layer_order: LayerOrder = None,
    dtype: DTypeOpt = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    header: Header = None,
    decimal: Decimal = ".",
    allow_nonfinite: AllowNonfinite = False,
    columns: Columns = None,
    drop_columns: DropColumns = None,
    skip_rows: SkipRows = 0,
    verbose: Verbose = False,
    max_memory: MaxMemory = None,
    engine: EngineOpt = EngineName.local,
) -> None:
    """Score a network on labelled rows: the loss, accuracy, a confusion matrix and each
    class's precision, recall, F1 and support (the numbers of sklearn.metrics).

    Rows stream, so any number fit; piped (or with --format json) it writes one JSON object.

    Example: nncalc evaluate samples/real/iris.csv --skip-rows 1 --columns 1-4
    --label-column 5 --model samples/real/iris_mlp.npz --activation relu,softmax
    --classes setosa,versicolor,virginica
    """
    if labels is None and label_column is None:
        raise UsageError("evaluate needs the true labels: --labels FILE or --label-column COL")
    if labels is not None and label_column is not None:
        raise UsageError("--labels and --label-column both give the true labels: give one")
    if engine is EngineName.dask:
        raise UsageError("evaluate runs on the local engine: drop --engine dask")
    names = stdin_default(inputs, params)
    if len(names) > 1:
        raise UsageError(f"evaluate scores one input, got {len(names)}")
    if labels is not None and labels == "-" and names == ["-"]:
        raise UsageError("X and --labels cannot both be stdin")
    id_column = label_column  # X's reader keeps the label column out, as it does ids
    req = request_of(locals())._replace(inputs=names[0] if names else None)
    job = Job(req, dtype.value if dtype else None, verbose, force, classes=class_names(classes))
    mode = fmt.value if fmt else ("table" if stdout_is_tty() and output is None else "json")
    try:
        done = run_evaluate(job, Truth(labels, label_column), loss.value, threshold, report,
                            input_progress)  # fmt: skip
    except UsageError as e:  # X's reader takes the label column as its id column
        if label_column is None or not str(e).startswith("--id-column"):
            raise
        raise UsageError("--label-column" + str(e).removeprefix("--id-column")) from None
    doc = as_json(done)
    if mode == "table":
        from nncalc import render

        print_items(render.evaluation_tables(doc, precision), output, force, job.protect())
        return
    import orjson

    from nncalc.sink import Sink

    with Sink(output, protect=job.protect(), force=force) as sink:
        sink.write(orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE))
