"""The count pass: every text block counts its lines and data rows on the cluster, so
each block learns the whole-file number of its first line (for error messages) and of
its first row (for the row groups a local run would multiply), and each input its row
count (for the shape check).  Parquet inputs skip it: their footer has the rows."""

from __future__ import annotations

from typing import Any

from nncalc.core import Network
from nncalc.engines.blocks import line_count, row_count
from nncalc.errors import InputError, ShapeError

from .layout import shape_check
from .records import Block, Layout
from .storage import block_bytes


def count_block(block: Block) -> tuple[int, int]:
    """(physical lines, non-blank non-comment lines) of one block."""
    data = block_bytes(block)
    return line_count(data), row_count(data)


def place(
    client: Any,
    inputs: list[tuple[str, Any, str]],
    layouts: dict[int, Layout],
    blocks: dict[int, list[Block]],
    network: Network,
    errors: dict[int, tuple[int, str]],
    futures: list[Any],
) -> dict[int, list[Block]]:
    """Every input's blocks, placed in its file (first line, first row, rows, the
    input's rows); an input that is empty or has the wrong column count gets its one
    error line in ``errors`` instead.  The count tasks are added to ``futures``."""
    counts = {}
    placed: dict[int, list[Block]] = {}
    for i, bl in blocks.items():
        if layouts[i].rows is not None:  # Parquet: rows known
            try:
                shape_check(network, inputs[i][0], layouts[i].rows or 0, layouts[i].ncols)
                placed[i] = bl
            except ShapeError as e:
                errors[i] = (-1, str(e))
            continue
        counts[i] = client.map(count_block, bl, pure=False)
        futures += counts[i]
    for i, bl in blocks.items():
        if i not in counts:
            continue
        got = client.gather(counts[i])
        lay = layouts[i]
        line, row, out_blocks = 1, 0, []
        for b, (lines, rows) in zip(bl, got, strict=True):
            if lay.header and line <= lay.first_line < line + lines:
                rows -= 1
            out_blocks.append(b._replace(first_line=line, first_row=row, rows=rows))
            line += lines
            row += rows
        if row == 0:
            what = "only a header" if lay.header else "no numbers"
            errors[i] = (-1, str(InputError(f"{what} (empty input)", source=inputs[i][0],
                                            expected="at least one row of numbers")))  # fmt: skip
            continue
        try:
            shape_check(network, inputs[i][0], row, lay.ncols)
        except ShapeError as e:
            errors[i] = (-1, str(e))
            continue
        placed[i] = [b._replace(total_rows=row) for b in out_blocks]
    return placed
