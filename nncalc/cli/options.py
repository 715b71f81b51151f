"""Options shared by several commands (declared once) and the helpers that read them."""

import sys
from enum import Enum
from typing import Annotated, Any

import typer

from nncalc import generate
from nncalc.errors import UsageError
from nncalc.formats import Format, ReadOptions
from nncalc.operands import Generated, Request
from nncalc.shapes import LAYOUTS, Layout
from nncalc.sink import Sink


class OutFormat(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"
    parquet = "parquet"


class InFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"
    npz = "npz"
    npy = "npy"
    parquet = "parquet"


class DType(str, Enum):
    float64 = "float64"
    float32 = "float32"


# -- options shared by several commands, declared once --------------------------------
Weights = Annotated[
    list[str] | None,
    typer.Option(
        "--weights",
        "-w",
        help="W, n×p (inputs × neurons): a file, '-' for stdin, or numbers, rows split by "
        "';' (-w 0.2,0.8,-0.5). Drawn if omitted. Repeat for a "
        "network: -w W1 -b b1 -w W2 -b b2. Read options go on the name: "
        "'w.csv?header=1&delimiter=;&decimal=,'.",
        show_default=False,
    ),
]
Biases = Annotated[
    list[str] | None,
    typer.Option(
        "--biases",
        "-b",
        help="b, one value per neuron (or one number for all): a file, or numbers "
        "(-b 0.5, -b 0.5,-1). Drawn if omitted. The k-th -b belongs to the k-th -w.",
        show_default=False,
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="A network from a file: nncalc JSON, .npz, .safetensors or .onnx (replaces -w/-b).",
        show_default=False,
    ),
]
ModelFormat = Annotated[
    str | None,
    typer.Option(
        "--model-format",
        help="Read --model as json, npz, safetensors or onnx whatever its extension.",
        show_default=False,
    ),
]
LayerOrder = Annotated[
    str | None,
    typer.Option(
        "--layer-order",
        help="Which layers of a state dict, in order, by name prefix: fc1,fc2,out.",
        show_default=False,
    ),
]
ActivationOpt = Annotated[
    str | None,
    typer.Option(
        "--activation",
        help="relu (default), linear, sigmoid, tanh, leaky_relu (leaky_relu:0.2), softmax: "
        "one for every layer, or one per layer (relu,softmax).",
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
    str | None,
    typer.Option(
        "--neurons",
        "-p",
        help="Neurons to generate when W is not given; 4,3,2 draws a network n→4→3→2.",
        show_default=False,
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
ShapesFmt = Annotated[
    OutFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="table (default on a terminal) or json (default when piped).",
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
        help="Read the inputs X as this format instead of detecting it.",
        show_default=False,
    ),
]
Delimiter = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        "-d",
        help="X's CSV delimiter: ',', ';', 'tab', 'space'. Detected if omitted.",
        show_default=False,
    ),
]
Header = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="X's first CSV row is a header. Detected if omitted.",
        show_default=False,
    ),
]
Decimal = Annotated[str, typer.Option("--decimal", help="Decimal mark in X: '.' or ','.")]
AllowNonfinite = Annotated[
    bool, typer.Option("--allow-nonfinite", help="Accept nan/inf cells (refused by default).")
]
Columns = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="Input columns to read, like cut -f: 1-4, names (sepal_length,petal_width) or both.",
        show_default=False,
    ),
]
DropColumns = Annotated[
    str | None,
    typer.Option(
        "--drop-columns",
        help="Input columns to leave out (positions or names).",
        show_default=False,
    ),
]
SkipRows = Annotated[
    int,
    typer.Option("--skip-rows", min=0, help="Skip this many lines first (scikit-learn's CSVs: 1)."),
]
IdColumn = Annotated[
    str | None,
    typer.Option(
        "--id-column",
        help="A label column (name or position) not read as numbers but written before A's "
        "columns in CSV/TSV output, so rows stay identifiable.",
        show_default=False,
    ),
]
DTypeOpt = Annotated[
    DType | None,
    typer.Option(
        "--dtype",
        help="Computation precision (default float64, or a model file's own, e.g. a float32 "
        "ONNX model).",
        show_default=False,
    ),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Say on stderr what was detected (format, delimiter, header)."
    ),
]


def _max_memory(ctx: typer.Context, value: str | None) -> str | None:
    """Set the budget as the option is parsed: ``nncalc --max-memory 1G forward`` and
    ``nncalc forward --max-memory 1G`` both work; the root resets it on every run."""
    from nncalc import limits

    if value is not None or ctx.parent is None:
        limits.set_budget(value)
    return value


MaxMemory = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        envvar="NNCALC_MAX_MEMORY",
        callback=_max_memory,
        help="Memory budget for what must be held whole (W, one row, JSON, tables), e.g. "
        "512M or 4G; rows beyond it stream. Default 2G.",
        show_default=False,
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


def read_options(
    input_format: InFormat | None,
    delimiter: str | None,
    header: bool | None,
    decimal: str,
    allow_nonfinite: bool,
    columns: str | None = None,
    drop_columns: str | None = None,
    skip_rows: int = 0,
    id_column: str | None = None,
) -> ReadOptions:
    """How to read X; W and b files are detected on their own (or forced per file with a
    suffix: ``-w 'weights.csv?header=1&delimiter=;'``)."""
    if decimal not in (".", ","):
        raise UsageError(f"--decimal must be '.' or ',', got {decimal!r}")
    if delimiter is not None:
        delimiter = DELIMITERS.get(delimiter.lower(), delimiter)
        if delimiter == " ":
            delimiter = ""
        elif len(delimiter) != 1:
            raise UsageError(f"--delimiter must be one character or tab/space, got {delimiter!r}")
    fmt = Format(input_format.value) if input_format else None
    return ReadOptions(
        fmt, delimiter, header, decimal, allow_nonfinite,
        columns=columns, drop_columns=drop_columns, skip_rows=skip_rows, id_column=id_column,
    )  # fmt: skip


def make_request(
    *,
    weights: list[str] | None = None,
    biases: list[str] | None = None,
    params: str | None = None,
    layout: str = "in-out",
    neurons: str | None = None,
    seed: int | None = None,
    init: str = "randn",
    input_format: InFormat | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    decimal: str = ".",
    allow_nonfinite: bool = False,
    model: str | None = None,
    model_format: str | None = None,
    layer_order: str | None = None,
    activation: str | None = None,
    columns: str | None = None,
    drop_columns: str | None = None,
    skip_rows: int = 0,
    id_column: str | None = None,
) -> Request:
    """The operands every computing command takes, checked (inputs are set later)."""
    from nncalc.models import LoadOptions

    check_seed(seed)
    if weights and biases:
        given = [o for o, v in (("--neurons", neurons), ("--seed", seed)) if v is not None]
        if given:
            raise UsageError(
                f"{' and '.join(given)} draw missing parameters, but -w and -b are both "
                f"given: drop {' and '.join(given)}"
            )
    read = read_options(input_format, delimiter, header, decimal, allow_nonfinite, columns,
                        drop_columns, skip_rows, id_column)  # fmt: skip
    acts = split_list(activation)
    for name in acts:
        check_activation(name)
    order = split_list(layer_order)
    return Request(
        None, tuple(weights or ()), tuple(biases or ()), params, neurons_of(neurons), seed, init,
        layout_of(layout), read, model,
        LoadOptions(model_format, None, order or None, None), acts,
    )  # fmt: skip


def request_of(options: dict[str, Any]) -> Request:
    """The Request a command's options describe, picked by name from its parameters
    (``request_of(locals())`` first thing in a command): one builder, whichever subset of
    the operand options a command declares."""
    code = make_request.__code__
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    return make_request(**{k: v for k, v in options.items() if k in names})


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


def check_activation(name: str) -> None:
    from nncalc.core import activation

    try:
        activation(name)
    except ValueError as e:
        raise UsageError(str(e)) from None


def neurons_of(value: str | None) -> tuple[int, ...]:
    """``4`` or ``4,3,2``: one size per layer, each a positive whole number."""
    if value is None:
        return ()
    try:
        sizes = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise UsageError(
            f"--neurons takes whole numbers, one per layer (4 or 4,3,2), got {value!r}"
        ) from None
    bad = [p for p in sizes if p <= 0]
    if bad:
        raise UsageError(f"--neurons must be positive, got {bad[0]}")
    return sizes


def drawn_notice(gen: Generated | None, asked: bool) -> str | None:
    """How W/b were drawn, when asked (--verbose, --show-recipe), when the seed was
    fresh (else the run could never be replayed), and always when -w came without -b: a
    b the user did not give must never be silent."""
    if gen is None:
        return None
    only_b = gen.made_b and not gen.made_w
    if not (asked or gen.fresh or only_b):
        return None
    return ("no -b given: b drawn, " if only_b else "") + gen.caption()


def layout_of(value: str) -> Layout:
    if value not in LAYOUTS:
        raise UsageError(f"--layout must be one of {', '.join(LAYOUTS)}, got {value!r}")
    return value  # type: ignore[return-value]


def check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed <= generate.MAX_SEED:
        raise UsageError(f"--seed must be from 0 to {generate.MAX_SEED}, got {seed}")


def stdin_default(inputs: list[str] | None, params: str | None) -> list[str]:
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


def stdout_is_tty() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


def stderr_is_tty() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def stages_of(show: str) -> list[str]:
    from nncalc.render import STAGES

    picked = [s.strip().lower() for s in show.split(",") if s.strip()]
    if picked in (["all"], []):
        return list(STAGES)
    unknown = [s for s in picked if s not in STAGES]
    if unknown:
        raise UsageError(f"--show takes {', '.join(STAGES)} or all; got {', '.join(unknown)}")
    return picked


def print_items(
    items: list[Any],
    output: str | None,
    force: bool,
    protect: tuple[str, ...] = (),
    *,
    soft_wrap: bool = False,
) -> None:
    """Draw renderables on stdout, or into a file (atomically) as plain text.

    ``soft_wrap`` keeps long lines whole (equations) instead of wrapping at the width.
    """
    from nncalc import render

    if output in (None, "-"):
        console = render.make_console()
        for item in items:
            console.print(item, soft_wrap=soft_wrap)
        return
    import io

    buf = io.StringIO()
    console = render.make_console(buf, width=120)
    for item in items:
        console.print(item, soft_wrap=soft_wrap)
    with Sink(output, protect=protect, force=force) as sink:
        sink.write(buf.getvalue().encode())


# -- engines (--engine dask: issue 11) -----------------------------------------------------
class EngineName(str, Enum):
    local = "local"
    dask = "dask"


def _size(value: str | None) -> int | None:
    from nncalc.engines.blocks import parse_size

    if value is None:
        return None
    try:
        size = parse_size(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    if size < 1:
        raise typer.BadParameter(f"{value!r} is less than one byte")
    return size


EngineOpt = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="local: this process. dask: a Dask cluster (pip install 'nncalc\\[dask]'); "
        "needs --out-dir, writes OUT/<stem>/part-NNNNN files.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="--engine dask: an existing cluster, tcp://HOST:PORT (left running). "
        "Default: a local cluster for this run.",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="--engine dask without --scheduler: worker processes (default: the cores).",
        show_default=False,
    ),
]
BlocksizeOpt = Annotated[
    int | None,
    typer.Option(
        "--blocksize",
        parser=_size,
        metavar="SIZE",
        help="--engine dask: bytes per block, as Dask writes sizes: 64MiB (default), 1MB, 500kB.",
        show_default=False,
    ),
]
