"""Options shared by several commands, declared once (their values are read in
:mod:`.request`; what commands print, in :mod:`.output`)."""

from enum import Enum
from typing import Annotated

import typer

from nncalc import generate


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
Threshold = Annotated[
    float | None,
    typer.Option(
        "--threshold",
        help="For one probability output (sigmoid): class 1 where it is above T "
        "(default 0.5, scikit-learn's predict).",
        show_default=False,
        metavar="T",
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
