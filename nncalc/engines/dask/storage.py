"""Paths, globs and URLs through fsspec: inputs expanded, blocks read, parts written
whole or not at all, output folders listed and cleared."""

from __future__ import annotations

import contextlib
import glob as globlib
import io
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any

from nncalc.errors import InputError
from nncalc.formats import Format

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
        fs, path = url_to_fs(name, **(storage_options or {}))
        local = "://" not in name or name.startswith("file://")
        if is_glob(name):
            if local and "://" not in name:
                matches = [(m, os.path.abspath(m)) for m in sorted(globlib.glob(name))]
            else:
                proto = name.split("://", 1)[0]
                matches = [(f"{proto}://{p}", p) for p in sorted(fs.glob(path))]
            if not matches:
                raise InputError("matches no file", source=name, expected="an existing file")
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


@contextlib.contextmanager
def part_file(fs: Any, path: str) -> Iterator[Callable[[bytes | memoryview], None]]:
    """A ``write`` for a file that appears whole under its name or not at all: locally
    nncalc's Sink (a temporary sibling, renamed when complete), elsewhere a temporary
    object moved into place.  An exception leaves nothing behind."""
    if is_local(fs):
        from nncalc.sink import Sink

        with Sink(path, force=True) as sink:
            yield sink.write
        return
    held: list[bytes] = []
    yield lambda data: held.append(bytes(data))
    parent, name = path.rsplit("/", 1)
    tmp = f"{parent}/.{name}.{uuid.uuid4().hex}.tmp"
    with fs.open(tmp, "wb") as f:
        for data in held:
            f.write(data)
    fs.mv(tmp, path)


def open_input(fs: Any, path: str) -> Any:
    """An input opened for nncalc's readers.  They read a line with a size limit (the
    memory budget's longest line), which fsspec's buffered files do not take: a remote
    file is wrapped in :class:`io.BufferedReader`, whose ``readline`` does (its buffer
    is the one read-ahead; fsspec's own cache still spares small requests)."""
    f = fs.open(path, "rb")
    if is_local(fs):
        return f
    return io.BufferedReader(f, buffer_size=1 << 20)


def put(fs: Any, path: str, data: bytes | memoryview) -> None:
    with part_file(fs, path) as write:
        write(data)


def listing(fs: Any, folder: str) -> list[str]:
    try:
        return [PurePosixPath(p).name for p in fs.ls(folder, detail=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def results_in(fs: Any, folder: str) -> list[str]:
    return [n for n in listing(fs, folder) if n.startswith("part-") or n == SUCCESS]


def clear(fs: Any, folder: str, *, parts: bool) -> None:
    """Remove temporary parts (and, with ``parts``, every result) from one output folder."""
    for name in listing(fs, folder):
        stale = name.startswith(".part-") and name.endswith(".tmp")
        if stale or (parts and (name.startswith("part-") or name == SUCCESS)):
            with contextlib.suppress(FileNotFoundError):
                fs.rm(join(folder, name))
    if fs.exists(folder):
        fs.invalidate_cache(folder)


def block_bytes(block: Block) -> bytes:
    """A block's bytes, from the first line start at or after its offset to the first
    after its end (``fsspec.utils.read_block``, as ``dask.bytes.read_bytes`` cuts)."""
    from fsspec.utils import read_block

    with block.fs.open(block.path, "rb") as f:
        data: bytes = read_block(f, block.offset, block.length, delimiter=b"\n")
    return data
