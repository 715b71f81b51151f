"""The count pass: every text block counts its lines and data rows on the cluster, so
each block learns the whole-file number of its first line (for error messages) and of
its first row (for the row groups a local run would multiply), and each input its row
count (for the shape check).  Parquet inputs skip it: their footer has the rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nncalc.core import Network
from nncalc.engines.blocks import line_count, row_count
from nncalc.errors import InputError, NncalcError
from nncalc.formats import Format

from .layout import shape_check
from .records import Block, Layout
from .storage import block_bytes


def count_block(block: Block) -> tuple[int, int]:
    """(physical lines, non-blank non-comment lines) of one block."""
    data = block_bytes(block)
    return line_count(data), row_count(data)


NetworkFor = Callable[[str, Layout, int | None], Network]


def place(
    client: Any,
    inputs: list[tuple[str, Any, str]],
    layouts: dict[int, Layout],
    blocks: dict[int, list[Block]],
    network_for: NetworkFor,
    errors: dict[int, tuple[int, str]],
    futures: list[Any],
) -> tuple[dict[int, list[Block]], dict[int, Network]]:
    """Every input's blocks placed in its file (first line, first row, rows, the input's
    rows), and its network: ``network_for(name, layout, rows)``, called in input order
    once the rows are known (None: not counted, a one-block input), as a local run
    builds it (its shape errors, its --verbose lines).  An input that is empty or does
    not fit gets its one error line in ``errors`` instead.  The count tasks are added to
    ``futures``."""
    counts = {}
    for i, bl in blocks.items():
        if layouts[i].rows is None and len(bl) > 1:  # Parquet and JSON know their rows
            counts[i] = client.map(count_block, bl, pure=False)
            futures += counts[i]
    placed: dict[int, list[Block]] = {}
    nets: dict[int, Network] = {}
    for i, bl in blocks.items():
        name, lay = inputs[i][0], layouts[i]
        if lay.rows is None and i not in counts:
            # one block: its task streams it as a local run would, nothing to place; the
            # network is checked on the columns alone (the sample count only words a
            # shape error: counted then)
            try:
                nets[i] = network_for(name, lay, None)
                placed[i] = [b._replace(whole=True) for b in bl]
                continue
            except NncalcError:
                counts[i] = client.map(count_block, bl, pure=False)
                futures += counts[i]
        rows = lay.rows or 0
        if i in counts:
            bl, rows = placed_blocks(bl, client.gather(counts[i]), lay)
            if rows == 0:
                errors[i] = (-1, empty(name, lay))
                continue
        try:
            nets[i] = network_for(name, lay, rows)
        except NncalcError as e:
            errors[i] = (-1, str(e))
            continue
        placed[i] = bl
    return placed, nets


def empty(name: str, layout: Layout) -> str:
    """The error line for a text input with no data rows."""
    what = "only a header" if layout.header else "no numbers"
    error = InputError(f"{what} (empty input)", source=name, expected="at least one row of numbers")
    return str(error)


def placed_blocks(
    blocks: list[Block], counts: list[tuple[int, int]], layout: Layout
) -> tuple[list[Block], int]:
    """Blocks with their whole-file first line and first row; the input's rows."""
    header_line = layout.header is not None and layout.fmt in (Format.CSV, Format.TSV)
    line, row, out = 1, 0, []
    for b, (lines, rows) in zip(blocks, counts, strict=True):
        if header_line and line <= layout.first_line < line + lines:
            rows -= 1
        out.append(b._replace(first_line=line, first_row=row, rows=rows))
        line += lines
        row += rows
    return [b._replace(total_rows=row) for b in out], row


def fixed(network: Network) -> NetworkFor:
    """One network for every input; an input with other columns is a shape error."""

    def network_for(name: str, layout: Layout, rows: int | None) -> Network:
        shape_check(network, name, 1 if rows is None else rows, layout.ncols)
        return network

    return network_for
