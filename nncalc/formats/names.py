"""Small text files of names, one a line (``--classes``, label files), read within the
memory budget: refused by their size before they are read, located ``FILE:LINE`` when a
line is not text."""

from __future__ import annotations

import os
import stat

from nncalc import limits
from nncalc.errors import InputError, cannot_open
from nncalc.i18n import N_, _

# A name held as a Python str costs ~57 bytes beside its text (object header, list slot):
# a file of 2-byte lines ("a\n") takes ~30× its size; 20M names of 13 bytes took 1.4 GB.
NAMES_FACTOR = 32


def max_names_bytes() -> int:
    """The largest names file (bytes) read."""
    return max(1 << 16, limits.budget() // NAMES_FACTOR)


def read_names(path: str, what: str = N_("class names")) -> list[str]:
    """The non-blank lines of ``path``, stripped: refused before reading when the file
    (or, for a FIFO or pipe, what arrives) is larger than the budget allows; a FIFO is
    read, not waited on for ever by a size check."""
    room = max_names_bytes()
    what = _(what)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise InputError(_("is a directory"), source=path,
                                 expected=_("a file of {what}").format(what=what))  # fmt: skip
            if stat.S_ISREG(st.st_mode) and st.st_size > room:
                raise _too_big(path, st.st_size, what)
            data = f.read(room + 1)
    except OSError as e:
        raise cannot_open(e, path, _("file of {what}").format(what=what)) from None
    if len(data) > room:
        raise _too_big(path, None, what)
    names = []
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(_("not UTF-8 text"), source=path, line=lineno, col=e.start + 1,
                             expected=_("{what}, one a line, as UTF-8 text").format(what=what)
                             ) from None  # fmt: skip
        if lineno == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            names.append(text.strip())
    return names


def _too_big(path: str, size: int | None, what: str) -> limits.MemoryLimitError:
    most = limits.human(max_names_bytes())
    whole = (
        _("a file of {what}").format(what=what)
        if size is not None
        else _("a file of {what} of more than {most}").format(what=what, most=most)
    )
    return limits.refuse(
        whole, size, path,
        why=_("names take ~{factor}× their text, so the largest that fits is {most}").format(
            factor=NAMES_FACTOR, most=most),
    )  # fmt: skip
