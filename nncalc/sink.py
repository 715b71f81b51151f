"""Where output goes: stdout, or a file that appears whole or not at all.

A file is written to a temporary sibling and renamed into place only when everything
succeeded, so an error or Ctrl-C mid-run leaves an existing file untouched.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import sys
from collections.abc import Iterator
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
        if fmt in (Format.NPZ, Format.NPY):
            raise UsageError(
                _(
                    "results are text or Parquet, not .{ext} ({output}): name a .csv, .tsv, "
                    ".json, .ndjson or .parquet file, or pass --format"
                ).format(ext=fmt.value, output=output)
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


# /dev/stdout, /dev/fd/N, /proc/self/fd/N: "whatever descriptor N is", written in place
_FD_PATH = re.compile(r"/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)")
_STD_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
# mkstemp adds 8 random characters; ".NAME." + those + ".tmp" is 14 bytes more than NAME
_TMP_EXTRA = 14


def descriptor_of(name: str) -> int | None:
    """The descriptor a path names (``/dev/stdout``, ``/proc/self/fd/3``, or a symlink to
    one), or None.  Such a path is "whatever fd N is now": a log file, a pipe, a
    terminal; it is written in place, never renamed over (that would replace the log
    file with only our output, and a pipe has no folder to hold a temporary)."""
    path = os.path.abspath(name)
    for _hop in range(40):
        if path in _STD_NAMES:
            return _STD_NAMES[path]
        m = _FD_PATH.fullmatch(path)
        if m and (not m.group(0).startswith("/proc/") or "/self/" in path
                  or "/thread-self/" in path or f"/{os.getpid()}/" in path):  # fmt: skip
            return int(m.group(1))
        try:
            link = os.readlink(path)
        except OSError:
            return None
        path = os.path.normpath(os.path.join(os.path.dirname(path), link))
    return None


def _no_links_below(top: str, name: str, shown: str) -> None:
    """Refuse a symlink among the folders between ``top`` (which may be one: the user
    named it) and the file ``name``: nncalc made those folders, or must not use them."""
    top_abs = os.path.abspath(top)
    rel = os.path.relpath(os.path.dirname(name), top_abs)
    if rel == os.curdir:
        return
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise UsageError(_("output {name} is not inside {top}").format(name=shown, top=top))
    here = top_abs
    for part in rel.split(os.sep):
        here = os.path.join(here, part)
        try:
            link = stat.S_ISLNK(os.lstat(here).st_mode)
        except OSError:
            return  # not made yet: whoever makes it makes a folder
        if link:
            raise OutputError(
                _("{part} in {top} is a symlink nncalc did not make; refusing to write through "
                  "it").format(part=os.path.relpath(here, top_abs), top=top),
                source=shown, expected=_("a folder, or nothing there"),
            )  # fmt: skip


def _temp_prefix(path: Path) -> str:
    """``.NAME.`` for the temporary beside ``path``, shortened so that the temporary's
    name fits wherever the final name fits (a 250-byte name has no room for 14 more)."""
    try:
        most = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        most = 255
    room = max(1, most - _TMP_EXTRA)
    raw = path.name.encode("utf-8", "surrogateescape")
    if len(raw) > room:
        raw = raw[:room]
        while raw:  # never half a UTF-8 character
            try:
                raw.decode("utf-8")
                break
            except UnicodeDecodeError:
                raw = raw[:-1]
    return f".{raw.decode('utf-8', 'surrogateescape')}."


class Sink:
    """Binary output for one result; use as a context manager.

    A regular file is written to a temporary sibling and renamed into place only when
    everything succeeded; a FIFO, a device or a socket (``-o /dev/null``, a named pipe)
    is opened and written in place, as a shell's ``>`` would: renaming over it would
    replace the node itself.  ``/dev/stdout`` and ``/proc/self/fd/N`` are written in place
    to that descriptor, whatever it is (a log file, a pipe).

    A symlink is followed: its target is replaced, not the link; with
    ``follow_links=False`` (files nncalc names itself, as ``--out-dir`` does) a symlink
    found there is replaced as a link, its target never touched, and anything but a
    regular file is refused; ``within`` (the folder the user named) also refuses a
    symlinked folder between it and the file (``OUT/<stem>/part-0.csv``).  A read-only
    target (no write permission bit) is refused unless ``force``.  Inside a
    :class:`Transaction`, the rename waits for the others.
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        protect: tuple[str, ...] = (),
        force: bool = False,
        follow_links: bool = True,
        within: str | None = None,
    ) -> None:
        self.name = None if path in (None, "-") else str(path)
        self._fp: BinaryIO | None = None
        self._tmp: str | None = None
        self._in_place = False
        self._fd: int | None = None  # /dev/stdout and friends: that descriptor, in place
        self._deferred = False  # a Transaction renames it
        self._ready = False  # closed whole, waiting for its rename
        if self.name is None:
            self.path = None
            return
        if follow_links:
            self._fd = descriptor_of(self.name)
            self.path = Path(os.path.realpath(self.name))
        else:
            name = os.path.abspath(self.name)
            if within is not None:
                _no_links_below(within, name, self.name)
            self.path = Path(os.path.realpath(os.path.dirname(name))) / os.path.basename(name)
        try:
            st = os.fstat(self._fd) if self._fd is not None else os.stat(self.path)
            if not follow_links:
                lst = os.lstat(self.path)
                if stat.S_ISLNK(lst.st_mode):
                    st = lst  # replaced as a link: its target is none of our business
        except OSError:
            if self._fd is not None:
                raise OutputError(
                    _("descriptor {fd} is not open").format(fd=self._fd),
                    source=self.name,
                    expected=_("an open descriptor to write to"),
                ) from None
            return  # a new file
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(_("output {name} is a directory").format(name=self.name))
        self._check_protected(st, protect, force)
        if self._fd is not None:
            self._in_place = True
            return
        if stat.S_ISLNK(st.st_mode):
            return
        if not stat.S_ISREG(st.st_mode):
            if not follow_links:
                raise OutputError(_("is not a regular file (a FIFO or device nncalc did not "
                                    "make)"), source=self.name,
                                  expected=_("a regular file or none"))  # fmt: skip
            self._in_place = True
            return
        if not force and (not st.st_mode & 0o222 or not os.access(self.path, os.W_OK)):
            raise OutputError(_("is read-only; refusing to replace it (use --force to allow)"),
                              source=self.name)  # fmt: skip

    def _check_protected(self, st: os.stat_result, protect: tuple[str, ...], force: bool) -> None:
        if force:
            return
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
        if self._fd is not None:
            if self._fd == 1:
                with contextlib.suppress(OSError, ValueError):
                    sys.stdout.flush()  # what was printed before comes first
            try:
                self._fp = os.fdopen(os.dup(self._fd), "wb")
            except OSError as e:
                raise self._failed(e) from None
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
                prefix=_temp_prefix(self.path), suffix=".tmp", dir=parent
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
            if self.path is None or self._fd == 1:
                silence_stdout()
            raise PipeClosed from None
        except OSError as e:  # a full disk, a vanished mount: say so, keep no half file
            raise self._failed(e) from None

    def _failed(self, e: OSError) -> OutputError:
        if self.path is None or self._fd == 1:
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
                if self._fd == 1:
                    silence_stdout()
                if kind is None:
                    raise PipeClosed from None
                return
            except OSError as e:
                if kind is None:
                    raise self._failed(e) from None
                return
            if kind is None and self._tmp is not None:
                if self._deferred:
                    self._ready = True
                    return
                with held_signals():
                    self._commit(self._tmp, self.path)
                self._tmp = None
        finally:
            if self._tmp is not None and not self._ready:
                self.discard()

    def discard(self) -> None:
        """Remove the temporary (a failed or abandoned run): the target is untouched."""
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None
        self._ready = False

    def commit(self) -> None:
        """Rename a deferred sink's finished temporary into place (a Transaction's end)."""
        if self._ready and self._tmp is not None and self.path is not None:
            try:
                self._commit(self._tmp, self.path)
            finally:
                self.discard()

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
        self._tmp = None


class Transaction:
    """The outputs of one run, committed together: each is written to its temporary,
    and all are renamed into place only when every one was written whole (and the run
    succeeded); none otherwise.  A run that ends because stdout's reader left (PipeClosed)
    still commits, as a lone Sink does.

        with Transaction(final=True) as tx:
            tx.open("a.csv", protect=inputs).write(data)
            tx.open("run.html").write(page)
        # both in place here, or neither

    The renames run with SIGINT/SIGTERM/SIGHUP held, so an interruption lands before
    them (nothing replaced, exit 130) or after.  ``final=True`` says nothing the user
    waits for follows the commit: a signal held then, or arriving later, is dropped, so
    a run whose outputs were committed exits 0 (its exit code and its files agree).
    That ignores Ctrl-C for the rest of the process: for the command line's last commit
    only, never in a library call (a notebook would lose its Ctrl-C).
    """

    def __init__(self, *, final: bool = False) -> None:
        self.final = final
        self._sinks: list[Sink] = []

    def open(
        self,
        path: str | None,
        *,
        protect: tuple[str, ...] = (),
        force: bool = False,
        follow_links: bool = True,
        within: str | None = None,
    ) -> Sink:
        """A Sink, opened, whose rename waits for the transaction's end."""
        sink = Sink(path, protect=protect, force=force, follow_links=follow_links, within=within)
        return self.add(sink)

    def add(self, sink: Sink) -> Sink:
        """Take ``sink`` (not yet entered) into the transaction, and open it."""
        sink._deferred = True
        sink.__enter__()
        self._sinks.append(sink)
        return sink

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        ok = kind is None or issubclass(kind, PipeClosed)
        error: BaseException | None = None
        closed = False  # stdout's reader left while closing: a normal end, commit the rest
        for sink in self._sinks:  # close every one, even after a failure: no leaked fds
            try:
                sink.__exit__(None if ok and error is None else OutputError, None, None)
            except PipeClosed:
                closed = True
            except BaseException as e:  # noqa: B036 - raised below, once every file is closed
                error = error or e
                ok = False
        if not ok:
            for sink in self._sinks:
                sink.discard()
            if error is not None and kind is None:
                raise error
            return
        try:
            with held_signals(drop=self.final):
                for sink in self._sinks:
                    sink.commit()
        finally:
            for sink in self._sinks:
                sink.discard()
        if closed and kind is None:
            raise PipeClosed


# -- signals around a commit ------------------------------------------------------------
_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


@contextlib.contextmanager
def held_signals(*, drop: bool = False) -> Iterator[None]:
    """SIGINT/SIGTERM/SIGHUP recorded, not raised, inside the block (renames that must all
    happen); on leaving, one that came is raised then, or with ``drop`` ignored from
    then on (the run's last commit: the process only exits after it).  Python runs
    signal handlers in the main thread only, so elsewhere this holds nothing."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def record(signum: int, frame: object) -> None:
        came.append(signum)

    sigs = [getattr(signal, n) for n in _SIGNALS if hasattr(signal, n)]
    before = {}
    for sig in sigs:
        handler = signal.getsignal(sig)
        if handler is None or handler == signal.SIG_IGN:
            continue  # installed outside Python (None) or ignored: left as it is
        before[sig] = handler
        signal.signal(sig, record)
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, signal.SIG_IGN if drop else handler)
        if came and not drop:
            _raise_signal(came[0], before.get(came[0]))


def _raise_signal(signum: int, handler: Any) -> None:
    """Deliver a signal held by :func:`held_signals` as its handler would have."""
    if callable(handler):
        handler(signum, None)
    elif signum == signal.SIGINT and handler == signal.default_int_handler:
        raise KeyboardInterrupt
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)


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
