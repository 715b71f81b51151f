"""nncalc's own model file: a JSON list of layers, each with inline numbers or paths.

    {"layers": [
      {"weights": "w1.csv", "biases": "b1.csv", "activation": "relu"},
      {"weights": [[0.1, 0.2], [0.3, 0.4]], "activation": "softmax", "layout": "in-out"}
    ]}

Paths are relative to the model file's folder (not the working directory) and may name
any matrix format nncalc reads, as long as it is a regular file inside that folder: a
model is data someone else may have written, and must not make nncalc read (or echo in
an error) ``/etc/shadow`` or ``~/.ssh/id_rsa``, nor hang on a FIFO.  ``biases``
defaults to zeros, ``activation`` to relu, ``layout`` to in-out (``out-in`` for
PyTorch's p×n weights).  A top-level ``"dtype"`` (``float32`` or ``float64``, the
default) says what the numbers are: JSON writes a float32's shortest form (0.22), which
only reads back as the same float32.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import orjson

from nncalc import limits
from nncalc.core import Layer, Network, activation
from nncalc.errors import InputError, ShapeError, UsageError
from nncalc.formats import ReadOptions, read_matrix
from nncalc.formats.jsonio import loads, to_array
from nncalc.formats.spec import check_size
from nncalc.i18n import _

from . import LoadOptions, Model, pick_activations
from .build import read_bytes

LAYER_KEYS = {"weights", "biases", "activation", "layout", "name"}


LAYER_EXPECTED = '{"weights": ..., "biases": ..., "activation": ...}'


def _model_expected() -> str:
    return _("a model: {shape}").format(shape=f'{{"layers": [{LAYER_EXPECTED}]}}')


def read(path: str, options: LoadOptions) -> Model:
    data = read_bytes(path, limits.JSON_FACTOR)
    if not data.strip():
        raise InputError(_("is empty"), source=path, expected=_model_expected())
    return parse(loads(data, path, limits.max_json()), path, Path(path).parent, options)


def parse(obj: Any, source: str, folder: Path, options: LoadOptions = LoadOptions()) -> Model:
    """A model from a parsed JSON object; paths inside are taken relative to ``folder``
    and must stay inside it.  ``Model.files`` lists the files read for it."""
    if not isinstance(obj, dict) or "layers" not in obj:
        raise InputError(
            _('has no "layers"') if isinstance(obj, dict) else _("is not a JSON object"),
            source=source,
            expected=_model_expected(),
        )
    if options.layer_order:
        raise UsageError(
            _(
                "--layer-order picks the layers of a state dict (safetensors); a JSON model "
                "lists its layers in the order they run"
            )
        )
    specs = obj["layers"]
    if not isinstance(specs, list) or not specs:
        raise InputError(
            _('"layers" is not a non-empty list'),
            source=source,
            expected=_("one object per layer"),
        )
    raw: list[tuple[np.ndarray, np.ndarray | None, str | None, str | None]] = []
    files: list[str] = []
    for k, spec in enumerate(specs, 1):
        where = _("layer {k}").format(k=k)
        if not isinstance(spec, dict):
            raise InputError(
                _("{where} is not an object").format(where=where),
                source=source,
                expected=LAYER_EXPECTED,
            )
        unknown = sorted(set(spec) - LAYER_KEYS)
        if unknown:
            raise InputError(
                _("{where}: unknown key {key}").format(where=where, key=repr(unknown[0])),
                source=source,
                expected=", ".join(sorted(LAYER_KEYS)),
            )
        if "weights" not in spec:
            raise InputError(
                _('{where} has no "weights"').format(where=where),
                source=source,
                expected=_("inline numbers or a path to a matrix file"),
            )
        w = _matrix(spec["weights"], source, folder, where, "weights", files)
        b = (
            None
            if spec.get("biases") is None
            else _matrix(spec["biases"], source, folder, where, "biases", files)
        )
        act = spec.get("activation", "relu")
        if not isinstance(act, str):
            raise InputError(
                _('{where}: "activation" is not a name').format(where=where),
                source=source,
                expected="relu, linear, sigmoid, tanh, leaky_relu, softmax",
            )
        try:
            activation(act)
        except ValueError as e:
            raise InputError(f'{where}: "activation": {e}', source=source) from None
        layout = spec.get("layout", "in-out")
        if layout not in ("in-out", "out-in"):
            raise InputError(
                _('{where}: "layout" is {layout}').format(where=where, layout=repr(layout)),
                source=source,
                expected=_('"in-out" (n×p) or "out-in" (p×n, PyTorch)'),
            )
        if w.ndim == 2 and layout == "out-in":
            w = w.T
        raw.append((w, b, act, str(spec["name"]) if spec.get("name") else None))
    acts = pick_activations(len(raw), options.activations, [r[2] for r in raw], source)
    dtype = stored_dtype(obj, source)
    layers = []
    for k, ((w, b, _stored, name), act) in enumerate(zip(raw, acts, strict=True), 1):
        try:
            layers.append(Layer(w.astype(dtype), None if b is None else b.astype(dtype), act, name))
        except ShapeError as e:
            where = _("layer {k}").format(k=k)
            raise InputError(f"{where}: {e}", source=source) from None
    try:
        net = Network(layers)
    except ShapeError as e:
        raise InputError(str(e), source=source) from None
    names = tuple(r[3] or f"layer{k}" for k, r in enumerate(raw, 1))
    return Model(net, source, "json", names, files=tuple(dict.fromkeys(files)))


DTYPES = ("float32", "float64")


def stored_dtype(obj: dict[str, Any], source: str) -> np.dtype[Any]:
    """The ``"dtype"`` a model or parameter file names (float64 when it names none)."""
    name: object = obj.get("dtype", "float64")
    if name not in DTYPES:
        raise InputError(
            _('"dtype" is {value}').format(value=repr(name)),
            source=source,
            expected=_(" or ").join(DTYPES),
        )
    return np.dtype(str(name))


def _matrix(
    value: Any, source: str, folder: Path, where: str, key: str, files: list[str]
) -> np.ndarray:
    if isinstance(value, str):
        target = _beside(value, source, folder, where, key)
        files.append(str(target))
        with _open_regular(target, value, source, where, key) as fp:
            role = "w" if key == "weights" else "b"
            check_size(str(target), role, None)  # held whole: refused by size, unread
            try:
                return read_matrix(fp, str(target), ReadOptions(role=role)).values
            except InputError as e:
                raise _unechoed(e) from None
    try:
        return to_array(value, source, prefix=key)
    except InputError as e:
        raise InputError(f"{where}: {e.message}", source=source, expected=e.expected) from None


def _beside(value: str, source: str, folder: Path, where: str, key: str) -> Path:
    """``value`` as a path inside the model's folder, or an error: no absolute path, no
    ``..``, no symlink leading out (the folder and the target compared after symlinks)."""
    parts = PurePosixPath(value.replace("\\", "/")).parts
    outside = (
        not value
        or "\0" in value
        or PurePosixPath(value).is_absolute()
        or PureWindowsPath(value).is_absolute()
        or bool(PureWindowsPath(value).drive)
        or ".." in parts
    )
    target = folder / value
    if not outside:
        try:
            home = Path(os.path.realpath(folder or "."))
            real = Path(os.path.realpath(target))
        except (OSError, ValueError):
            outside = True
        else:
            outside = home not in real.parents
    if outside:
        raise InputError(
            _('{where}: "{key}" names {value}, which is not a file in the model\'s folder').format(
                where=where, key=key, value=repr(value)
            ),
            source=source,
            expected=_("a path inside {folder}, without .. (as ONNX external data)").format(
                folder=folder or "."
            ),
        )
    return target


class _open_regular:
    """A regular file opened for reading, without blocking on a FIFO (a FIFO, a device
    or a socket is refused, never read)."""

    def __init__(self, target: Path, value: str, source: str, where: str, key: str) -> None:
        try:
            fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise InputError(
                _('{where}: "{key}" names {value}, which does not exist').format(
                    where=where, key=key, value=value
                ),
                source=source,
                expected=_("a path relative to {folder}").format(folder=target.parent),
            ) from None
        except IsADirectoryError:
            message = _('{where}: "{key}" names a folder, {value}')
            raise InputError(
                message.format(where=where, key=key, value=value), source=source
            ) from None
        except OSError as e:
            raise InputError(
                _('{where}: "{key}" names {value}, which cannot be opened ({reason})').format(
                    where=where, key=key, value=value, reason=e.strerror or e
                ),
                source=source,
            ) from None
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            what = (
                _("a folder") if stat.S_ISDIR(mode) else _("not a regular file (a FIFO or device)")
            )
            raise InputError(
                _('{where}: "{key}" names {value}, which is {what}').format(
                    where=where, key=key, value=value, what=what
                ),
                source=source,
                expected=_("a regular file beside the model"),
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        self.fp = os.fdopen(fd, "rb")

    def __enter__(self) -> Any:
        return self.fp

    def __exit__(self, *exc: object) -> None:
        self.fp.close()


def _unechoed(e: InputError) -> InputError:
    """A data file's error without its content: the model named that file, not the user,
    so a cell (quoted in the message) may be a secret the model's author wanted shown."""
    if "'" not in e.message and '"' not in e.message:
        return e
    return InputError(
        _("is not a matrix of numbers (its content is not shown: the model file named it)"),
        source=e.source,
        line=e.line,
        col=e.col,
        expected=_("numbers, one row per line"),
    )


def document(net: Network, meta: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON model of ``net``: every layer's W (n×p), b and activation inline."""
    doc: dict[str, Any] = {
        "dtype": net.dtype.name,
        "layers": [
            {"weights": layer.w, "biases": layer.bias, "activation": layer.act.spec}
            for layer in net
        ],
    }
    if meta:
        doc["meta"] = meta
    return doc


def write(net: Network, meta: dict[str, str]) -> bytes:
    return orjson.dumps(
        document(net, meta), option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE
    )
