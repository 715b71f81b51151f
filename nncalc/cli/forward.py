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

from nncalc import generate, limits
from nncalc.core import Network, Pass
from nncalc.errors import ExitStatus, InputError, NncalcError, ShapeError, UsageError
from nncalc.formats import Format
from nncalc.formats.spec import split_options
from nncalc.operands import Generated, Operands, Request, gather, load_shown, stream_inputs
from nncalc.shapes import Plan
from nncalc.sink import Sink, output_mode

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
    Verbose,
    Weights,
    WorkersOpt,
    drawn_notice,
    print_items,
    request_of,
    stages_of,
    stderr_is_tty,
    stdin_default,
    stdout_is_tty,
)
from .root import app, error, guarded, note


class Job(NamedTuple):
    """How to run the network, whatever the inputs: one record instead of ten arguments."""

    req: Request
    dtype: str | None = None  # None: a model file's own dtype, else float64
    verbose: bool = False
    force: bool = False
    save_params: str | None = None
    show_recipe: bool = False
    save_model: str | None = None
    upto: int | None = None
    argmax: bool = False
    classes: list[str] | None = None
    batch: tuple[str, ...] = ()  # every input of a batch, protected while any one runs

    def protect(self) -> tuple[str, ...]:
        """Files an output must never overwrite (without --force): every input."""
        return tuple(split_options(n)[0] for n in (*self.req.names, *self.batch))

    def network(self, x_shape: tuple[int, ...], ops: Operands) -> tuple[Network, tuple[Plan, ...]]:
        try:
            net, plans = ops.network(x_shape, self.dtype)
        except ShapeError as e:
            if not ops.hints:
                raise
            raise ShapeError("; ".join([str(e), *ops.hints])) from None
        if self.upto is not None and not 1 <= self.upto <= len(net):
            raise UsageError(f"--upto {self.upto}: the network has {len(net)} layer"
                             f"{'s' if len(net) != 1 else ''} (1 to {len(net)})")  # fmt: skip
        if self.classes is not None:
            p = net.layers[(self.upto or len(net)) - 1].p
            if len(self.classes) != p:
                raise UsageError(f"--classes names {len(self.classes)} classes but the output "
                                 f"has {p} values per sample")  # fmt: skip
        return net, plans


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
            "output (0-based, first on ties).",
        ),
    ] = False,
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
    req = request_of(locals())
    names_of_classes = class_names(classes)
    job = Job(
        req, dtype.value if dtype else None, verbose, force, save_params, show_recipe,
        save_model, upto, argmax or names_of_classes is not None, names_of_classes,
    )  # fmt: skip
    if engine is EngineName.dask:
        from . import distributed

        distributed.require_dask()
        if out_dir is None or output is not None or fmt is OutFormat.table:
            raise UsageError("--engine dask writes part files: name a folder with --out-dir")
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
        run_batch(job, names, Path(out_dir), Format(fmt.value) if fmt else Format.CSV)
        return
    job = job._replace(req=req._replace(inputs=names[0] if names else None))
    mode = output_mode(fmt.value if fmt else None, stdout_is_tty(), output)
    if report_file is not None:
        from .draw import check_report

        check_report(report_file, mode)
    if mode == "table":
        run_tables(job, stages_of(show), layer_list(layers), precision, output, report_file)
    else:
        run_stream(job, Format(mode), output)


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


def save_params(job: Job, net: Network, ops: Operands) -> None:
    """Write the parameters actually used, so ``--params`` replays the run exactly: W (n×p)
    and b for one layer as before, every layer (a model file) for a network."""
    gen = ops.generated
    meta = {"init": gen.recipe, "seed": str(gen.seed)} if gen else {}  # a model file's
    if job.save_params is not None:
        npz = job.save_params.lower().endswith(".npz")
        if len(net) > 1:
            from nncalc.models import write_model

            data = write_model(net, job.save_params, meta, "npz" if npz else "json")
        elif npz:
            layer = net[0]
            buf = io.BytesIO()
            np.savez(buf, weights=layer.w, biases=layer.bias)
            data = buf.getvalue()
        else:
            import orjson

            layer = net[0]
            seed = {"init": gen.recipe, "seed": gen.seed} if gen else {}  # as JSON numbers
            data = orjson.dumps(
                {"weights": layer.w, "biases": layer.bias, **seed},
                option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE,
            )
        with Sink(job.save_params, protect=job.protect(), force=job.force) as sink:
            sink.write(data)
    if job.save_model is not None:
        from nncalc.models import write_model

        data = write_model(net, job.save_model, meta)
        with Sink(job.save_model, protect=job.protect(), force=job.force) as sink:
            sink.write(data)


def out_header(
    job: Job, reader_header: list[str] | None, ops: Operands, p: int
) -> list[str] | None:
    """A CSV header only when the input had one: W's column names, else a1..ap (or
    ``class`` for --argmax)."""
    if not reader_header:
        return None
    if job.argmax:
        return ["class"]
    last = job.upto is None or job.upto == len(ops.layers)
    if last and ops.w_header and len(ops.w_header) == p:
        return ops.w_header
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


def run_stream(job: Job, fmt: Format, output: str | None, progress: bool = True) -> tuple[int, int]:
    """Stream X through the network: rows are read, computed and written chunk by chunk,
    so memory stays bounded and output starts before the input ends.  Returns (m, p)."""
    from nncalc.engines import local
    from nncalc.formats.write import LabelWriter, Writer

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
        ops = gather(job.req, x_shape, reader.source, from_file, stack)
        try:
            net, _ = job.network(x_shape, ops)
        except ShapeError:
            if single:
                raise
            # Only the first rows are in hand; count the rest so the message (and its
            # hint about a transposed X) speaks of the real number of samples.
            m = len(first) + sum(len(b) for b in blocks)
            job.network((m, first.shape[1]), ops)
            raise
        sizes = [(layer.n, layer.p) for layer in net]
        limits.require(limits.network_bytes(sizes), f"the network's parameters ({net!r})")
        report(job, [reader.detected(), *ops.details], ops.generated)
        save_params(job, net, ops)
        p = net.layers[(job.upto or len(net)) - 1].p
        header = out_header(job, reader.header, ops, p)
        rows = counted(chain([np.atleast_2d(first)], blocks))
        outputs = local.located(
            local.run(rows, net, stack, job.upto, finite=not job.req.read.allow_nonfinite),
            reader.source,
        )
        if job.argmax:
            encoded = LabelWriter(fmt, job.classes, header).encode(local.argmax(outputs))
        else:
            encoded = Writer(fmt, header=header, one_row=single, ids=reader.ids,
                             id_name=reader.id_name).encode(outputs)  # fmt: skip
        with (
            Sink(output, protect=job.protect(), force=job.force) as sink,
            np.errstate(all="ignore"),
        ):
            for data in encoded:
                sink.write(data)
    return rows_seen, p


def run_tables(
    job: Job,
    stages: list[str],
    layers: list[int] | None,
    precision: int,
    output: str | None,
    report_file: str | None = None,
) -> None:
    from nncalc import render
    from nncalc.engines import local

    with ExitStack() as stack:
        shown, from_file = load_shown(job.req, stack)
        xm = shown.x
        x = xm.values
        x_shape = (shown.m, x.shape[1]) if x.ndim == 2 else x.shape
        ops = gather(job.req, x_shape, xm.source, from_file, stack)
    net, plans = job.network(x_shape, ops)
    finite = not job.req.read.allow_nonfinite
    view = render.Elided()
    try:
        if shown.tail is None:
            trace = local.trace(net, x.reshape(-1, net.n), finite=finite)
        else:
            # a long X: its first row group and its last ones, each computed as a stream
            # computes it (so the numbers shown are the numbers written), 6 rows of each
            head, tail = x[: len(x) - shown.tail], x[len(x) - shown.tail :]
            first, last = (
                local.trace(net, head, finite=finite),
                local.trace(net, tail, finite=finite),
            )
            trace = [Pass(np.concatenate([f.z[:6], t.z[-6:]]), np.concatenate([f.a[:6], t.a[-6:]]))
                     for f, t in zip(first, last, strict=True)]  # fmt: skip
            x = np.concatenate([head[:6], tail[-6:]])
            xm = xm._replace(values=x)
            m = shown.m
            labels = [f"s{i}" for i in range(6)] + [f"s{i}" for i in range(m - 6, m)]
            view = render.Elided(labels, 5, x_shape)
    except InputError as e:
        raise e.located(xm.source) from None
    report(job, [xm.detected(), *ops.details], ops.generated)
    save_params(job, net, ops)
    gen = ops.generated
    if len(net) == 1:
        layer, pl, raw = net[0], plans[0], ops.layers[0]
        w_note = gen.caption() if gen and gen.made_w else None
        b_note = gen.caption() if gen and gen.made_b and not gen.made_w else None
        if w_note is None and pl.transpose_w:
            w_note = f"given as {'×'.join(map(str, raw.w.shape))}, transposed to n×p"
        items = render.forward_tables(
            xm, layer, pl, trace[0], raw.labels, stages, precision, w_note, b_note, view
        )
    else:
        if layers is not None and max(layers) > len(net):
            raise UsageError(f"--layers {max(layers)}: the network has {len(net)} layers")
        items = render.network_tables(
            xm, net, plans, trace, [r.labels for r in ops.layers], stages,
            layers or list(range(1, len(net) + 1)), precision,
            gen.caption() if gen else None, view,
        )  # fmt: skip
    if job.argmax:
        out = trace[(job.upto or len(net)) - 1].a
        picked = np.argmax(np.atleast_2d(out), axis=1)
        names = [job.classes[i] if job.classes else str(i) for i in picked]
        items.append(render.class_table(names, job.upto or len(net), view))
    if report_file is not None:
        from .draw import write_report

        write_report(report_file, net, x, items, job.protect(), job.force)
    print_items(items, output, job.force, job.protect())


def batch_seed(job: Job) -> Job:
    """One draw for the whole batch (said once), so every input meets the same layer."""
    req = job.req
    if req.seed is None and req.model is None and (not req.weights or not req.biases):
        seed = generate.fresh_seed()
        note(f"seed {seed} drawn for every input (--seed {seed} replays the batch)")
        job = job._replace(req=req._replace(seed=seed))
    return job


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
    job = batch_seed(job)
    rows: list[tuple[str, str, str, str]] = []
    failed = 0
    with render.progress(enabled=stderr_is_tty()) as progress:
        task = progress.add_task("forward", total=len(names))
        for target, name in targets.items():
            started = time.perf_counter()
            one = job._replace(req=job.req._replace(inputs=name))
            try:
                m, p = run_stream(
                    one._replace(batch=tuple(names)), fmt, str(target), progress=False
                )
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
