"""``nncalc forward``: the command's options, wired to the runners (nncalc/runner: stream
and tables) or to batch mode (cli/batch.py) and the Dask engine (cli/distributed.py)."""

import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from nncalc.errors import InputError, UsageError
from nncalc.formats import Format
from nncalc.operands import Generated
from nncalc.runner.job import Job
from nncalc.runner.stream import run_stream
from nncalc.runner.tables import Drawn, View, run_tables, tables_of
from nncalc.sink import output_mode

from .options import (
    ActivationOpt,
    AllowNonfinite,
    Biases,
    BlocksizeOpt,
    Columns,
    Decimal,
    Delimiter,
    DropColumns,
    DTypeOpt,
    EngineName,
    EngineOpt,
    Force,
    Header,
    IdColumn,
    Init,
    InputFormat,
    LayerOrder,
    LayoutOpt,
    MaxMemory,
    ModelFormat,
    ModelOpt,
    Neurons,
    OutFmt,
    OutFormat,
    Output,
    ParamsOpt,
    Precision,
    SchedulerOpt,
    Seed,
    SkipRows,
    Threshold,
    Verbose,
    Weights,
    WorkersOpt,
)
from .output import drawn_notice, print_items, stderr_is_tty, stdout_is_tty
from .request import request_of, stages_of, stdin_default
from .root import app, guarded, note


@app.command()
@guarded
def forward(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Inputs X, m×n (samples × features): CSV/TSV/JSON/NDJSON/Parquet files, '-' "
            "for stdin, or numbers (1,2,3;4,5,6). Several files need --out-dir.",
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
    save_params: Annotated[
        str | None,
        typer.Option(
            "--save-params",
            help="Write the W and b used (every layer) to this JSON or .npz file.",
            show_default=False,
        ),
    ] = None,
    save_model: Annotated[
        str | None,
        typer.Option(
            "--save-model",
            help="Write the network used as .json, .npz, .safetensors or .onnx.",
            show_default=False,
        ),
    ] = None,
    show_recipe: Annotated[
        bool, typer.Option("--show-recipe", help="Print the numpy line that draws W/b.")
    ] = False,
    fmt: OutFmt = None,
    output: Output = None,
    out_dir: Annotated[
        str | None,
        typer.Option(
            "--out-dir",
            help="Batch mode: one output file per input, same stem.",
            show_default=False,
        ),
    ] = None,
    force: Force = False,
    show: Annotated[
        str,
        typer.Option("--show", help="Tables to draw, comma-separated: shapes,x,w,b,z,a or all."),
    ] = "all",
    layers: Annotated[
        str | None,
        typer.Option(
            "--layers", help="Layers whose tables to draw: 2,3 (default: all).", show_default=False
        ),
    ] = None,
    upto: Annotated[
        int | None,
        typer.Option(
            "--upto",
            help="Output layer K's A instead of the last (like model[:K]).",
            show_default=False,
        ),
    ] = None,
    argmax: Annotated[
        bool,
        typer.Option(
            "--argmax",
            help="Output each sample's class: the index of its largest "
            "output (0-based, first on ties); for one probability output (sigmoid), 1 where "
            "it is above --threshold.",
        ),
    ] = False,
    threshold: Threshold = None,
    classes: Annotated[
        str | None,
        typer.Option(
            "--classes",
            help="Class names for --argmax: setosa,versicolor,virginica or a file, one per line.",
            show_default=False,
        ),
    ] = None,
    precision: Precision = 4,
    report_file: Annotated[
        str | None,
        typer.Option(
            "--report",
            help="Also write the run as one HTML file: command, shapes, picture, tables.",
            show_default=False,
        ),
    ] = None,
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
    id_column: IdColumn = None,
    verbose: Verbose = False,
    max_memory: MaxMemory = None,
    engine: EngineOpt = EngineName.local,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    blocksize: BlocksizeOpt = None,
) -> None:
    """Compute A = ReLU(X·W + b) and show every step; repeat -w/-b (or --model, or
    --neurons 4,3,2) for a network.

    On a terminal it draws a table per stage; piped (or with --format) it writes only A,
    every value exact (its shortest round-trip form). Without -w/-b, W and b are drawn
    from --seed.

    Example: nncalc forward samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv
    """
    names = stdin_default(inputs, params)
    distinct_outputs({"-o": output, "--report": report_file, "--save-params": save_params,
                      "--save-model": save_model})  # fmt: skip
    req = request_of(locals())
    names_of_classes = class_names(classes)
    job = Job(
        req, dtype.value if dtype else None, verbose, force, save_params, show_recipe,
        save_model, upto, argmax or names_of_classes is not None, names_of_classes,
        threshold=threshold,
    )  # fmt: skip
    if engine is EngineName.dask:
        from . import distributed

        distributed.require_dask()
        if out_dir is None or output is not None or fmt is OutFormat.table:
            raise UsageError("--engine dask writes part files: name a folder with --out-dir")
        if report_file is not None:
            raise UsageError("--report writes one run's page: not with --engine dask")
        distributed.run(job, names, out_dir, fmt.value if fmt else "csv", scheduler, workers,
                        blocksize)  # fmt: skip
        return
    if out_dir is not None or len(names) > 1:
        if report_file is not None:
            raise UsageError("--report writes one run's page: not with --out-dir")
        if out_dir is None:
            raise UsageError(f"{len(names)} inputs need --out-dir DIR (one output file each)")
        if output is not None:
            raise UsageError("--output and --out-dir cannot be combined")
        if fmt is OutFormat.table:
            raise UsageError("--out-dir writes data files: pick --format csv, tsv, json or ndjson")
        from .batch import run_batch

        run_batch(job, names, Path(out_dir), Format(fmt.value) if fmt else Format.CSV)
        return
    job = job._replace(req=req._replace(inputs=names[0] if names else None))
    mode = output_mode(fmt.value if fmt else None, stdout_is_tty(), output)
    if report_file is not None:
        from .draw import check_report

        check_report(report_file)
    # what the tables show, checked before any work; only when tables are drawn, since
    # --show's names live in render, which a piped run never imports
    view = None
    if mode == "table" or report_file is not None:
        view = View(stages_of(show), layer_list(layers), precision)
    if mode == "table":
        assert view is not None
        drawn = run_tables(job, view, report)
        if report_file is not None:
            write_page(report_file, job, drawn)
        print_items(drawn.items, output, job.force, job.protect())
        return
    streamed = run_stream(job, Format(mode), output, report, input_progress,
                          keep_shown=report_file is not None,
                          on_network=view.check if view is not None else None)  # fmt: skip
    if report_file is not None and view is not None and streamed.shown is not None:
        # the tables a terminal would show, of the rows kept as they streamed by
        drawn = tables_of(job, streamed.net, streamed.ops, streamed.shown, view)
        write_page(report_file, job, drawn)


def write_page(path: str, job: Job, drawn: Drawn) -> None:
    from .draw import write_report

    write_report(path, drawn.net, drawn.x, drawn.report_items(), job.protect(), job.force)


def distinct_outputs(named: dict[str, str | None]) -> None:
    """Two of a run's outputs naming one file would leave only the last one written."""
    seen: dict[str, str] = {}
    for flag, path in named.items():
        if path is None or path == "-":
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"{seen[key]} and {flag} both name {path}: give each its own file")
        seen[key] = flag


def class_names(value: str | None) -> list[str] | None:
    """--classes as a comma list, or a file of one name per line when such a file exists."""
    if value is None:
        return None
    if os.path.isfile(value):
        try:
            with open(value, encoding="utf-8") as f:
                names = [line.strip() for line in f if line.strip()]
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read class names: {e}", source=value) from None
    else:
        names = [v.strip() for v in value.split(",")]
    if not names or any(not n for n in names):
        raise UsageError(f"--classes needs names separated by commas, got {value!r}")
    return names


def layer_list(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        picked = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--layers takes layer numbers from 1, like 2,3; got {value!r}") from None
    if not picked or min(picked) < 1:
        raise UsageError(f"--layers takes layer numbers from 1, like 2,3; got {value!r}")
    return picked


def report(job: Job, details: list[str] | tuple[str, ...], generated: Generated | None) -> None:
    """Detections with --verbose; how W/b were drawn when asked, or when the seed was
    fresh (else the run could never be replayed)."""
    if job.verbose:
        for d in details:
            note(d)
    notice = drawn_notice(generated, job.show_recipe or job.verbose)
    if notice:
        note(notice)


PROGRESS_MIN_BYTES = 64 << 20


def input_progress(name: str | None, stack: ExitStack) -> Callable[[int], object] | None:
    """A byte-count progress bar for a large input file when stderr is a terminal."""
    if name in (None, "-") or not stderr_is_tty():
        return None
    try:
        size = os.stat(name).st_size
    except OSError:
        return None
    if size < PROGRESS_MIN_BYTES:
        return None
    from nncalc import render

    bar = stack.enter_context(render.progress(enabled=True, bytes_=True))
    task = bar.add_task(Path(name).name, total=size)
    return lambda k: bar.advance(task, k)
