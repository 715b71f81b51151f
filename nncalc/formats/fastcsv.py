"""pyarrow as an accelerator for plain numeric CSV chunks.

Imported only when a chunk is big enough to pay for pyarrow's import (~0.15 s); any
chunk it cannot parse exactly as asked returns None and goes to the line parser.
"""

from __future__ import annotations

import numpy as np

try:  # pyarrow is a declared dependency, but a broken install must not break reading
    import pyarrow as pa
    import pyarrow.csv as pacsv
except ImportError:  # pragma: no cover
    pa = None


def parse(data: bytes, delimiter: str, ncols: int) -> np.ndarray | None:
    """Rows of ``data`` as an m×ncols float64 array, or None if not plainly numeric."""
    if pa is None:  # pragma: no cover
        return None
    names = [f"c{i}" for i in range(ncols)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.float64()),
                null_values=[],
                strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    # one contiguous row per column, returned transposed (m×ncols, Fortran order): each
    # column is copied in one sweep; the layer copies to C order block by block
    out = np.empty((ncols, table.num_rows), dtype=np.float64)
    for i, col in enumerate(table.columns):
        if col.null_count:
            return None
        out[i] = col.to_numpy()
    return out.T
