"""Where output goes: stdout, or a file that appears whole or not at all.

A file is written to a temporary sibling and renamed into place only when everything
succeeded, so an error or Ctrl-C mid-run leaves an existing file untouched.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from .errors import InputError, UsageError


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
            raise UsageError(f"results are text, not .npz ({output}): name a .csv, .tsv, .json "
                             "or .ndjson file, or pass --format")  # fmt: skip
        return fmt.value if fmt else Format.CSV.value
    return "table" if stdout_is_tty else "csv"


class PipeClosed(Exception):
    """The reader of our stdout went away (``| head -1``): stop quietly."""


class Sink:
    """Binary output for one result; use as a context manager."""

    def __init__(
        self, path: str | None = None, *, protect: tuple[str, ...] = (), force: bool = False
    ) -> None:
        self.path = None if path in (None, "-") else Path(path)
        self._fp: BinaryIO | None = None
        self._tmp: str | None = None
        if self.path is not None:
            if self.path.is_dir():
                raise UsageError(f"output {self.path} is a directory")
            if not force:
                for name in protect:
                    if (
                        name != "-"
                        and self.path.exists()
                        and Path(name).exists()
                        and os.path.samefile(self.path, name)
                    ):
                        raise UsageError(
                            f"output {self.path} is also an input; refusing to overwrite it "
                            "(use --force to allow)"
                        )

    def __enter__(self) -> Sink:
        if self.path is None:
            self._fp = sys.stdout.buffer
        else:
            parent = self.path.parent
            try:
                fd, self._tmp = tempfile.mkstemp(
                    prefix=f".{self.path.name}.", suffix=".tmp", dir=parent
                )
            except OSError as e:
                raise InputError(f"cannot write here: {e.strerror}", source=str(parent)) from None
            self._fp = os.fdopen(fd, "wb")
        return self

    def write(self, data: bytes | memoryview) -> None:
        if not data:
            return
        assert self._fp is not None
        try:
            self._fp.write(data)
        except BrokenPipeError:
            raise PipeClosed from None
        except OSError as e:  # a full disk, a vanished mount: say so, keep no half file
            raise self._failed(e) from None

    def _failed(self, e: OSError) -> InputError:
        where = "stdout" if self.path is None else str(self.path)
        return InputError(f"cannot write: {e.strerror or e}", source=where,
                          expected="room on the disk and a writable target")  # fmt: skip

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
                    raise PipeClosed from None
                except OSError as e:
                    raise self._failed(e) from None
            return
        try:
            try:
                self._fp.close()  # flushes: a full disk can show up only now
            except OSError as e:
                if kind is None:
                    raise self._failed(e) from None
                return
            if kind is None:
                assert self._tmp is not None
                if self.path.exists():
                    with contextlib.suppress(OSError):
                        os.chmod(self._tmp, self.path.stat().st_mode & 0o7777)
                else:
                    umask = os.umask(0)
                    os.umask(umask)
                    os.chmod(self._tmp, 0o666 & ~umask)
                os.replace(self._tmp, self.path)
                self._tmp = None
        finally:
            if self._tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._tmp)


def silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's final flush
    does not print a BrokenPipeError (the recipe from Python's signal docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
