"""Block arithmetic for engines that cut inputs into byte blocks: sizes as Dask writes
them, and the lines and data rows a block of CSV holds.  Plain Python: the local engine
and the CLI use it without importing Dask."""

from __future__ import annotations

import re

from nncalc.i18n import _

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50,
}  # fmt: skip
_UNITS.update({k[0]: v for k, v in list(_UNITS.items()) if k and "i" not in k and k != "b"})
_UNITS.update({k[:-1]: v for k, v in list(_UNITS.items()) if "i" in k})


def parse_size(text: str | int) -> int:
    """Bytes in a size written as Dask writes them (``dask.utils.parse_bytes``):
    ``64MiB``, ``1MB``, ``500kB``, ``5 GB``, ``1e6``, ``100``; units are case-blind.

    >>> parse_size("64MiB"), parse_size("1MB"), parse_size("500kB"), parse_size("2k")
    (67108864, 1000000, 500000, 2000)
    """
    if isinstance(text, int):
        return text
    s = text.replace(" ", "")
    if not any(c.isdigit() for c in s):
        s = "1" + s
    i = len(s)
    while i > 0 and s[i - 1].isalpha():
        i -= 1
    try:
        number = float(s[:i])
        unit = _UNITS[s[i:].lower()]
        return int(number * unit)  # inf or nan: OverflowError / ValueError
    except (ValueError, KeyError, OverflowError):
        raise ValueError(
            _("{text} is not a size (e.g. 64MiB, 1MB, 500kB)").format(text=repr(text))
        ) from None


_SPACE = b" \t\r\n\x0b\x0c"
_LINE_STARTS_WITH_SPACE = re.compile(rb"\n[ \t\r\n\x0b\x0c]")


def line_count(data: bytes) -> int:
    """Physical lines in a block (the last may lack its newline)."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def row_count(data: bytes) -> int:
    """Lines nncalc's CSV reader turns into rows: not blank, not a ``#`` comment (a
    header is one more such line; the caller knows where it is)."""
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    if end <= 0:
        return 0
    # a blank line starts with white space (or is empty): when no line does and there
    # is no comment, every line is a row (two C scans instead of a Python loop)
    if (
        data[0] not in _SPACE
        and data[end - 1] != 0x0A
        and data.find(b"#", 0, end) < 0
        and not _LINE_STARTS_WITH_SPACE.search(data, 0, end)
    ):
        return data.count(b"\n", 0, end) + 1
    body = data[:end]
    return sum(1 for ln in body.split(b"\n") if ln.strip() and not ln.lstrip().startswith(b"#"))
