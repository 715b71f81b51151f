"""Where output goes: stdout, or a file that appears whole or not at all.

A file is written to a temporary sibling and renamed into place only when everything
succeeded, so an error or Ctrl-C mid-run leaves an existing file untouched.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from .errors import OutputError, UsageError
from .i18n import _


def output_mode(requested: str | None, stdout_is_tty: bool, output: str | None = None) -> str:
    """ "table" or a data format name: the one place that decides how results look.

    An explicit --format wins; else -o's extension (CSV when it has none we know);
    else tables on a terminal and CSV down a pipe.
    """
    if requested:
        return requested
    if output not in (None, "-"):
        from .formats import Format, format_from_name

        fmt = format_from_name(output)
        if fmt is Format.NPZ:
            raise UsageError(
                _(
                    "results are text, not .npz ({output}): name a .csv, .tsv, .json "
                    "or .ndjson file, or pass --format"
                ).format(output=output)
            )
        return fmt.value if fmt else Format.CSV.value
    return "table" if stdout_is_tty else "csv"


class PipeClosed(Exception):
    """The reader of our stdout went away (``| head -1``): stop quietly."""


def identity(name: str) -> tuple[int, int] | None:
    """(device, inode) of a path after symlinks, or of stdin for ``-``; None if unknown.

    Outputs are compared with inputs by identity, not by name, so a symlink, a hard
    link or stdin redirected from the target cannot be overwritten before it is read.
    """
    try:
        st = os.fstat(0) if name == "-" else os.stat(name)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def _stdout_buffer() -> BinaryIO:
    out = sys.stdout
    raw = getattr(out, "raw_stream", out)  # StdStream below, or whatever a test put there
    if raw is None or getattr(raw, "closed", False):
        raise OutputError(_("is closed"), source="stdout",
                          expected=_("a stdout to write to, or -o FILE"))  # fmt: skip
    return out.buffer


class Sink:
    """Binary output for one result; use as a context manager.

    A regular file is written to a temporary sibling and renamed into place only when
    everything succeeded; a FIFO, a device or a socket (``-o /dev/null``, a named pipe)
    is opened and written in place, as a shell's ``>`` would: renaming over it would
    replace the node itself.  A symlink is followed: its target is replaced, not the link.
    """

    def __init__(
        self, path: str | None = None, *, protect: tuple[str, ...] = (), force: bool = False
    ) -> None:
        self.name = None if path in (None, "-") else str(path)
        self.path = None if self.name is None else Path(os.path.realpath(self.name))
        self._fp: BinaryIO | None = None
        self._tmp: str | None = None
        self._in_place = False
        if self.path is None:
            return
        try:
            st = os.stat(self.path)
        except OSError:
            return  # a new file
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(_("output {name} is a directory").format(name=self.name))
        if not stat.S_ISREG(st.st_mode):
            self._in_place = True
            return
        if not force:
            mine = (st.st_dev, st.st_ino)
            for name in protect:
                if identity(name) == mine:
                    what = "stdin" if name == "-" else _("an input ({name})").format(name=name)
                    raise UsageError(
                        _(
                            "output {name} is also {what}; refusing to overwrite it "
                            "(use --force to allow)"
                        ).format(name=self.name, what=what)
                    )

    def __enter__(self) -> Sink:
        if self.path is None:
            self._fp = _stdout_buffer()
            return self
        if self._in_place:
            try:
                self._fp = os.fdopen(os.open(self.path, os.O_WRONLY), "wb")
            except OSError as e:
                raise self._failed(e) from None
            return self
        import tempfile  # only for files: random and shutil cost ~5 ms of every start

        parent = self.path.parent
        try:
            fd, self._tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=parent
            )
        except OSError as e:
            message = _("cannot write here: {reason}").format(reason=e.strerror)
            raise OutputError(message, source=str(parent)) from None
        self._fp = os.fdopen(fd, "wb")
        return self

    def write(self, data: bytes | memoryview) -> None:
        if not data:
            return
        assert self._fp is not None
        try:
            self._fp.write(data)
        except BrokenPipeError:
            if self.path is None:
                silence_stdout()
            raise PipeClosed from None
        except OSError as e:  # a full disk, a vanished mount: say so, keep no half file
            raise self._failed(e) from None

    def _failed(self, e: OSError) -> OutputError:
        if self.path is None:
            silence_stdout()  # else the interpreter's last flush fails again, exit 120
        where = "stdout" if self.name is None else self.name
        return OutputError(
            _("cannot write: {reason}").format(reason=e.strerror or e),
            source=where,
            expected=_("room on the disk and a writable target"),
        )

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fp is None:
            return
        if self.path is None:
            if kind is None:
                try:
                    self._fp.flush()
                except BrokenPipeError:
                    silence_stdout()
                    raise PipeClosed from None
                except OSError as e:
                    raise self._failed(e) from None
            return
        try:
            try:
                self._fp.close()  # flushes: a full disk can show up only now
            except BrokenPipeError:
                if kind is None:
                    raise PipeClosed from None
                return
            except OSError as e:
                if kind is None:
                    raise self._failed(e) from None
                return
            if kind is None and self._tmp is not None:
                self._commit(self._tmp, self.path)
                self._tmp = None
        finally:
            if self._tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._tmp)

    def _commit(self, tmp: str, path: Path) -> None:
        """Rename the finished temporary file over the target, keeping its mode."""
        try:
            st = os.stat(path)
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        else:
            with contextlib.suppress(OSError):
                os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.replace(tmp, path)
        except OSError as e:  # a mount point (EBUSY), a folder made there meanwhile
            raise OutputError(
                _("cannot replace it: {reason}").format(reason=e.strerror or e),
                source=self.name,
                expected=_("a target that can be replaced (not a mount point or a folder)"),
            ) from None


def silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's final flush
    does not print a BrokenPipeError (the recipe from Python's signal docs)."""
    _silence(1)


def _silence(fd: int) -> None:
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


# -- the process's own stdout and stderr ---------------------------------------------------
ASCII_FALLBACK = str.maketrans({
    "×": "x", "·": ".", "→": "->", "←": "<-", "—": "-", "–": "-", "…": "...", "≥": ">=",
    "≤": "<=", "≠": "!=", "≈": "~", "Σ": "sum", "ᵀ": "^T", "−": "-", "‘": "'", "’": "'",
    "“": '"', "”": '"', "•": "*", "█": "#", "━": "-", "─": "-", "│": "|", "┃": "|",
})  # fmt: skip


def ascii_fallback(text: str, encoding: str) -> str:
    """``text`` as ``encoding`` can carry it: × as x, → as ->, anything else as ?."""
    text = text.translate(ASCII_FALLBACK)
    return text.encode(encoding, "replace").decode(encoding)


class StdStream:
    """sys.stdout or sys.stderr as the command line uses them, whatever the environment.

    * an encoding that cannot carry ×, → or box drawing (PYTHONIOENCODING=ascii, a
      latin-1 locale) gets ASCII stand-ins instead of a UnicodeEncodeError;
    * stdout: a reader gone (EPIPE) raises :class:`PipeClosed`, any other failure (a
      full disk, a closed descriptor) one :class:`OutputError` line;
    * stderr: a failing diagnostic is dropped, never aborting the work it describes.
    """

    def __init__(self, raw: Any, fd: int) -> None:
        self.raw_stream = raw
        self.fd = fd

    def _check(self) -> Any:
        if self.raw_stream is None:
            if self.fd == 1:
                raise OutputError(_("is closed"), source="stdout",
                                  expected=_("a stdout to write to, or -o FILE"))  # fmt: skip
            return None
        return self.raw_stream

    def _failed(self, e: OSError) -> None:
        _silence(self.fd)
        if self.fd != 1:
            return
        if isinstance(e, BrokenPipeError):
            raise PipeClosed from None
        raise OutputError(
            _("cannot write: {reason}").format(reason=e.strerror or e),
            source="stdout",
            expected=_("room on the disk and a writable target"),
        )

    def write(self, text: str) -> int:
        raw = self._check()
        if raw is None:
            return len(text)
        try:
            try:
                return int(raw.write(text))
            except UnicodeEncodeError:
                return int(raw.write(ascii_fallback(text, raw.encoding or "ascii")))
        except OSError as e:
            self._failed(e)
            return len(text)

    def flush(self) -> None:
        raw = self.raw_stream
        if raw is None:
            return
        try:
            raw.flush()
        except OSError as e:
            self._failed(e)

    def isatty(self) -> bool:
        return self.raw_stream is not None and bool(self.raw_stream.isatty())

    @property
    def buffer(self) -> BinaryIO:
        return self._check().buffer  # type: ignore[no-any-return]

    @property
    def encoding(self) -> str:
        return getattr(self.raw_stream, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._check(), name)


def guard_std_streams() -> None:
    """Install :class:`StdStream` on sys.stdout and sys.stderr (the command line only).

    A descriptor 0-2 closed at start (``>&-``) is first pointed at /dev/null: else the
    next file opened would take its number and a stray write to "stdout" land in it.
    """
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                keep = os.open(os.devnull, mode)
                if keep != fd:
                    os.dup2(keep, fd)
                    os.close(keep)
    if not isinstance(sys.stdout, StdStream):
        sys.stdout = StdStream(sys.stdout, 1)
    if not isinstance(sys.stderr, StdStream):
        # started with stderr closed (2>&-): diagnostics go nowhere, quietly
        err = sys.stderr if sys.stderr is not None else open(os.devnull, "w")  # noqa: SIM115
        sys.stderr = StdStream(err, 2)
