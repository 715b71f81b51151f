"""Every option, declared once, in groups: a command that takes X gets the whole Input
group, one that takes a network the whole Network group, every command the General one.

A group is a keyword-only frozen dataclass whose fields carry their ``typer.Option``;
:func:`takes` splices a group's fields into a command's signature (Typer reads that) and
hands the command one record per group, so values arrive typed and named, never picked
out of ``locals()``.  Options that only one or two commands take are single aliases
below the groups.  What the values mean is :mod:`.request`'s business.

The groups have no generated ``__eq__``/``__repr__``: nothing compares or prints them,
and each generated method is compiled at import, on every command's start.
"""

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer

from nncalc import generate
from nncalc.i18n import N_, _, help_text

# help panels; N_: translated where the help is drawn
INPUT, NETWORK, LABELS, OUTPUT, ENGINE, GENERAL = (
    N_("Input"),
    N_("Network"),
    N_("Labels"),
    N_("Output"),
    N_("Engine"),
    N_("General"),
)


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


class LayoutName(str, Enum):
    in_out = "in-out"
    out_in = "out-in"


class EngineName(str, Enum):
    local = "local"
    dask = "dask"


InitName = Enum("InitName", {name: name for name in generate.RECIPES}, type=str)  # type: ignore[misc]


def _complete_activation(incomplete: str) -> list[str]:
    """Tab completion for a comma list: complete the name after the last comma."""
    from nncalc.core.activations import ACTIVATIONS

    head, _sep, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + name for name in ACTIVATIONS if name.startswith(last)]


def option(*decls: str, panel: str, help: str, metavar: str | None = None, **kw: Any) -> Any:
    """A ``typer.Option`` in a help panel; defaults are written in the help text."""
    kw.setdefault("show_default", False)
    return typer.Option(*decls, help=help, rich_help_panel=panel, metavar=metavar, **kw)


# -- the groups -------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class InputFlags:
    """How X is read: every command that takes X."""

    input_format: Annotated[
        InFormat | None,
        option(
            "--input-format",
            panel=INPUT,
            metavar="FMT",
            help=help_text(
                "Read X as csv, tsv, json, ndjson, npz, npy or parquet (default: detected)."
            ),
        ),
    ] = None
    delimiter: Annotated[
        str | None,
        option(
            "--delimiter",
            "-d",
            panel=INPUT,
            metavar="D",
            help=help_text("X's delimiter: ',', ';', tab or space (default: detected)."),
        ),
    ] = None
    header: Annotated[
        bool | None,
        option(
            "--header/--no-header",
            panel=INPUT,
            help=help_text("X's first row is (or is not) a header (default: detected)."),
        ),
    ] = None
    decimal: Annotated[
        str,
        option(
            "--decimal", panel=INPUT, metavar="MARK", help=help_text("X's decimal mark: . or ,")
        ),
    ] = "."
    columns: Annotated[
        str | None,
        option(
            "--columns",
            panel=INPUT,
            metavar="COLS",
            help=help_text(
                "Columns to read, like cut -f: 1-4, or names (sepal_length,petal_width)."
            ),
        ),
    ] = None
    drop_columns: Annotated[
        str | None,
        option(
            "--drop-columns",
            panel=INPUT,
            metavar="COLS",
            help=help_text("Columns to leave out, by position or name."),
        ),
    ] = None
    skip_rows: Annotated[
        int,
        option(
            "--skip-rows",
            panel=INPUT,
            min=0,
            metavar="N",
            help=help_text("Skip N lines first (scikit-learn's CSVs: 1)."),
        ),
    ] = 0
    id_column: Annotated[
        str | None,
        option(
            "--id-column",
            panel=INPUT,
            metavar="COL",
            help=help_text(
                "A column of row names kept out of X; forward writes it before each output row."
            ),
        ),
    ] = None
    allow_nonfinite: Annotated[
        bool,
        option(
            "--allow-nonfinite",
            panel=INPUT,
            help=help_text("Accept nan/inf cells and results (refused by default)."),
        ),
    ] = False
    verbose: Annotated[
        bool,
        option(
            "--verbose",
            "-v",
            panel=INPUT,
            help=help_text("Say on stderr what was detected: format, delimiter, header."),
        ),
    ] = False


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class NetworkFlags:
    """Where the layers come from: every command that takes a network."""

    weights: Annotated[
        list[str] | None,
        option(
            "--weights",
            "-w",
            panel=NETWORK,
            metavar="W",
            help=help_text(
                "W, n×p (inputs × neurons): a file, '-', or numbers with ';' between "
                "rows (-w 0.2,0.8,-0.5). Repeat for a network: -w W1 -b b1 -w W2 -b b2. "
                "Read options go on the name: -w 'w.csv?header=1&decimal=,'."
            ),
        ),
    ] = None
    biases: Annotated[
        list[str] | None,
        option(
            "--biases",
            "-b",
            panel=NETWORK,
            metavar="B",
            help=help_text(
                "b, one value per neuron, or one for all: a file or numbers "
                "(-b 0.5,-1). The k-th -b pairs with the k-th -w."
            ),
        ),
    ] = None
    model: Annotated[
        str | None,
        option(
            "--model",
            "-m",
            panel=NETWORK,
            metavar="FILE",
            help=help_text("A network from a file: nncalc JSON, .npz, .safetensors or .onnx."),
        ),
    ] = None
    model_format: Annotated[
        str | None,
        option(
            "--model-format",
            panel=NETWORK,
            metavar="FMT",
            help=help_text("Read --model as json, npz, safetensors or onnx, whatever its name."),
        ),
    ] = None
    layer_order: Annotated[
        str | None,
        option(
            "--layer-order",
            panel=NETWORK,
            metavar="NAMES",
            help=help_text("A state dict's layers to use, in order: fc1,fc2,out."),
        ),
    ] = None
    params: Annotated[
        str | None,
        option(
            "--params",
            panel=NETWORK,
            metavar="FILE",
            help=help_text(
                "One JSON or .npz file holding X, W and/or b (as --save-params writes)."
            ),
        ),
    ] = None
    layout: Annotated[
        LayoutName,
        option(
            "--layout",
            panel=NETWORK,
            help=help_text(
                "W as n×p (in-out, the default) or p×n (out-in: PyTorch's nn.Linear.weight)."
            ),
        ),
    ] = LayoutName.in_out
    neurons: Annotated[
        str | None,
        option(
            "--neurons",
            "-p",
            panel=NETWORK,
            metavar="P",
            help=help_text("Neurons to draw when W is not given; 4,3,2 draws a network n→4→3→2."),
        ),
    ] = None
    n_inputs: Annotated[
        int | None,
        option(
            "--inputs",
            panel=NETWORK,
            min=1,
            metavar="N",
            help=help_text("Inputs per sample (n) for a network drawn without X: --inputs 784."),
        ),
    ] = None
    seed: Annotated[
        int | None,
        option(
            "--seed",
            panel=NETWORK,
            metavar="S",
            help=help_text("Seed for drawn W and b, as np.random.seed(S) (default: fresh, shown)."),
        ),
    ] = None
    init: Annotated[
        InitName,
        option(
            "--init",
            panel=NETWORK,
            help=help_text("How W and b are drawn: {recipes} (default: randn).").format(
                recipes=", ".join(generate.RECIPES)
            ),
        ),
    ] = InitName("randn")
    activation: Annotated[
        str | None,
        option(
            "--activation",
            panel=NETWORK,
            metavar="ACT",
            autocompletion=_complete_activation,
            help=help_text(
                "relu (default), linear, sigmoid, tanh, leaky_relu (leaky_relu:0.2) or "
                "softmax: one for every layer, or one each (relu,softmax)."
            ),
        ),
    ] = None
    dtype: Annotated[
        DType | None,
        option(
            "--dtype",
            panel=NETWORK,
            help=help_text(
                "Compute in float64 (default) or float32 (default: a model file's own)."
            ),
        ),
    ] = None


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class LabelFlags:
    """The true labels: what evaluate scores against, and explain's sample loss."""

    labels: Annotated[
        str | None,
        option(
            "--labels",
            panel=LABELS,
            metavar="FILE",
            help=help_text(
                "True labels, one per line: a class index, a class name from --classes, a "
                "one-hot row, or (mse/mae) the output's true numbers."
            ),
        ),
    ] = None
    label_column: Annotated[
        str | None,
        option(
            "--label-column",
            panel=LABELS,
            metavar="COL",
            help=help_text(
                "Take the true labels from this column of X (name or position), as "
                "--id-column takes ids."
            ),
        ),
    ] = None
    classes: Annotated[
        str | None,
        option(
            "--classes",
            panel=LABELS,
            metavar="NAMES",
            help=help_text(
                "Class names, in output order: setosa,versicolor,virginica, or a file with "
                "one per line (labels may then be names)."
            ),
        ),
    ] = None


def _max_memory(ctx: typer.Context, value: str | None) -> str | None:
    """Set the budget as the option is parsed: ``nncalc --max-memory 1G forward`` and
    ``nncalc forward --max-memory 1G`` both work.  NNCALC_MAX_MEMORY is read by
    :func:`nncalc.limits.budget` only when no flag set one, so a bad value there is
    replaced by the flag and never breaks --help."""
    from nncalc import limits

    if value is not None or ctx.parent is None:
        limits.set_budget(value)
    return value


MaxMemory = Annotated[
    str | None,
    option(
        "--max-memory",
        panel=GENERAL,
        callback=_max_memory,
        metavar="SIZE",
        help=help_text(
            "Memory budget for what must be held whole, e.g. 512M or 4G (default 2G, "
            "or NNCALC_MAX_MEMORY)."
        ),
    ),
]


class Lang(str, Enum):
    en = "en"
    zh = "zh"


# the root's: `nncalc forward … --lang zh` is moved in front of the command (cli.root.main)
# and chosen before any help text is built
LangOpt = Annotated[
    Lang | None,
    option(
        "--lang",
        panel=GENERAL,
        help=help_text("Language of the screens: zh or en (else NNCALC_LANG, then LANG)."),
    ),
]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class GeneralFlags:
    """What every command takes."""

    max_memory: MaxMemory = None
    lang: LangOpt = None


def _size(value: str | None) -> int | None:
    from nncalc.engines.blocks import parse_size

    if value is None:
        return None
    try:
        size = parse_size(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    if size < 1:
        raise typer.BadParameter(_("{value} is less than one byte").format(value=repr(value)))
    return size


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class EngineFlags:
    """Where a run computes: this process, or a Dask cluster."""

    engine: Annotated[
        EngineName,
        option(
            "--engine",
            panel=ENGINE,
            help=help_text(
                "local (this process, the default) or dask (a Dask cluster: pip install "
                "'nncalc[dask]'; forward then needs --out-dir)."
            ),
        ),
    ] = EngineName.local
    scheduler: Annotated[
        str | None,
        option(
            "--scheduler",
            panel=ENGINE,
            metavar="ADDR",
            help=help_text(
                "A running Dask scheduler, tcp://HOST:PORT (default: a local cluster for this run)."
            ),
        ),
    ] = None
    workers: Annotated[
        int | None,
        option(
            "--workers",
            panel=ENGINE,
            min=1,
            metavar="N",
            help=help_text("Worker processes of the local cluster (default: the cores)."),
        ),
    ] = None
    blocksize: Annotated[
        int | None,
        option(
            "--blocksize",
            panel=ENGINE,
            parser=_size,
            metavar="SIZE",
            help=help_text("Bytes per block, as Dask writes sizes: 64MiB (default), 1MB, 500kB."),
        ),
    ] = None
    storage_options: Annotated[
        str | None,
        option(
            "--storage-options",
            panel=ENGINE,
            metavar="JSON",
            help=help_text(
                "fsspec storage options for remote inputs and outputs, sent to the workers, "
                'e.g. \'{"profile": "lab"}\' or \'{"anon": true}\'.'
            ),
        ),
    ] = None


GROUPS = (InputFlags, NetworkFlags, LabelFlags, GeneralFlags, EngineFlags)
F = TypeVar("F", bound=Callable[..., Any])


def takes(fn: F) -> F:
    """Splice the option groups a command's parameters name (``read: InputFlags``) into
    its signature, and call it with one record per group.

    A command declares only its own options; a group's options are the same, with the
    same help, on every command that takes the group.
    """
    hints = typing.get_type_hints(fn, include_extras=True)
    params: list[inspect.Parameter] = []
    groups: dict[str, type] = {}
    for name, param in inspect.signature(fn).parameters.items():
        hint = hints.get(name, param.annotation)
        if hint in GROUPS:
            groups[name] = hint
            fields = typing.get_type_hints(hint, include_extras=True)
            params += [
                inspect.Parameter(
                    f.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=f.default,
                    annotation=fields[f.name],
                )
                for f in dataclasses.fields(hint)
            ]
        else:
            params.append(param.replace(annotation=hint))

    @functools.wraps(fn)
    def command(**values: Any) -> Any:
        for name, group in groups.items():
            names = [f.name for f in dataclasses.fields(group)]
            values[name] = group(**{n: values.pop(n) for n in names})
        return fn(**values)

    positional = [p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in params
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    command.__signature__ = inspect.Signature(positional + keyword)  # type: ignore[attr-defined]
    command.__annotations__ = {}  # Typer reads the signature's, not the groups'
    return command  # type: ignore[return-value]


# -- options a few commands take ----------------------------------------------------------
InputsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="X",
        help=help_text(
            "Inputs X, m×n (samples × features): CSV, TSV, JSON, NDJSON, Parquet or .npy "
            "files, '-' for stdin, or numbers (1,2,3;4,5,6 or [[1,2,3],[4,5,6]]). Several "
            "files need --out-dir."
        ),
        show_default=False,
    ),
]
InputArg = Annotated[
    str | None,
    typer.Argument(
        metavar="X",
        help=help_text("Inputs X: a file, '-' for stdin, or numbers (1,2,3;4,5,6)."),
        show_default=False,
    ),
]
OutFmt = Annotated[
    OutFormat | None,
    option(
        "--format",
        "-f",
        panel=OUTPUT,
        help=help_text(
            "table (the default on a terminal), csv (the default when piped), tsv, json, "
            "ndjson or parquet (needs -o)."
        ),
    ),
]
ReportFmt = Annotated[
    OutFormat | None,
    option(
        "--format",
        "-f",
        panel=OUTPUT,
        help=help_text("table (the default on a terminal) or json (the default when piped)."),
    ),
]
Output = Annotated[
    str | None,
    option(
        "--output",
        "-o",
        panel=OUTPUT,
        metavar="FILE",
        help=help_text("Write to FILE (whole, or not at all) instead of stdout."),
    ),
]
Force = Annotated[
    bool,
    option("--force", panel=OUTPUT, help=help_text("Let -o replace an input or a read-only file.")),
]
Threshold = Annotated[
    float | None,
    option(
        "--threshold",
        panel=OUTPUT,
        metavar="T",
        help=help_text(
            "With --argmax, one probability output (sigmoid) is class 1 above T "
            "(default 0.5, scikit-learn's predict)."
        ),
    ),
]
Precision = Annotated[
    int,
    option(
        "--precision",
        panel=OUTPUT,
        min=1,
        max=17,
        metavar="DIGITS",
        help=help_text("Significant digits shown in tables (default 4)."),
    ),
]
