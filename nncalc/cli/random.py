"""``nncalc random``: a seeded matrix, to build pipelines and fixtures from nothing."""

from typing import Annotated

import typer

from nncalc import generate
from nncalc.errors import UsageError
from nncalc.formats import Format
from nncalc.i18n import _, help_text
from nncalc.limits import MemoryLimitError
from nncalc.shapes import dims
from nncalc.sink import Sink, output_mode

from .help import Command
from .options import OUTPUT, GeneralFlags, OutFmt, Output, Precision, option, takes
from .output import print_items, stdout_is_tty
from .request import check_seed
from .root import app, guarded, note

MatrixSeed = Annotated[
    int | None,
    option(
        "--seed",
        panel=OUTPUT,
        metavar="S",
        help=help_text("Seed for the matrix, as np.random.seed(S) (default: fresh, shown)."),
    ),
]
Scale = Annotated[
    float,
    option("--scale", panel=OUTPUT, metavar="K", help=help_text("Multiply every value by K.")),
]
Uniform = Annotated[
    bool, option("--uniform", panel=OUTPUT, help=help_text("Uniform on [-1, 1) instead of normal."))
]


@app.command(
    cls=Command,
    short_help=help_text("Print a seeded random matrix: np.random.seed(S); np.random.randn(R, C)."),
    help=help_text(
        "Print a seeded random matrix, exactly np.random.seed(S); np.random.randn(ROWS, "
        "COLS).\n\n"
        "It builds a pipeline from nothing: nncalc random 5 3 --seed 1 | nncalc forward "
        "- --neurons 2 --seed 42"
    ),
)
@guarded
@takes
def random(
    rows: Annotated[
        int, typer.Argument(metavar="ROWS", help=help_text("Rows (or a vector's length)."))
    ],
    cols: Annotated[
        int | None,
        typer.Argument(
            metavar="COLS", help=help_text("Columns; omit for a vector."), show_default=False
        ),
    ] = None,
    *,
    seed: MatrixSeed = None,
    scale: Scale = 1.0,
    uniform: Uniform = False,
    fmt: OutFmt = None,
    output: Output = None,
    precision: Precision = 4,
    general: GeneralFlags,
) -> None:
    """The ``random`` command (its help is the ``help=`` text above)."""
    del general
    check_seed(seed)
    shape = (rows,) if cols is None else (rows, cols)
    s = generate.fresh_seed() if seed is None else seed
    try:
        a = generate.random_matrix(shape, s, scale, uniform)
    except ValueError as e:
        raise UsageError(str(e)) from None
    except MemoryError as e:  # too big for this machine: a budget refusal, exit 1
        raise MemoryLimitError(str(e)) from None
    line = generate.random_line(shape, s, scale, uniform)
    mode = output_mode(fmt.value if fmt else None, stdout_is_tty(), output)
    if mode == "table":
        from nncalc import render

        title = _("random {shape}").format(shape=dims(shape))
        table = render.matrix_table(a, title, caption=line, precision=precision)
        print_items([table], output, False)
        return
    if seed is None:
        note(_("seed {seed}: {line}").format(seed=s, line=line))
    from nncalc.formats.write import Writer

    with Sink(output) as sink:
        sink.write(Writer(Format(mode), one_row=a.ndim == 1).dumps(a))
