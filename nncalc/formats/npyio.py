"""NumPy's own files: .npy (one array) and .npz (named arrays), never unpickled."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from nncalc import limits
from nncalc.errors import InputError

from . import Peekable

MAX_NPY_BYTES = 4 << 30  # a .npy is read whole: refuse more than this up front


def checked_array(arr: np.ndarray, source: str, allow_nonfinite: bool = False) -> np.ndarray:
    """An array from a binary file (npz) as float64, refusing what is not a number."""
    if arr.dtype.kind not in "iuf":
        raise InputError(f"holds {arr.dtype} values", source=source, expected="real numbers")
    if arr.ndim > 2:
        raise InputError(
            f"holds a {arr.ndim}-D array ({'×'.join(map(str, arr.shape))})", source=source,
            expected="a number, a vector or a matrix (reshape it to samples × features)",
        )  # fmt: skip
    arr = arr.astype(np.float64)
    if not allow_nonfinite and not np.isfinite(arr).all():
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise InputError(
            f"element {list(idx)} is {arr[idx]}, not a finite number",
            source=source,
            expected="a finite number",
        )
    return arr


def read_npy(src: Peekable, source: str, allow_nonfinite: bool = False) -> np.ndarray:
    """One array from a .npy file: never unpickled, its header checked before the data
    is read (a number, vector or matrix of real numbers, of a size that fits)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(src)
        read_header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"format version {version[0]}.{version[1]}")
        header = read_header[version](src)
    except Exception as e:  # numpy raises ValueError and others for a bad header
        raise InputError(
            f"not a readable .npy file ({e})", source=source, expected="a file written by np.save"
        ) from None
    shape, fortran, dtype = header
    if dtype.hasobject or dtype.kind not in "iuf":
        raise InputError(
            f"holds {dtype} values", source=source, expected="an array of real numbers"
        )
    if len(shape) > 2:
        raise InputError(
            f"holds a {len(shape)}-D array of shape {shape}", source=source,
            expected="a number, a vector or a matrix",
        )  # fmt: skip
    count = int(np.prod(shape, dtype=np.int64))
    if count * 8 > MAX_NPY_BYTES:
        raise InputError(
            f"holds {count} values, too many to load at once", source=source,
            expected="a smaller array; stream big inputs as CSV",
        )  # fmt: skip
    data = src.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise InputError(
            f"ends early: {len(data)} of {count * dtype.itemsize} bytes", source=source,
            expected="a complete .npy file",
        )  # fmt: skip
    arr = np.frombuffer(data, dtype=dtype)
    arr = arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)
    return checked_array(arr, source, allow_nonfinite)


def read_npz(src: Peekable, source: str) -> dict[str, np.ndarray]:
    """The arrays of an .npz, in bounded memory: the archive is read up to the budget,
    and every member is refused by the size its zip header declares (the reader never
    inflates more than that) before it is inflated, so a zip bomb costs nothing."""
    if src.head[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):  # /dev/zero, text, ...
        raise InputError("not a readable .npz archive (not a zip file)", source=source,
                         expected="a file written by numpy.savez")  # fmt: skip
    room = limits.budget()
    data = src.read(room // 2 + 1)
    if len(data) > room // 2:
        raise limits.refuse(f"an .npz archive of more than {limits.human(room // 2)}",
                            source=source, why="it is read whole")  # fmt: skip
    room -= len(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():  # an array and its bytes are both held while loading
                if 2 * info.file_size > room:
                    raise limits.refuse(
                        f"member {info.filename!r} ({limits.human(info.file_size)} inflated)",
                        source=source, why="an array is held whole while it loads",
                    )  # fmt: skip
                room -= 2 * info.file_size
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except limits.MemoryLimitError:
        raise
    except Exception as e:  # numpy and zipfile raise many kinds for a corrupt archive
        raise InputError(
            f"not a readable .npz archive ({e})",
            source=source,
            expected="a file written by numpy.savez",
        ) from None
