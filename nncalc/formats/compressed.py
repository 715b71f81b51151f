"""Compressed inputs (gzip, bzip2, xz, zstd) read as streams, recognised by their magic
bytes (a name is not needed: stdin works too).

gzip, bzip2 and xz come with Python.  zstd is Python's own ``compression.zstd`` from
3.14, and before that its backport ``backports.zstd`` (the same API, by the stdlib
module's author; the optional ``zstd`` extra), imported only when a zstd stream shows up.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from nncalc import i18n
from nncalc.errors import InputError

MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
SUFFIXES = (".gz", ".bz2", ".xz", ".zst")


def detect(head: bytes) -> str | None:
    """The compression that ``head`` starts with, or None."""
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)


def strip_suffix(name: str) -> str:
    """``x.csv.gz`` → ``x.csv``: the format is named by the inner extension."""
    low = name.lower()
    return next((name[: -len(s)] for s in SUFFIXES if low.endswith(s)), name)


def _zstd() -> Any:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python ≥ 3.14
    except ImportError:
        try:
            from backports import zstd  # type: ignore[no-redef,import-not-found,unused-ignore]
        except ImportError:
            return None
    return zstd


def open_stream(fp: Any, kind: str, source: str) -> BinaryIO:
    """A decompressing reader over ``fp`` whose failures are one located error."""
    if kind == "gzip":
        import gzip

        inner: Any = gzip.GzipFile(fileobj=fp, mode="rb")
    elif kind == "bzip2":
        import bz2

        inner = bz2.BZ2File(fp, "rb")
    elif kind == "xz":
        import lzma

        inner = lzma.LZMAFile(fp, "rb")
    else:
        zstd = _zstd()
        if zstd is None:
            raise InputError(
                i18n._("is zstd-compressed, and this Python has no zstd module"),
                source=source,
                expected=i18n._("pip install 'nncalc[zstd]', or zstd -dc FILE | nncalc forward -"),
            )
        inner = zstd.ZstdFile(fp, "rb")
    return Decompressed(inner, kind, source)  # type: ignore[return-value]


class Decompressed:
    """read/readline over a decompressor; a corrupt or cut-off stream becomes an
    InputError instead of zlib's, lzma's or EOFError's traceback."""

    def __init__(self, inner: Any, kind: str, source: str) -> None:
        self.inner, self.kind, self.source = inner, kind, source

    def _fail(self, e: Exception) -> InputError:
        what = (
            i18n._("{kind} stream ends early")
            if isinstance(e, EOFError)
            else i18n._("{kind} stream is corrupt ({error})")
        )
        return InputError(
            what.format(kind=self.kind, error=e),
            source=self.source,
            expected=i18n._("a complete {kind} file").format(kind=self.kind),
        )

    def read(self, n: int = -1) -> bytes:
        try:
            return bytes(self.inner.read(n))
        except (OSError, EOFError, ValueError) as e:
            raise self._fail(e) from None
        except Exception as e:  # zlib.error, lzma.LZMAError, zstd.ZstdError
            raise self._fail(e) from None

    def readline(self, limit: int = -1) -> bytes:
        try:
            return bytes(self.inner.readline(limit))
        except Exception as e:  # as in read
            raise self._fail(e) from None
