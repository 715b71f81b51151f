"""Where X and the parameter files come from: a path, stdin, or a parameters file.

Reading only: what the numbers mean as layers is :mod:`.layers`'s business.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import BinaryIO, NamedTuple, cast

import numpy as np

from nncalc.errors import UsageError, cannot_open
from nncalc.formats import Format, Matrix, ReadOptions, RowReader, format_from_name, open_rows
from nncalc.formats.jsonio import WholeReader, read_params
from nncalc.formats.spec import literal, literal_matrix, read_param
from nncalc.i18n import _

from .request import Request


def display_name(name: str) -> str:
    return "stdin" if name == "-" else name


def open_source(name: str, stack: ExitStack) -> BinaryIO:
    """A binary stream for a path or ``-``; a terminal on stdin is refused, not waited on."""
    if name == "-":
        if sys.stdin is None:  # started with stdin closed (<&-)
            raise UsageError(_("stdin is closed: pipe numbers in or name a file"))
        if sys.stdin.isatty():
            raise UsageError(
                _(
                    "stdin is a terminal: pipe numbers in (cat x.csv | nncalc forward - ...) "
                    "or name a file"
                )
            )
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(name, "rb"))
    except OSError as e:
        raise cannot_open(e, name) from None


def _check_stdin_once(req: Request) -> None:
    dashes = [n for n in req.names if n == "-"]
    if len(dashes) > 1:
        raise UsageError(_("only one operand can come from stdin ('-')"))


def read_named(name: str, options: ReadOptions, stack: ExitStack, role: str) -> Matrix:
    """W or b from its own file (detected, or forced by a ``?header=1`` suffix: X's read
    options never apply), a literal ``-b 0.5``; a parameters file gives its entry for role."""
    return read_param(name, role, options, lambda path: open_source(path, stack))


def params_is_model(req: Request) -> bool:
    """A --params file that holds a whole network (``{"layers": …}`` or an npz of W1, b1,
    …, as --save-params writes for one): read as a model file, not as W and b."""
    if req.params is None or req.params == "-":
        return False
    if req.params.lower().endswith(".npz"):
        import zipfile

        try:
            with zipfile.ZipFile(req.params) as z:
                return "W1.npy" in z.namelist()
        except (OSError, zipfile.BadZipFile):
            return False  # the params reader says what is wrong with it
    if not req.params.lower().endswith(".json"):
        return False
    try:
        with open(req.params, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{" and b'"layers"' in head


def load_params_file(req: Request, stack: ExitStack) -> dict[str, np.ndarray]:
    if req.params is None or params_is_model(req):
        return {}
    return read_params(open_source(req.params, stack), display_name(req.params), req.read)


def input_reader(
    req: Request, stack: ExitStack, on_read: Callable[[int], object] | None = None
) -> RowReader:
    name = req.inputs
    if name is None:
        raise UsageError(_("no inputs: name a file, or '-' to read stdin"))
    if name != "-" and not os.path.exists(name):
        value = literal(name)
        if value is not None:  # `nncalc forward 1,2,3 -w 0.2,0.8,-0.5 -b 2`: one sample
            return WholeReader(literal_matrix(name, np.atleast_2d(value)))
    fp = open_source(name, stack)
    counted = fp if on_read is None else cast(BinaryIO, Counted(fp, on_read))
    return open_rows(counted, display_name(name),
                     req.read)  # fmt: skip


class Loaded(NamedTuple):
    """X as read whole, and the entries of a parameters file (for :func:`gather`)."""

    x: Matrix
    from_file: dict[str, np.ndarray]


def load_all(req: Request, stack: ExitStack) -> Loaded:
    """Read X whole (tables, shapes and explain); W and b come from :func:`gather`."""
    reader, from_file = _inputs(req, stack)
    return Loaded(reader.read_all(), from_file)


def load_optional(req: Request, stack: ExitStack) -> tuple[Matrix | None, dict[str, np.ndarray]]:
    """X read whole when the request names it (or its parameters file holds it), else
    None (``draw``, ``inspect``, ``shapes`` of a network alone), and the parameters
    file's entries."""
    if req.inputs is None:
        from_file = load_params_file(req, stack)
        if "x" not in from_file:
            return None, from_file
        name = display_name(req.params or "params")
        return Matrix(from_file["x"], name, _params_format(req)), from_file
    loaded = load_all(req, stack)
    return loaded.x, loaded.from_file


class Shown(NamedTuple):
    """X as a table shows it: whole when small, else its first and last row groups."""

    x: Matrix
    m: int  # rows in X
    tail: int | None = None  # None: x holds every row; else x's last ``tail`` rows end X

    @property
    def shape(self) -> tuple[int, ...]:
        """X's whole shape (m×n), whatever part of it is held; one sample's (n,)."""
        x = self.x.values
        return (self.m, x.shape[1]) if x.ndim == 2 else x.shape


def load_shown(req: Request, stack: ExitStack) -> tuple[Shown, dict[str, np.ndarray]]:
    """X for tables in bounded memory (the rows shown, and a count), and the parameters
    file's entries."""
    reader, from_file = _inputs(req, stack)
    matrix, m, tail = reader.read_shown()
    return Shown(matrix, m, tail), from_file


def _inputs(
    req: Request, stack: ExitStack, on_read: Callable[[int], object] | None = None
) -> tuple[RowReader, dict[str, np.ndarray]]:
    """X's reader (a file, stdin, or the inputs of a parameters file) and that file's
    entries, read once for both X and W/b."""
    _check_stdin_once(req)
    from_file = load_params_file(req, stack)
    if req.inputs is None and "x" in from_file:
        name = display_name(req.params or "params")
        return WholeReader(Matrix(from_file["x"], name, _params_format(req))), from_file
    return input_reader(req, stack, on_read), from_file


def _params_format(req: Request) -> Format:
    return format_from_name(req.params or "") or Format.JSON


class Counted:
    """A binary stream that reports every read's size, to drive a progress bar."""

    def __init__(self, fp: BinaryIO, report: Callable[[int], object]) -> None:
        self.fp, self.report = fp, report

    def read(self, n: int = -1) -> bytes:
        data = self.fp.read(n)
        self.report(len(data))
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self.fp.readline(limit)
        self.report(len(data))
        return data


def stream_inputs(
    req: Request, stack: ExitStack, on_read: Callable[[int], object] | None = None
) -> tuple[RowReader, Iterator[np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Start streaming X: its reader, the remaining blocks, and the first block.

    ``on_read`` hears the size of every read from the input file (a progress bar).
    """
    reader, from_file = _inputs(req, stack, on_read)
    blocks = iter(reader.blocks())
    first = next(blocks)
    return reader, blocks, first, from_file
