"""Paths, globs and URLs through fsspec: inputs expanded, blocks read, parts written
whole or not at all, output folders listed and cleared."""

from __future__ import annotations

import contextlib
import glob as globlib
import io
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any

from nncalc.errors import InputError
from nncalc.formats import Format
from nncalc.i18n import _

from .records import SUCCESS, Block


def is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


def expand(
    names: Sequence[str], storage_options: dict[str, Any] | None
) -> list[tuple[str, Any, str]]:
    """(display name, file system, path) for every input; globs are expanded here, so
    a remote pattern never meets a shell.  A name that matches nothing is an error."""
    from fsspec.core import url_to_fs

    found: list[tuple[str, Any, str]] = []
    for name in names:
        local = "://" not in name or name.startswith("file://")
        try:
            fs, path = url_to_fs(name, **(storage_options or {}))
            if is_glob(name) and not (local and "://" not in name):
                proto = name.split("://", 1)[0]
                listed = sorted(fs.glob(path))
        except Exception as e:  # an unknown protocol, its package missing, no credentials
            why = " ".join(str(e).split())[:300] or type(e).__name__
            raise InputError(_("cannot open: {reason}").format(reason=why), source=name) from None
        if is_glob(name):
            if local and "://" not in name:
                matches = [(m, os.path.abspath(m)) for m in sorted(globlib.glob(name))]
            else:
                matches = [(f"{proto}://{p}", p) for p in listed]
            if not matches:
                raise InputError(
                    _("matches no file"),
                    source=name,
                    expected=_("an existing {what}").format(what=_("file")),
                )
            found += [(shown, fs, p) for shown, p in matches]
        else:
            found.append((name, fs, path))
    return found


def out_name(fmt: str) -> str:
    return "parquet" if fmt == "parquet" else Format(fmt).value


def join(root: str, *parts: str) -> str:
    return str(PurePosixPath(root, *parts)) if root else "/".join(parts)


def is_local(fs: Any) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def stem_of(path: str) -> str:
    """An input's output folder name: a compression suffix, then the format suffix,
    removed (``x2.csv.gz`` writes ``x2/``, as ``--out-dir`` names a local batch's)."""
    from nncalc.formats.compressed import strip_suffix

    return PurePosixPath(strip_suffix(PurePosixPath(path).name)).stem


@contextlib.contextmanager
def part_file(fs: Any, path: str) -> Iterator[Callable[[bytes | memoryview], None]]:
    """A ``write`` for a file that appears whole under its name or not at all: locally
    nncalc's Sink (a temporary sibling, renamed when complete); on an object store one
    PUT of the whole part, which is atomic there (a temporary, HEAD, copy and DELETE
    would cost four requests for what one gives).  An exception leaves nothing behind."""
    if is_local(fs):
        from nncalc.sink import Sink

        with Sink(path, force=True) as sink:
            yield sink.write
        return
    held: list[bytes] = []
    yield lambda data: held.append(bytes(data))
    fs.pipe_file(path, b"".join(held))


def open_input(fs: Any, path: str, buffer: int = 1 << 20) -> Any:
    """An input opened for nncalc's readers.  They read a line with a size limit (the
    memory budget's longest line), which fsspec's buffered files do not take: a remote
    file is wrapped in :class:`io.BufferedReader`, whose ``readline`` does.  Its buffer
    is the one read-ahead: each fill is one ranged GET of ``buffer`` bytes (fsspec's
    own read-ahead, 50 MiB on S3, would fetch far more than a layout needs)."""
    if is_local(fs):
        return fs.open(path, "rb")
    f = fs.open(path, "rb", block_size=buffer, cache_type="none")
    return io.BufferedReader(f, buffer_size=buffer)


def put(fs: Any, path: str, data: bytes | memoryview) -> None:
    with part_file(fs, path) as write:
        write(data)


def listing(fs: Any, root: str) -> dict[str, list[str]]:
    """Every file under the output root, by folder name (one recursive listing: one
    paginated LIST on an object store, however many inputs)."""
    try:
        found = fs.find(root, detail=False)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    prefix = root.rstrip("/") + "/"
    held: dict[str, list[str]] = {}
    for p in found:
        rel = p[len(prefix) :] if p.startswith(prefix) else p
        if "/" in rel:
            folder, name = rel.split("/", 1)
            held.setdefault(folder, []).append(name)
    return held


def results(names: list[str]) -> list[str]:
    """What a run leaves in a folder: parts, temporaries and ``_SUCCESS``."""
    return [n for n in names if n.startswith(("part-", ".part-")) or n == SUCCESS]


def remove(fs: Any, paths: list[str]) -> None:
    """Delete files (one bulk request on object stores); gone already is fine."""
    if paths:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(paths)


def block_span(block: Block) -> tuple[int, bytes]:
    """Where a block's text starts, and its bytes: from the first line start after its
    offset (the first byte after a newline at or past it; the file's start for the
    first block) to the first after its end — ``fsspec.utils.read_block``'s cut, as
    ``dask.bytes.read_bytes`` makes it, fetched as one ranged read (one GET on an
    object store, no HEAD) with a margin for the last line's end."""
    o, n = block.offset, block.length
    margin = 1 << 16
    if not n:
        return o, b""
    buf: bytes = block.fs.cat_file(block.path, start=o, end=o + n + margin)
    eof = len(buf) < n + margin

    def newline_from(i: int) -> int:
        """The index of the first newline at or after ``i`` in ``buf`` (fetching more
        while a line goes on), or -1 at the file's end."""
        nonlocal buf, eof, margin
        while True:
            j = buf.find(b"\n", i)
            if j >= 0 or eof:
                return j
            margin *= 4
            at = o + len(buf)
            if at >= (block.size or at + 1):
                return -1
            more = block.fs.cat_file(block.path, start=at, end=at + margin)
            eof = len(more) < margin
            buf += more

    start = 0
    if o:
        j = newline_from(0)
        start = len(buf) if j < 0 else j + 1
    j = newline_from(n)
    end = len(buf) if j < 0 else j + 1
    end = max(start, end)
    return o + start, buf[start:end]


def block_bytes(block: Block) -> bytes:
    return block_span(block)[1]
