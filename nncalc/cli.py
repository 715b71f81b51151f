"""The ``nncalc`` command line: parses options, calls the other modules, prints.

The only module importing typer.  Every command runs inside :func:`_guarded`, which
turns nncalc's own errors into one ``nncalc: error: ...`` line and an exit code.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from enum import Enum
from itertools import chain
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer

from . import __version__, generate
from .core import Layer, Pass, prepare, stream
from .errors import ExitStatus, NncalcError, ShapeError, UsageError
from .formats import Format, ReadOptions
from .operands import Loaded, Params, Request, load_all, resolve_params, stream_inputs
from .shapes import LAYOUTS, Labels, Layout, Plan, plan
from .sink import PipeClosed, Sink, output_mode, silence_stdout

app = typer.Typer(
    name="nncalc",
    help="A dense layer's forward pass, A = ReLU(X·W + b), with every step shown.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])
_state = {"debug": False, "verbose": False}


class OutFormat(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"


class InFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"
    npz = "npz"


class DType(str, Enum):
    float64 = "float64"
    float32 = "float32"


# -- options shared by several commands, declared once --------------------------------
Weights = Annotated[
    str | None,
    typer.Option(
        "--weights",
        "-w",
        help="W, n×p (inputs × neurons); '-' reads stdin. Drawn if omitted.",
        show_default=False,
    ),
]
Biases = Annotated[
    str | None,
    typer.Option(
        "--biases",
        "-b",
        help="b, one value per neuron (or one number for all). Drawn if omitted.",
        show_default=False,
    ),
]
ParamsOpt = Annotated[
    str | None,
    typer.Option(
        "--params",
        help="One JSON/NPZ file holding inputs, weights and/or biases.",
        show_default=False,
    ),
]
LayoutOpt = Annotated[
    str,
    typer.Option(
        "--layout", help="W as n×p ('in-out') or p×n ('out-in', PyTorch's nn.Linear.weight)."
    ),
]
Neurons = Annotated[
    int | None,
    typer.Option(
        "--neurons", "-p", help="Neurons to generate when W is not given.", show_default=False
    ),
]
Seed = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="Seed for generated W/b: np.random.seed(SEED). Fresh and shown if omitted.",
        show_default=False,
    ),
]
Init = Annotated[
    str,
    typer.Option("--init", help=f"How generated W and b are drawn: {', '.join(generate.RECIPES)}."),
]
OutFmt = Annotated[
    OutFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output: table (default on a terminal), csv (default when piped), tsv, json, ndjson.",
        show_default=False,
    ),
]
Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (atomically) instead of stdout.",
        show_default=False,
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Allow -o to overwrite an input file.")]
Precision = Annotated[
    int, typer.Option("--precision", min=1, max=17, help="Significant digits shown in tables.")
]
InputFormat = Annotated[
    InFormat | None,
    typer.Option(
        "--input-format",
        help="Read inputs as this format instead of detecting it.",
        show_default=False,
    ),
]
Delimiter = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        "-d",
        help="CSV delimiter: ',', ';', 'tab', 'space'. Detected if omitted.",
        show_default=False,
    ),
]
Header = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="First CSV row is a header. Detected if omitted.",
        show_default=False,
    ),
]
Decimal = Annotated[str, typer.Option("--decimal", help="Decimal mark in CSV: '.' or ','.")]
AllowNonfinite = Annotated[
    bool, typer.Option("--allow-nonfinite", help="Accept nan/inf cells (refused by default).")
]
DTypeOpt = Annotated[DType, typer.Option("--dtype", help="Computation precision.")]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Say on stderr what was detected (format, delimiter, header)."
    ),
]

DELIMITERS = {
    "tab": "\t",
    "\\t": "\t",
    "comma": ",",
    "semicolon": ";",
    "space": " ",
    "whitespace": " ",
}


def _guarded(fn: F) -> F:
    """Run a command; nncalc's errors become one stderr line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NncalcError as e:
            if _state["debug"]:
                raise
            _error(str(e))
            raise typer.Exit(int(e.exit_status)) from None
        except PipeClosed:
            silence_stdout()
            raise typer.Exit(int(ExitStatus.OK)) from None
        except KeyboardInterrupt:
            if _state["debug"]:
                raise
            _error("interrupted")
            raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None

    return wrapper  # type: ignore[return-value]


def _error(message: str) -> None:
    sys.stderr.write(f"nncalc: error: {' '.join(message.split())}\n")
    sys.stderr.flush()


def _note(message: str) -> None:
    sys.stderr.write(f"nncalc: {message}\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nncalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="NNCALC_DEBUG", help="Show tracebacks (for bug reports)."),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """A dense layer's forward pass, A = ReLU(X·W + b), with every step shown.

    Try it: nncalc demo
    """
    _state["debug"] = debug


# -- helpers --------------------------------------------------------------------------
def _read_options(
    input_format: InFormat | None,
    delimiter: str | None,
    header: bool | None,
    decimal: str,
    allow_nonfinite: bool,
) -> ReadOptions:
    if decimal not in (".", ","):
        raise UsageError(f"--decimal must be '.' or ',', got {decimal!r}")
    if delimiter is not None:
        delimiter = DELIMITERS.get(delimiter.lower(), delimiter)
        if delimiter == " ":
            delimiter = ""
        elif len(delimiter) != 1:
            raise UsageError(f"--delimiter must be one character or tab/space, got {delimiter!r}")
    fmt = Format(input_format.value) if input_format else None
    return ReadOptions(fmt, delimiter, header, decimal, allow_nonfinite)


def _layout(value: str) -> Layout:
    if value not in LAYOUTS:
        raise UsageError(f"--layout must be one of {', '.join(LAYOUTS)}, got {value!r}")
    return value  # type: ignore[return-value]


def _check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed <= generate.MAX_SEED:
        raise UsageError(f"--seed must be from 0 to {generate.MAX_SEED}, got {seed}")


def _stdin_default(inputs: list[str] | None, params: str | None) -> list[str]:
    """No inputs named: read stdin if something is piped in, else explain what to do."""
    if inputs:
        return inputs
    if params is not None:
        return []
    if sys.stdin is not None and not sys.stdin.isatty():
        return ["-"]
    raise UsageError(
        "no inputs: name a file, or pipe numbers in and use '-' "
        "(try: nncalc forward samples/batch/inputs.csv -w samples/batch/weights.csv"
        " -b samples/batch/biases.csv)"
    )


def _out_header(reader_header: list[str] | None, params: Params, p: int) -> list[str] | None:
    """A CSV header only when the input had one: W's column names, else a1..ap."""
    if not reader_header:
        return None
    if params.w_header and len(params.w_header) == p:
        return params.w_header
    return [f"a{j + 1}" for j in range(p)]


def _stdout_is_tty() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


def _stderr_is_tty() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


# -- forward --------------------------------------------------------------------------
@app.command()
@_guarded
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
        bool,
        typer.Option("--show-recipe", help="Print the numpy line that draws the generated W/b."),
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
        typer.Option(
            "--show", help="Tables to draw, comma-separated: shapes,x,w,b,z,a (or 'all')."
        ),
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
    verbose: Verbose = False,
) -> None:
    """Compute A = ReLU(X·W + b) and show every step.

    On a terminal it draws a table per stage; piped (or with --format) it writes only A,
    every value exact (shortest round-trip form).

    Example: nncalc forward samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv
    """
    _check_seed(seed)
    if activation not in ("relu", "linear"):
        raise UsageError(f"--activation must be relu or linear, got {activation!r}")
    names = _stdin_default(inputs, params)
    req = Request(
        None,
        weights,
        biases,
        params,
        neurons,
        seed,
        init,
        _layout(layout),
        _read_options(input_format, delimiter, header, decimal, allow_nonfinite),
    )
    if out_dir is not None or len(names) > 1:
        if out_dir is None:
            raise UsageError(f"{len(names)} inputs need --out-dir DIR (one output file each)")
        if output is not None:
            raise UsageError("--output and --out-dir cannot be combined")
        _batch(names, req, out_dir, fmt, force, activation, dtype.value, verbose)
        return
    req.inputs = names[0] if names else None
    mode = output_mode(fmt.value if fmt else None, _stdout_is_tty(), output)
    if mode == "table":
        _forward_tables(
            req,
            show,
            precision,
            activation,
            dtype.value,
            verbose,
            output,
            force,
            save_params,
            show_recipe,
        )
    else:
        _forward_data(
            req,
            Format(mode),
            output,
            force,
            activation,
            dtype.value,
            verbose,
            save_params,
            show_recipe,
        )


def _prepare(
    req: Request, x_shape: tuple[int, ...], params: Params, activation: str, dtype: str
) -> tuple[Layer, Plan]:
    return prepare(
        x_shape,
        params.w,
        params.b,
        activation,
        layout=req.layout,
        labels=params.labels,
        dtype=dtype,
    )


def _forward_data(
    req: Request,
    fmt: Format,
    output: str | None,
    force: bool,
    activation: str,
    dtype: str,
    verbose: bool,
    save_params: str | None,
    show_recipe: bool,
) -> None:
    """Stream X through the layer: rows are read, computed and written chunk by chunk."""
    with ExitStack() as stack:
        reader, blocks, first, from_file = stream_inputs(req, stack)
        single = first.ndim < 2
        x_shape = first.shape if single else (len(first), first.shape[1])
        params = resolve_params(req, x_shape, reader.source, from_file, stack)
        try:
            layer, _ = _prepare(req, x_shape, params, activation, dtype)
        except ShapeError:
            if single:
                raise
            # Only the first rows are in hand; count the rest so the message (and its
            # hint about a transposed X) speaks of the real number of samples.
            m = len(first) + sum(len(b) for b in blocks)
            layer, _ = _prepare(req, (m, first.shape[1]), params, activation, dtype)
            raise  # pragma: no cover - the line above raises for a real mismatch
        _report(verbose, [reader.detected(), *params.details], params, show_recipe)
        if save_params:
            _save_params(save_params, layer, params, force, _inputs_of(req))
        from .formats.write import Writer

        writer = Writer(fmt, header=_out_header(reader.header, params, layer.p), one_row=single)
        rows = chain([np.atleast_2d(first)], blocks)
        with Sink(output, protect=_inputs_of(req), force=force) as sink:
            for data in writer.encode(stream(rows, layer)):
                sink.write(data)


def _inputs_of(req: Request) -> tuple[str, ...]:
    return tuple(n for n in (req.inputs, req.weights, req.biases, req.params) if n)


def _report(verbose: bool, details: list[str], params: Params, show_recipe: bool) -> None:
    """Detections with --verbose; how W/b were drawn when asked or when the seed was
    fresh (else the run could never be replayed)."""
    if verbose:
        for d in details:
            _note(d)
    gen = params.generated
    if gen and (show_recipe or verbose or gen.fresh):
        _note(gen.caption())


def _save_params(
    path: str, layer: Layer, params: Params, force: bool, protect: tuple[str, ...]
) -> None:
    import io

    import orjson

    meta = {}
    if params.generated:
        meta = {"init": params.generated.recipe, "seed": params.generated.seed}
    if path.lower().endswith(".npz"):
        buf = io.BytesIO()
        np.savez(buf, weights=layer.w, biases=layer.b)
        data = buf.getvalue()
    else:
        data = orjson.dumps(
            {"weights": layer.w, "biases": layer.b, **meta},
            option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE,
        )
    with Sink(path, protect=protect, force=force) as sink:
        sink.write(data)


def _forward_tables(
    req: Request,
    show: str,
    precision: int,
    activation: str,
    dtype: str,
    verbose: bool,
    output: str | None,
    force: bool,
    save_params: str | None,
    show_recipe: bool,
) -> None:
    stages = _stages(show)
    with ExitStack() as stack:
        loaded = load_all(req, stack)
        x = loaded.x.values
        layer, pl = _prepare(req, x.shape, loaded.params, activation, dtype)
        res = layer.apply(
            np.ascontiguousarray(x.reshape(-1, layer.n), dtype=layer.w.dtype), keep_z=True
        )
    _report(verbose, loaded.params.details, loaded.params, show_recipe)
    if save_params:
        _save_params(save_params, layer, loaded.params, force, _inputs_of(req))
    items = _stage_tables(loaded, layer, pl, res, stages, precision)
    _print(items, output, force, _inputs_of(req))


def _stages(show: str) -> list[str]:
    from .render import STAGES

    picked = [s.strip().lower() for s in show.split(",") if s.strip()]
    if picked in (["all"], []):
        return list(STAGES)
    unknown = [s for s in picked if s not in STAGES]
    if unknown:
        raise UsageError(f"--show takes {', '.join(STAGES)} or all; got {', '.join(unknown)}")
    return picked


def _stage_tables(
    loaded: Loaded, layer: Layer, pl: Plan, res: Pass, stages: list[str], precision: int
) -> list[Any]:
    from . import render
    from .shapes import dims

    x = loaded.x.values
    params = loaded.params
    labels = params.labels
    m, n, p = pl.m, layer.n, layer.p
    out_shape = pl.out_shape
    gen = params.generated
    act = "ReLU" if layer.activation == "relu" else "linear"
    xl = render.Labels2D(cols=loaded.x.header) if loaded.x.header else render.Labels2D()
    z = res.z[0] if pl.single_sample else res.z
    a = res.a[0] if pl.single_sample else res.a
    items: list[Any] = []
    for stage in stages:
        if stage == "shapes":
            items.append(
                render.shape_table(pl, layer.activation, title=f"Shapes: m={m}, n={n}, p={p}")
            )
        elif stage == "x":
            items.append(
                render.matrix_table(
                    x,
                    f"X  inputs ({dims(x.shape)}) — {labels.x}",
                    labels=xl,
                    precision=precision,
                    row_word="s",
                    col_word="x",
                )
            )
        elif stage == "w":
            cap = None
            if gen and gen.made_w:
                cap = gen.caption()
            elif pl.transpose_w:
                cap = f"given as {dims(params.w.shape)}, transposed to n×p"
            items.append(
                render.matrix_table(
                    layer.w,
                    f"W  weights ({n}×{p}) — {labels.w}",
                    caption=cap,
                    precision=precision,
                    row_word="x",
                    col_word="n",
                )
            )
        elif stage == "b":
            cap = gen.caption() if gen and gen.made_b and not gen.made_w else None
            items.append(
                render.matrix_table(
                    layer.b,
                    f"b  biases ({p},) — {labels.b}",
                    caption=cap,
                    precision=precision,
                    col_word="n",
                )
            )
        elif stage == "z":
            items.append(
                render.matrix_table(
                    z,
                    f"Z = X·W + b ({dims(out_shape)})",
                    precision=precision,
                    row_word="s",
                    col_word="n",
                )
            )
        elif stage == "a":
            items.append(
                render.matrix_table(
                    a,
                    f"A = {act}(Z) ({dims(out_shape)})",
                    precision=precision,
                    dim_mask=(z <= 0) if layer.activation == "relu" else None,
                    row_word="s",
                    col_word="n",
                    caption="dimmed: zeros made by ReLU"
                    if (layer.activation == "relu" and (z <= 0).any())
                    else None,
                )
            )
    return items


def _print(
    items: list[Any], output: str | None, force: bool, protect: tuple[str, ...] = ()
) -> None:
    """Draw renderables on stdout, or into a file as plain text."""
    from . import render

    if output in (None, "-"):
        console = render.make_console()
        for item in items:
            console.print(item)
        return
    import io

    buf = io.StringIO()
    console = render.make_console(buf, width=120)
    for item in items:
        console.print(item)
    with Sink(output, protect=protect, force=force) as sink:
        sink.write(buf.getvalue().encode())


# -- batch ----------------------------------------------------------------------------
def _batch(
    names: list[str],
    req: Request,
    out_dir: str,
    fmt: OutFormat | None,
    force: bool,
    activation: str,
    dtype: str,
    verbose: bool,
) -> None:
    """Many inputs, one process: a bad file is reported and the others still run."""
    from . import render

    out_fmt = Format(fmt.value) if fmt and fmt is not OutFormat.table else Format.CSV
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    if "-" in names:
        raise UsageError("batch mode reads files, not stdin ('-')")
    rows: list[tuple[str, str, str, str]] = []
    failed = 0
    progress = render.progress(enabled=_stderr_is_tty())
    with progress:
        task = progress.add_task("forward", total=len(names))
        for name in names:
            started = time.perf_counter()
            out = target / f"{Path(name).stem}.{out_fmt.value}"
            one = Request(
                name,
                req.weights,
                req.biases,
                req.params,
                req.neurons,
                req.seed,
                req.init,
                req.layout,
                req.read,
            )
            try:
                shape = _forward_file(one, out_fmt, str(out), force, activation, dtype, verbose)
                status = "ok"
            except NncalcError as e:
                failed += 1
                shape, status = "—", str(e)
                _error(str(e))
            rows.append((name, shape, f"{time.perf_counter() - started:.3f}s", status))
            progress.advance(task)
    console = render.make_console(stderr=True)
    console.print(render.batch_table(rows))
    if failed:
        raise typer.Exit(int(ExitStatus.DATA))


def _forward_file(
    req: Request, fmt: Format, output: str, force: bool, activation: str, dtype: str, verbose: bool
) -> str:
    """One batch member through the streaming path; returns its output shape."""
    counted: list[int] = []

    def count(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for b in blocks:
            counted.append(len(b))
            yield b

    with ExitStack() as stack:
        reader, blocks, first, from_file = stream_inputs(req, stack)
        x_shape = (len(first), first.shape[-1]) if first.ndim == 2 else first.shape
        params = resolve_params(req, x_shape, reader.source, from_file, stack)
        layer, _ = _prepare(req, x_shape, params, activation, dtype)
        _report(verbose, [reader.detected(), *params.details], params, False)
        from .formats.write import Writer

        writer = Writer(
            fmt, header=_out_header(reader.header, params, layer.p), one_row=first.ndim < 2
        )
        with Sink(output, protect=_inputs_of(req), force=force) as sink:
            for data in writer.encode(stream(count(chain([np.atleast_2d(first)], blocks)), layer)):
                sink.write(data)
    return f"{sum(counted)}×{layer.p}"


# -- demo -----------------------------------------------------------------------------
@app.command()
@_guarded
def demo(precision: Precision = 4) -> None:
    """Run the course's worked batch example with every table: the "try it now" command.

    X is 3 samples × 3 features, W wires them to 2 neurons, b = [0.5, 0.5].
    """
    from . import examples
    from .formats import Matrix

    ex = examples.BATCH
    x = np.array(ex["x"])
    labels = Labels(
        "X (samples/batch/inputs.csv)",
        "W (samples/batch/weights.csv)",
        "b (samples/batch/biases.csv)",
    )
    params = Params(np.array(ex["w"]), np.array(ex["b"]), labels)
    layer, pl = prepare(x.shape, params.w, params.b, labels=labels)
    res = layer.apply(x, keep_z=True)
    loaded = Loaded(Matrix(x, labels.x, Format.CSV), params)
    _print(_stage_tables(loaded, layer, pl, res, _stages("all"), precision), None, False)


# -- random ---------------------------------------------------------------------------
@app.command()
@_guarded
def random(
    rows: Annotated[int, typer.Argument(help="Rows (or the length of a vector).")],
    cols: Annotated[
        int | None, typer.Argument(help="Columns; omit for a vector.", show_default=False)
    ] = None,
    seed: Seed = None,
    scale: Annotated[float, typer.Option("--scale", help="Multiply every value by K.")] = 1.0,
    uniform: Annotated[
        bool, typer.Option("--uniform", help="Uniform on [-1, 1) instead of standard normal.")
    ] = False,
    fmt: OutFmt = None,
    output: Output = None,
    precision: Precision = 4,
) -> None:
    """Print a seeded random matrix: np.random.seed(S); np.random.randn(ROWS, COLS).

    Builds a pipeline from nothing:
    nncalc random 5 3 --seed 1 | nncalc forward - --neurons 2 --seed 42
    """
    _check_seed(seed)
    shape = (rows,) if cols is None else (rows, cols)
    fresh = seed is None
    s = generate.fresh_seed() if seed is None else seed
    try:
        a = generate.random_matrix(shape, s, scale, uniform)
    except (ValueError, MemoryError) as e:
        raise UsageError(str(e)) from None
    line = generate.random_line(shape, s, scale, uniform)
    mode = output_mode(fmt.value if fmt else None, _stdout_is_tty(), output)
    if mode == "table":
        from . import render
        from .shapes import dims

        _print(
            [render.matrix_table(a, f"random {dims(shape)}", caption=line, precision=precision)],
            output,
            False,
        )
        return
    if fresh:
        _note(f"seed {s}: {line}")
    from .formats.write import Writer

    with Sink(output) as sink:
        sink.write(Writer(Format(mode), one_row=a.ndim == 1).dumps(a))


# -- shapes ---------------------------------------------------------------------------
@app.command()
@_guarded
def shapes(
    inputs: Annotated[
        str | None, typer.Argument(help="Inputs X (a file or '-').", show_default=False)
    ] = None,
    weights: Weights = None,
    biases: Biases = None,
    params: ParamsOpt = None,
    layout: LayoutOpt = "in-out",
    neurons: Neurons = None,
    seed: Seed = None,
    init: Init = "randn",
    fmt: Annotated[
        OutFormat | None,
        typer.Option("--format", "-f", help="table, or json for scripts.", show_default=False),
    ] = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    header: Header = None,
    decimal: Decimal = ".",
    allow_nonfinite: AllowNonfinite = False,
) -> None:
    """Show how X, W and b fit together (m, n, p) and, if they don't, why and how to fix it.

    Example: nncalc shapes samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv
    """
    _check_seed(seed)
    names = _stdin_default([inputs] if inputs else None, params)
    req = Request(
        names[0] if names else None,
        weights,
        biases,
        params,
        neurons,
        seed,
        init,
        _layout(layout),
        _read_options(input_format, delimiter, header, decimal, allow_nonfinite),
    )
    with ExitStack() as stack:
        loaded = load_all(req, stack)
    pr = loaded.params
    pl = plan(
        loaded.x.values.shape,
        pr.w.shape,
        None if pr.b is None else pr.b.shape,
        req.layout,
        pr.labels,
    )
    mode = fmt.value if fmt else ("table" if _stdout_is_tty() else "json")
    if mode == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps(_plan_json(pl), option=orjson.OPT_APPEND_NEWLINE))
        sys.stdout.flush()
    else:
        from . import render

        _print(
            [
                render.shape_table(
                    pl, title=f"Shapes — X: {pr.labels.x}, W: {pr.labels.w}, b: {pr.labels.b}"
                ),
                render.verdict(pl),
            ],
            None,
            False,
        )
    if not pl.ok:
        raise typer.Exit(int(ExitStatus.DATA))


def _plan_json(pl: Plan) -> dict[str, Any]:
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


# -- explain --------------------------------------------------------------------------
@app.command()
@_guarded
def explain(
    inputs: Annotated[
        str | None, typer.Argument(help="Inputs X (a file or '-').", show_default=False)
    ] = None,
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
            help="Which neuron, from 0. Default: all (the first 8).",
            show_default=False,
        ),
    ] = None,
    precision: Precision = 4,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    header: Header = None,
    decimal: Decimal = ".",
    allow_nonfinite: AllowNonfinite = False,
) -> None:
    """Show the arithmetic of one sample, term by term, as a teacher writes it:
    z[0,1] = (-0.9)(0.7) + (-0.5)(-0.6) + (-0.7)(0.2) + 0.5 = 0.03 → ReLU → 0.03

    Example: nncalc explain samples/batch/inputs.csv -w samples/batch/weights.csv
    -b samples/batch/biases.csv --sample 2
    """
    from . import render
    from .explain import pick_index, terms

    _check_seed(seed)
    names = _stdin_default([inputs] if inputs else None, params)
    req = Request(
        names[0] if names else None,
        weights,
        biases,
        params,
        neurons,
        seed,
        init,
        _layout(layout),
        _read_options(input_format, delimiter, header, decimal, allow_nonfinite),
    )
    with ExitStack() as stack:
        loaded = load_all(req, stack)
    x = loaded.x.values
    layer, pl = _prepare(req, x.shape, loaded.params, "relu", "float64")
    x2 = np.ascontiguousarray(x.reshape(-1, layer.n), dtype=np.float64)
    res = layer.apply(x2, keep_z=True)
    i = pick_index(sample, x2.shape[0], "sample", "--sample")
    chosen = (
        [pick_index(neuron, layer.p, "neuron", "--neuron")]
        if neuron is not None
        else list(range(min(layer.p, 8)))
    )
    title = f"sample {i} of {loaded.params.labels.x}: {layer.n} features, {layer.p} neurons"
    more = layer.p - len(chosen) if neuron is None else 0
    _print(
        [
            render.explanation(
                title, terms(x2, layer, res, i, chosen, pl.single_sample), precision, more
            )
        ],
        None,
        False,
    )


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: like ``app()``, but a usage mistake is one stderr line."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="nncalc", standalone_mode=False)
    except typer.TyperException as e:  # click's UsageError and friends
        hint = " (see nncalc --help)"
        _error(f"{e.format_message()}{hint}")
        code = getattr(e, "exit_code", int(ExitStatus.USAGE))
    except typer.Abort:
        code = int(ExitStatus.DATA)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
