"""Networks in and out of files: nncalc's JSON model file, npz, safetensors, ONNX.

One registry by extension; each format lives in its own module and imports its library
only when such a file is used.  Readers return a :class:`Model` (the network and what
was found in the file); writers return bytes, which the CLI writes through a Sink so a
failed run leaves no half-written file.  No reader ever unpickles.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import PurePath
from typing import NamedTuple

from nncalc.core import Network
from nncalc.errors import InputError, UsageError
from nncalc.i18n import _

# extension → format name → module (in this package) with read(path, options) -> Model
# and write(net, meta) -> bytes
FORMATS = {".json": "json", ".npz": "npz", ".safetensors": "safetensors", ".onnx": "onnx"}
MODULES = {"json": "jsonmodel", "npz": "npzmodel", "safetensors": "safetensors_io",
           "onnx": "onnx_io"}  # fmt: skip
PICKLES = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".joblib")


class LoadOptions(NamedTuple):
    """What the command line adds to a model file: its format when the name does not
    say it, activations for formats that hold none, which layers (by name) and in what
    order, and the computation dtype.

    ``unknown_activations`` is for looking at a file, never for running it: a layer whose
    activation neither the file nor ``activations`` gives is read (listed in
    :attr:`Model.unknown`) instead of refused, so ``inspect`` can show the rest."""

    format: str | None = None
    activations: tuple[str, ...] | None = None
    layer_order: tuple[str, ...] | None = None
    dtype: str | None = None
    unknown_activations: bool = False


class Model(NamedTuple):
    """A network read from a file, with the names its layers had there."""

    network: Network
    source: str
    format: str
    names: tuple[str, ...] = ()
    details: tuple[str, ...] = ()  # what was detected, for --verbose
    # layers (from 0) whose activation is unknown; the network holds a linear placeholder
    # there, so such a Model is only for showing (LoadOptions.unknown_activations)
    unknown: tuple[int, ...] = ()
    # every file read for it: the model file first, then what it names (W/b files of a
    # JSON model, ONNX external data), so a run can refuse to write over any of them
    files: tuple[str, ...] = ()


def format_of(path: str, forced: str | None = None) -> str:
    """The model format for ``path``: forced, else its extension; pickles are refused."""
    suffix = PurePath(path).suffix.lower()
    if suffix in PICKLES and forced is None:
        raise InputError(
            _(
                "{suffix} files are Python pickles, which can run code when loaded: nncalc "
                "never loads them"
            ).format(suffix=suffix),
            source=path,
            expected="safetensors: safetensors.torch.save_file(model.state_dict(), "
            "'model.safetensors')",
        )
    fmt = forced or FORMATS.get(suffix)
    if fmt not in MODULES:
        known = ", ".join(FORMATS)
        raise UsageError(
            _("cannot tell the model format of {path}: name a {known} file or pass --model-format")
            .format(path=path, known=known)
            if forced is None
            else _("unknown model format {name}; known: {known}")
            .format(name=repr(forced), known=", ".join(MODULES))
        )  # fmt: skip
    return fmt


def read_model(path: str, options: LoadOptions | None = None) -> Model:
    """The network in a model file (format from the extension, or ``options.format``)."""
    options = options or LoadOptions()
    fmt = format_of(path, options.format)
    module = importlib.import_module(f"{__name__}.{MODULES[fmt]}")
    model: Model = module.read(path, options)
    model = model._replace(files=tuple(dict.fromkeys((path, *model.files))))
    if options.dtype is not None:
        model = model._replace(network=model.network.astype(options.dtype))
    return model


def write_model(
    net: Network, path: str, meta: dict[str, str] | None = None, fmt: str | None = None
) -> bytes:
    """``net`` encoded in ``fmt``, or the format ``path``'s extension names."""
    fmt = fmt or FORMATS.get(PurePath(path).suffix.lower())
    if fmt is None:
        raise UsageError(
            _("cannot tell which model format to write for {path}: name a {known} file").format(
                path=path, known=", ".join(FORMATS)
            )
        )
    module = importlib.import_module(f"{__name__}.{MODULES[fmt]}")
    data: bytes = module.write(net, meta or {})
    return data


def pick_activations(
    count: int, given: Sequence[str] | None, stored: Sequence[str | None], source: str
) -> list[str]:
    """Activations for ``count`` layers: the command line's (one for all, or one each)
    win over what the file stored; a layer with neither is a usage error."""
    if given:
        if len(given) == 1:
            return list(given) * count
        if len(given) != count:
            raise UsageError(
                _(
                    "--activation lists {given} activations but {source} has {count} layers: "
                    "give one for every layer or one per layer"
                ).format(given=len(given), source=source, count=count)
            )
        return list(given)
    missing = [k + 1 for k, a in enumerate(stored) if a is None]
    if missing:
        raise UsageError(
            _(
                "{source} does not say which activation layer {k} uses: pass --activation "
                "(one name, or one per layer: --activation relu,softmax)"
            ).format(source=source, k=missing[0])
        )
    return [a for a in stored if a is not None]


PLACEHOLDER = "linear"


def fill_unknown(
    stored: Sequence[str | None], options: LoadOptions
) -> tuple[list[str | None], tuple[int, ...]]:
    """``stored`` with a placeholder where the activation is unknown, and those layers'
    indices, when ``options`` allow unknown activations and the command line gives none;
    else ``stored`` as it is (then :func:`pick_activations` refuses what is missing)."""
    if options.activations or not options.unknown_activations:
        return list(stored), ()
    unknown = tuple(k for k, a in enumerate(stored) if a is None)
    return [PLACEHOLDER if a is None else a for a in stored], unknown
