"""``nncalc evaluate``: how good a network is on labelled rows — loss, accuracy, the
confusion matrix, per-class precision/recall/F1 — parsed here, computed by
:mod:`nncalc.runner.evaluate`, drawn by :mod:`nncalc.render.metrics`."""

from enum import Enum
from typing import Annotated

from nncalc.errors import UsageError
from nncalc.i18n import _, help_text
from nncalc.runner.distributed import refuse_cluster_options
from nncalc.runner.evaluate import Cluster, Truth, as_json, run_evaluate
from nncalc.runner.job import Job

from .forward import class_file, class_names
from .help import Command
from .options import (
    LABELS,
    OUTPUT,
    EngineFlags,
    EngineName,
    Force,
    GeneralFlags,
    InputArg,
    InputFlags,
    LabelFlags,
    NetworkFlags,
    Output,
    Precision,
    Threshold,
    option,
    takes,
)
from .output import hooks, print_items, stdout_is_tty
from .request import label_column_named, label_read, request_of, stdin_default
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


LossOpt = Annotated[
    LossName,
    option(
        "--loss",
        panel=LABELS,
        help=help_text(
            "auto (the default): softmax → cross_entropy, one sigmoid output → "
            "binary_cross_entropy, else mse."
        ),
    ),
]
EvalFmt = Annotated[
    EvalFormat | None,
    option(
        "--format",
        "-f",
        panel=OUTPUT,
        help=help_text("table (the default on a terminal) or json (the default when piped)."),
    ),
]


@app.command(
    cls=Command,
    short_help=help_text("Score a network on labelled rows: loss, accuracy, more."),
    help=help_text(
        "Score a network on labelled rows: the loss, accuracy, a confusion matrix and "
        "each class's precision, recall, F1 and support (the numbers of "
        "sklearn.metrics).\n\nRows stream, so any number fit; piped (or with --format "
        "json) it writes one JSON object.\n\nWith --engine dask, each block of X is "
        "scored on a Dask cluster: the same numbers, to the last bit.\n\n"
        "Example: nncalc evaluate "
        "samples/real/iris.csv --skip-rows 1 --columns 1-4 --label-column 5 --model "
        "samples/real/iris_mlp.npz --activation relu,softmax --classes "
        "setosa,versicolor,virginica"
    ),
)
@guarded
@takes
def evaluate(
    inputs: InputArg = None,
    *,
    read: InputFlags,
    net: NetworkFlags,
    truth: LabelFlags,
    loss: LossOpt = LossName.auto,
    threshold: Threshold = None,
    fmt: EvalFmt = None,
    output: Output = None,
    force: Force = False,
    precision: Precision = 4,
    engine: EngineFlags,
    general: GeneralFlags,
) -> None:
    """The ``evaluate`` command (its help is the ``help=`` text above)."""
    del general  # --max-memory acts as it is parsed
    labels, label_column, classes = truth.labels, truth.label_column, truth.classes
    if labels is None and label_column is None:
        raise UsageError(_("evaluate needs the true labels: --labels FILE or --label-column COL"))
    if labels is not None and label_column is not None:
        raise UsageError(_("--labels and --label-column both give the true labels: give one"))
    cluster = Cluster(engine.scheduler, engine.workers, engine.blocksize, engine.storage_options)
    if engine.engine is EngineName.local:
        refuse_cluster_options(*cluster)
    read = label_read(read, truth)
    names = stdin_default([inputs] if inputs else None, net.params)
    if labels == "-" and names == ["-"]:
        raise UsageError(_("X and --labels cannot both be stdin"))
    req = request_of(net, read, names[0] if names else None)
    job = Job(
        req=req,
        dtype=net.dtype.value if net.dtype else None,
        verbose=read.verbose,
        force=force,
        classes=class_names(classes),
        reads=(*class_file(classes), *(() if labels is None else (labels,))),
    )
    mode = fmt.value if fmt else ("table" if stdout_is_tty() and output is None else "json")
    with label_column_named(truth):  # X's reader takes the label column as its id column
        done = run_evaluate(
            job,
            Truth(labels, label_column),
            loss.value,
            threshold,
            hooks(),
            cluster if engine.engine is EngineName.dask else None,
        )
    doc = as_json(done)
    if mode == "table":
        from nncalc import render

        print_items(render.evaluation_tables(doc, precision), output, force, job.protect())
        return
    import orjson

    from nncalc.sink import Sink

    with Sink(output, protect=job.protect(), force=force) as sink:
        sink.write(orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE))
