"""NumPy's own files: .npy (one array) and .npz (named arrays), never unpickled."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from nncalc import i18n, limits
from nncalc.errors import InputError

from . import Peekable, RowReader

BLOCK_BYTES = 8 << 20  # a streamed .npy is read this many bytes of rows at a time


def checked_array(arr: np.ndarray, source: str, allow_nonfinite: bool = False) -> np.ndarray:
    """An array from a binary file (npz) as float64, refusing what is not a number."""
    if arr.dtype.kind not in "iuf":
        raise InputError(
            i18n._("holds {dtype} values").format(dtype=arr.dtype),
            source=source,
            expected=i18n._("real numbers"),
        )
    if arr.ndim > 2:
        raise InputError(
            i18n._("holds a {ndim}-D array ({shape})").format(
                ndim=arr.ndim, shape="×".join(map(str, arr.shape))
            ),
            source=source,
            expected=i18n._("a number, a vector or a matrix (reshape it to samples × features)"),
        )
    arr = arr.astype(np.float64)
    if not allow_nonfinite and not np.isfinite(arr).all():
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise InputError(
            i18n._("element {index} is {value}, not a finite number").format(
                index=list(idx), value=arr[idx]
            ),
            source=source,
            expected=i18n._("a finite number"),
        )
    return arr


def npy_header(src: Peekable, source: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """A .npy's (shape, fortran order, dtype), checked: never unpickled, real numbers, at
    most two dimensions.  ``src`` is left at the first byte of data."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(src)
        read_header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"format version {version[0]}.{version[1]}")
        header = read_header[version](src)
    except Exception as e:  # numpy raises ValueError and others for a bad header
        raise InputError(
            i18n._("not a readable .npy file ({error})").format(error=e),
            source=source,
            expected=i18n._("a file written by np.save"),
        ) from None
    shape, fortran, dtype = header
    if dtype.hasobject or dtype.kind not in "iuf":
        raise InputError(
            i18n._("holds {dtype} values").format(dtype=dtype),
            source=source,
            expected=i18n._("an array of real numbers"),
        )
    if len(shape) > 2:
        raise InputError(
            i18n._("holds a {ndim}-D array of shape {shape}").format(ndim=len(shape), shape=shape),
            source=source,
            expected=i18n._("a number, a vector or a matrix"),
        )
    return tuple(shape), bool(fortran), dtype


def whole_bytes(count: int, itemsize: int) -> int:
    """What holding an array of ``count`` values whole costs: its bytes as stored and
    as float64 (the one the reader converts it to)."""
    return count * (itemsize + 8)


def read_npy(
    src: Peekable, source: str, allow_nonfinite: bool = False, what: str = ""
) -> np.ndarray:
    """One array from a .npy file, whole: its header checked (a number, vector or matrix
    of real numbers) and its size against the memory budget before the data is read.
    ``what`` names the array for the refusal (W, b); X streams (:class:`NpyReader`)."""
    shape, fortran, dtype = npy_header(src, source)
    count = int(np.prod(shape, dtype=np.int64))
    need = whole_bytes(count, dtype.itemsize)
    if need > limits.budget():
        raise limits.refuse(
            f"{what or 'this array'} ({count} {dtype} values, held whole)", need, source,
            why="an array read whole is held as stored and as float64",
        )  # fmt: skip
    data = _read_exactly(src, count * dtype.itemsize, source)
    arr = np.frombuffer(data, dtype=dtype)
    arr = arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)
    return checked_array(arr, source, allow_nonfinite)


def _read_exactly(src: Peekable, n: int, source: str, have: int = 0, total: int = 0) -> bytes:
    data = src.read(n)
    if len(data) != n:
        total = total or n
        raise InputError(
            i18n._("ends early: {got} of {need} bytes").format(got=have + len(data), need=total),
            source=source,
            expected=i18n._("a complete .npy file"),
        )
    return data


class NpyReader(RowReader):
    """Rows of a .npy matrix (C order) read a block at a time, so an input of any size is
    held one block at a time (``np.load`` holds it whole, and a uint8 file eight times
    over as float64).  A vector, a number or a Fortran-order matrix (whose rows are not
    contiguous) is read whole, checked against the memory budget first."""

    def __init__(self, src: Peekable, source: str, allow_nonfinite: bool = False) -> None:
        from . import Format

        self.src, self.source, self.format = src, source, Format.NPY
        self.allow_nonfinite = allow_nonfinite
        self.shape, self.fortran, self.dtype = npy_header(src, source)
        self.notes = []

    def blocks(self) -> Iterator[np.ndarray]:
        shape, dtype = self.shape, self.dtype
        if len(shape) < 2 or self.fortran or not shape[0]:
            count = int(np.prod(shape, dtype=np.int64))
            need = whole_bytes(count, dtype.itemsize)
            if need > limits.budget():
                why = ("a Fortran-order matrix is read whole: save it with "
                       "np.save(path, np.ascontiguousarray(x)) to stream it")  # fmt: skip
                raise limits.refuse(f"this array ({count} values)", need, self.source, why=why)
            data = _read_exactly(self.src, count * dtype.itemsize, self.source)
            arr = np.frombuffer(data, dtype=dtype)
            arr = arr.reshape(shape[::-1]).T if self.fortran else arr.reshape(shape)
            yield checked_array(arr, self.source, self.allow_nonfinite)
            return
        m, n = shape
        row = n * dtype.itemsize
        if whole_bytes(n, dtype.itemsize) * 2 > limits.budget():
            raise limits.refuse(f"one row of {n} values", whole_bytes(n, dtype.itemsize) * 2,
                                self.source, why="a row is held whole")  # fmt: skip
        per = max(1, BLOCK_BYTES // max(1, n * max(8, dtype.itemsize)))
        total = m * row
        for start in range(0, m, per):
            k = min(per, m - start)
            data = _read_exactly(self.src, k * row, self.source, start * row, total)
            arr = np.frombuffer(data, dtype=dtype).reshape(k, n).astype(np.float64)
            if not self.allow_nonfinite and not np.isfinite(arr).all():
                i, j = (int(v) for v in np.argwhere(~np.isfinite(arr))[0])
                raise InputError(
                    i18n._("element {index} is {value}, not a finite number").format(
                        index=[start + i, j], value=arr[i, j]),
                    source=self.source, expected=i18n._("a finite number"),
                )  # fmt: skip
            yield arr


NPZ_EXPECTED = i18n.N_("a file written by numpy.savez")  # shown through i18n._()
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
DEFLATE_MAX_RATIO = 1032  # deflate can never expand data more than this


def read_npz(src: Peekable, source: str) -> dict[str, np.ndarray]:
    """The arrays of an .npz input, the archive read up to half the memory budget."""
    if src.head[:4] not in ZIP_MAGIC:  # /dev/zero, text, a pickle: refused unread
        raise InputError(
            i18n._("not a readable .npz archive (not a zip file)"),
            source=source,
            expected=i18n._(NPZ_EXPECTED),
        )
    room = limits.budget()
    data = src.read(room // 2 + 1)
    if len(data) > room // 2:
        raise limits.refuse(
            i18n._("an .npz archive of more than {size}").format(size=limits.human(room // 2)),
            source=source,
            why=i18n._("it is read whole"),
        )
    return load_npz(data, source)


def load_npz(data: bytes, source: str) -> dict[str, np.ndarray]:
    """The arrays of an .npz held in ``data``, in bounded memory and never unpickled: every
    member is refused by the size its zip header declares (a zip bomb is never inflated)
    and its .npy header checked against its stored bytes (an object array, a pickle, is
    refused before numpy sees it); only then does numpy load them, allow_pickle=False.
    Matrix inputs (-w W.npz, X.npz) and model files (--model net.npz) both read here."""
    if data[:4] not in ZIP_MAGIC:
        raise InputError(
            i18n._("not a readable .npz archive (not a zip file)"),
            source=source,
            expected=i18n._(NPZ_EXPECTED),
        )
    room = limits.budget() - len(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():  # an array and its bytes are both held while loading
                if 2 * info.file_size > room:
                    raise limits.refuse(
                        i18n._("member {name} ({size} inflated)").format(
                            name=repr(info.filename), size=limits.human(info.file_size)
                        ),
                        source=source,
                        why=i18n._("an array is held whole while it loads"),
                    )
                room -= 2 * info.file_size
                _check_member(zf, info, source)
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except (limits.MemoryLimitError, InputError):
        raise
    except Exception as e:  # numpy and zipfile raise many kinds for a corrupt archive
        raise InputError(
            i18n._("not a readable .npz archive ({error})").format(error=e),
            source=source,
            expected=i18n._(NPZ_EXPECTED),
        ) from None


def _check_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> None:
    name = info.filename
    if not name.endswith(".npy"):
        message = i18n._("holds {name}, not an array").format(name=repr(name))
        raise InputError(message, source=source, expected=i18n._(NPZ_EXPECTED))
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size:
            message = i18n._("{name}: sizes disagree").format(name=name)
            raise InputError(message, source=source, expected=i18n._(NPZ_EXPECTED))
    elif info.file_size > DEFLATE_MAX_RATIO * max(info.compress_size, 1):
        raise InputError(
            i18n._("{name} claims {size} bytes from {compressed} compressed").format(
                name=name, size=info.file_size, compressed=info.compress_size
            ),
            source=source,
            expected=i18n._(NPZ_EXPECTED),
        )
    with zf.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            message = i18n._("{name}: .npy version {version}").format(name=name, version=version)
            raise InputError(message, source=source, expected="1.0/2.0")
        header = fp.tell()
    if dtype.hasobject:
        raise InputError(
            i18n._(
                "{name} holds Python objects (a pickle, which can run code): nncalc never "
                "loads them"
            ).format(name=name[:-4]),
            source=source,
            expected=i18n._("numeric arrays"),
        )
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if need != info.file_size - header:
        raise InputError(
            i18n._("{name} claims shape {shape} of {dtype} ({need} bytes) but holds {held}").format(
                name=name[:-4],
                shape=tuple(shape),
                dtype=dtype,
                need=need,
                held=info.file_size - header,
            ),
            source=source,
            expected=i18n._(NPZ_EXPECTED),
        )
