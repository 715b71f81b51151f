"""``nncalc random``: a seeded matrix, to build pipelines and fixtures from nothing."""

from typing import Annotated

import typer

from nncalc import generate
from nncalc.errors import UsageError
from nncalc.formats import Format
from nncalc.shapes import dims
from nncalc.sink import Sink, output_mode

from .options import OutFmt, Output, Precision, Seed
from .output import print_items, stdout_is_tty
from .request import check_seed
from .root import app, guarded, note


@app.command()
@guarded
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
    """Print a seeded random matrix, exactly np.random.seed(S); np.random.randn(ROWS, COLS).

    Builds a pipeline from nothing:
    nncalc random 5 3 --seed 1 | nncalc forward - --neurons 2 --seed 42
    """
    check_seed(seed)
    shape = (rows,) if cols is None else (rows, cols)
    s = generate.fresh_seed() if seed is None else seed
    try:
        a = generate.random_matrix(shape, s, scale, uniform)
    except (ValueError, MemoryError) as e:
        raise UsageError(str(e)) from None
    line = generate.random_line(shape, s, scale, uniform)
    mode = output_mode(fmt.value if fmt else None, stdout_is_tty(), output)
    if mode == "table":
        from nncalc import render

        table = render.matrix_table(a, f"random {dims(shape)}", caption=line, precision=precision)
        print_items([table], output, False)
        return
    if seed is None:
        note(f"seed {s}: {line}")
    from nncalc.formats.write import Writer

    with Sink(output) as sink:
        sink.write(Writer(Format(mode), one_row=a.ndim == 1).dumps(a))
