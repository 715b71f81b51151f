"""``nncalc forward``: one input (tables or streamed data) or many (batch mode)."""

import io
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from itertools import chain
from pathlib import Path
from typing import Annotated, NamedTuple

import numpy as np
import typer

from nncalc import generate
from nncalc.core import ACTIVATIONS, Layer, Pass, prepare, stream
from nncalc.errors import ExitStatus, InputError, NncalcError, ShapeError, UsageError
from nncalc.formats import Format
from nncalc.formats.spec import split_options
from nncalc.operands import Params, Request, load_all, resolve_params, stream_inputs
from nncalc.shapes import Plan
from nncalc.sink import Sink, output_mode

from .options import (
    AllowNonfinite,
    Biases,
    Columns,
    Decimal,
    Delimiter,
    DropColumns,
    DType,
    DTypeOpt,
    Force,
    Header,
    IdColumn,
    Init,
    InputFormat,
    LayoutOpt,
    Neurons,
    OutFmt,
    OutFormat,
    Output,
    ParamsOpt,
    Precision,
    Seed,
    SkipRows,
    Verbose,
    Weights,
    drawn_notice,
    make_request,
    print_items,
    stages_of,
    stderr_is_tty,
    stdin_default,
    stdout_is_tty,
)
from .root import app, error, guarded, note


class Job(NamedTuple):
    """How to run the layer, whatever the inputs: one record instead of ten arguments."""

    req: Request
    activation: str = "relu"
    dtype: str = "float64"
    verbose: bool = False
    force: bool = False
    save_params: str | None = None
    show_recipe: bool = False

    def protect(self) -> tuple[str, ...]:
        """Files an output must never overwrite (without --force): every input."""
        r = self.req
        return tuple(split_options(n)[0] for n in (r.inputs, r.weights, r.biases, r.params) if n)

    def layer(self, x_shape: tuple[int, ...], params: Params) -> tuple[Layer, Plan]:
        try:
            return prepare(
                x_shape, params.w, params.b, self.activation, layout=self.req.layout,
                labels=params.labels, dtype=self.dtype,
            )  # fmt: skip
        except ShapeError as e:
            if not params.hints:
                raise
            raise ShapeError("; ".join([str(e), *params.hints])) from None


@app.command()
@guarded
def forward(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Inputs X, m×n (samples × features): CSV/TSV/JSON/NDJSON files, or '-' for "
            "stdin. Several files need --out-dir.",
            show_default=False,
        ),
    ] = None,
    weights: Weights = None,
    biases: Biases = None,
    params: ParamsOpt = None,
    layout: LayoutOpt = "in-out",
    neurons: Neurons = None,
    seed: Seed = None,
    init: Init = "randn",
    save_params: Annotated[
        str | None,
        typer.Option(
            "--save-params",
            help="Write the W and b used to this JSON or .npz file.",
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
    precision: Precision = 4,
    activation: Annotated[
        str, typer.Option("--activation", help="relu, or linear (A = Z).")
    ] = "relu",
    dtype: DTypeOpt = DType.float64,
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
) -> None:
    """Compute A = ReLU(X·W + b) and show every step.

    On a terminal it draws a table per stage; piped (or with --format) it writes only A,
    every value exact (its shortest round-trip form). Without -w/-b, W and b are drawn
    from --seed.

    Example: nncalc forward samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv
    """
    if activation not in ACTIVATIONS:
        raise UsageError(f"--activation must be {' or '.join(ACTIVATIONS)}, got {activation!r}")
    names = stdin_default(inputs, params)
    req = make_request(
        weights, biases, params, layout, neurons, seed, init, input_format, delimiter, header,
        decimal, allow_nonfinite, columns, drop_columns, skip_rows, id_column,
    )  # fmt: skip
    job = Job(req, activation, dtype.value, verbose, force, save_params, show_recipe)
    if out_dir is not None or len(names) > 1:
        if out_dir is None:
            raise UsageError(f"{len(names)} inputs need --out-dir DIR (one output file each)")
        if output is not None:
            raise UsageError("--output and --out-dir cannot be combined")
        if fmt is OutFormat.table:
            raise UsageError("--out-dir writes data files: pick --format csv, tsv, json or ndjson")
        run_batch(job, names, Path(out_dir), Format(fmt.value) if fmt else Format.CSV)
        return
    job = job._replace(req=req._replace(inputs=names[0] if names else None))
    mode = output_mode(fmt.value if fmt else None, stdout_is_tty(), output)
    if mode == "table":
        run_tables(job, stages_of(show), precision, output)
    else:
        run_stream(job, Format(mode), output)


def report(job: Job, details: list[str], params: Params) -> None:
    """Detections with --verbose; how W/b were drawn when asked, or when the seed was
    fresh (else the run could never be replayed)."""
    if job.verbose:
        for d in details:
            note(d)
    notice = drawn_notice(params.generated, job.show_recipe or job.verbose)
    if notice:
        note(notice)


def save_params(job: Job, layer: Layer, params: Params) -> None:
    """Write the W (n×p) and b actually used, so ``--params`` replays the run exactly."""
    if job.save_params is None:
        return
    import orjson

    meta = {}
    if params.generated:
        meta = {"init": params.generated.recipe, "seed": params.generated.seed}
    if job.save_params.lower().endswith(".npz"):
        buf = io.BytesIO()
        np.savez(buf, weights=layer.w, biases=layer.b)
        data = buf.getvalue()
    else:
        data = orjson.dumps(
            {"weights": layer.w, "biases": layer.b, **meta},
            option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE,
        )
    with Sink(job.save_params, protect=job.protect(), force=job.force) as sink:
        sink.write(data)


def out_header(reader_header: list[str] | None, params: Params, p: int) -> list[str] | None:
    """A CSV header only when the input had one: W's column names, else n0..n(p-1)."""
    if not reader_header:
        return None
    if params.w_header and len(params.w_header) == p:
        return params.w_header
    return [f"n{j}" for j in range(p)]  # as the tables name A's columns


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


SMALL_LAYER = 128 * 128  # n·p below which one BLAS thread computes a chunk as fast as two


def share_cores(
    blocks: Iterator[np.ndarray], layer: Layer, stack: ExitStack
) -> Iterator[np.ndarray]:
    """Pass blocks through; from the third on (a large input, whose CSV chunks are then
    parsed in a second thread) keep BLAS to one thread for small layers: OpenBLAS
    threads spin between tiny matmuls and starve the parser (1M×32: 2.4 s with the cap,
    3.5-4.1 s without)."""
    for i, block in enumerate(blocks):
        if i == 2 and layer.n * layer.p <= SMALL_LAYER:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=1, user_api="blas"))
        yield block


def run_stream(job: Job, fmt: Format, output: str | None, progress: bool = True) -> tuple[int, int]:
    """Stream X through the layer: rows are read, computed and written chunk by chunk,
    so memory stays bounded and output starts before the input ends.  Returns (m, p)."""
    from nncalc.formats.write import Writer

    rows_seen = 0

    def counted(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        nonlocal rows_seen
        for b in blocks:
            rows_seen += len(b)
            yield b

    with ExitStack() as stack:
        on_read = input_progress(job.req.inputs, stack) if progress else None
        reader, blocks, first, from_file = stream_inputs(job.req, stack, on_read)
        single = first.ndim < 2
        x_shape = first.shape if single else (len(first), first.shape[1])
        params = resolve_params(job.req, x_shape, reader.source, from_file, stack)
        try:
            layer, _ = job.layer(x_shape, params)
        except ShapeError:
            if single:
                raise
            # Only the first rows are in hand; count the rest so the message (and its
            # hint about a transposed X) speaks of the real number of samples.
            m = len(first) + sum(len(b) for b in blocks)
            job.layer((m, first.shape[1]), params)
            raise
        report(job, [reader.detected(), *params.details], params)
        save_params(job, layer, params)
        writer = Writer(fmt, header=out_header(reader.header, params, layer.p), one_row=single,
                        ids=reader.ids, id_name=reader.id_name)  # fmt: skip
        rows = share_cores(counted(chain([np.atleast_2d(first)], blocks)), layer, stack)
        with Sink(output, protect=job.protect(), force=job.force) as sink:
            for data in writer.encode(stream(rows, layer)):
                sink.write(data)
    return rows_seen, layer.p


def run_tables(job: Job, stages: list[str], precision: int, output: str | None) -> None:
    from nncalc import render

    with ExitStack() as stack:
        loaded = load_all(job.req, stack)
    x = loaded.x.values
    params = loaded.params
    layer, pl = job.layer(x.shape, params)
    res: Pass = layer.apply(x.reshape(-1, layer.n), keep_z=True)
    report(job, params.details, params)
    save_params(job, layer, params)
    gen = params.generated
    w_note = gen.caption() if gen and gen.made_w else None
    b_note = gen.caption() if gen and gen.made_b and not gen.made_w else None
    if w_note is None and pl.transpose_w:
        w_note = f"given as {'×'.join(map(str, params.w.shape))}, transposed to n×p"
    items = render.forward_tables(
        loaded.x, layer, pl, res, params.labels, stages, precision, w_note, b_note
    )
    print_items(items, output, job.force, job.protect())


def run_batch(job: Job, names: list[str], out_dir: Path, fmt: Format) -> None:
    """Many inputs, one process: a bad file is reported and the others still run."""
    from nncalc import render

    if "-" in names:
        raise UsageError("batch mode reads files, not stdin ('-')")
    targets: dict[Path, str] = {}
    for name in names:
        target = out_dir / f"{Path(name).stem}.{fmt.value}"
        if target in targets:
            raise UsageError(f"{targets[target]} and {name} would both write {target}")
        targets[target] = name
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the output folder: {e.strerror}", source=str(out_dir),
                         expected="a folder nncalc may write in") from None  # fmt: skip
    req = job.req
    if req.seed is None and (req.weights is None or req.biases is None):
        # one draw for the whole batch: every input meets the same layer
        seed = generate.fresh_seed()
        note(f"seed {seed} drawn for every input (--seed {seed} replays the batch)")
        job = job._replace(req=req._replace(seed=seed))
    rows: list[tuple[str, str, str, str]] = []
    failed = 0
    with render.progress(enabled=stderr_is_tty()) as progress:
        task = progress.add_task("forward", total=len(names))
        for target, name in targets.items():
            started = time.perf_counter()
            one = job._replace(req=job.req._replace(inputs=name))
            try:
                m, p = run_stream(one, fmt, str(target), progress=False)
                shape, status = f"{m}×{p}", "ok"
            except NncalcError as e:
                failed += 1
                shape, status = "—", str(e)
                error(str(e))
            rows.append((name, shape, f"{time.perf_counter() - started:.3f}s", status))
            progress.advance(task)
    render.make_console(stderr=True).print(render.batch_table(rows))
    if failed:
        raise typer.Exit(int(ExitStatus.DATA))
