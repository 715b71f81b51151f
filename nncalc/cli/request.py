"""From option values to a Request: what a computing command's operand options mean,
checked (the options themselves are declared once in :mod:`.options`)."""

import sys
from typing import Any

from nncalc import generate
from nncalc.errors import UsageError
from nncalc.formats import Format, ReadOptions
from nncalc.operands import Request
from nncalc.shapes import LAYOUTS, Layout

from .options import InFormat

DELIMITERS = {
    "tab": "\t",
    "\\t": "\t",
    "comma": ",",
    "semicolon": ";",
    "space": " ",
    "whitespace": " ",
}


def read_options(
    input_format: InFormat | None,
    delimiter: str | None,
    header: bool | None,
    decimal: str,
    allow_nonfinite: bool,
    columns: str | None = None,
    drop_columns: str | None = None,
    skip_rows: int = 0,
    id_column: str | None = None,
) -> ReadOptions:
    """How to read X; W and b files are detected on their own (or forced per file with a
    suffix: ``-w 'weights.csv?header=1&delimiter=;'``)."""
    if decimal not in (".", ","):
        raise UsageError(f"--decimal must be '.' or ',', got {decimal!r}")
    if delimiter is not None:
        delimiter = DELIMITERS.get(delimiter.lower(), delimiter)
        if delimiter == " ":
            delimiter = ""
        elif len(delimiter) != 1:
            raise UsageError(f"--delimiter must be one character or tab/space, got {delimiter!r}")
    fmt = Format(input_format.value) if input_format else None
    return ReadOptions(
        fmt, delimiter, header, decimal, allow_nonfinite,
        columns=columns, drop_columns=drop_columns, skip_rows=skip_rows, id_column=id_column,
    )  # fmt: skip


def make_request(
    *,
    weights: list[str] | None = None,
    biases: list[str] | None = None,
    params: str | None = None,
    layout: str = "in-out",
    neurons: str | None = None,
    seed: int | None = None,
    init: str = "randn",
    input_format: InFormat | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    decimal: str = ".",
    allow_nonfinite: bool = False,
    model: str | None = None,
    model_format: str | None = None,
    layer_order: str | None = None,
    activation: str | None = None,
    columns: str | None = None,
    drop_columns: str | None = None,
    skip_rows: int = 0,
    id_column: str | None = None,
) -> Request:
    """The operands every computing command takes, checked (inputs are set later)."""
    from nncalc.models import LoadOptions

    check_seed(seed)
    if weights and biases:
        given = [o for o, v in (("--neurons", neurons), ("--seed", seed)) if v is not None]
        if given:
            raise UsageError(
                f"{' and '.join(given)} draw missing parameters, but -w and -b are both "
                f"given: drop {' and '.join(given)}"
            )
    read = read_options(input_format, delimiter, header, decimal, allow_nonfinite, columns,
                        drop_columns, skip_rows, id_column)  # fmt: skip
    acts = split_list(activation)
    for name in acts:
        check_activation(name)
    order = split_list(layer_order)
    return Request(
        None, tuple(weights or ()), tuple(biases or ()), params, neurons_of(neurons), seed, init,
        layout_of(layout), read, model,
        LoadOptions(model_format, None, order or None, None), acts,
    )  # fmt: skip


def request_of(options: dict[str, Any]) -> Request:
    """The Request a command's options describe, picked by name from its parameters
    (``request_of(locals())`` first thing in a command): one builder, whichever subset of
    the operand options a command declares."""
    code = make_request.__code__
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    return make_request(**{k: v for k, v in options.items() if k in names})


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


def check_activation(name: str) -> None:
    from nncalc.core import activation

    try:
        activation(name)
    except ValueError as e:
        raise UsageError(str(e)) from None


def neurons_of(value: str | None) -> tuple[int, ...]:
    """``4`` or ``4,3,2``: one size per layer, each a positive whole number."""
    if value is None:
        return ()
    try:
        sizes = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise UsageError(
            f"--neurons takes whole numbers, one per layer (4 or 4,3,2), got {value!r}"
        ) from None
    bad = [p for p in sizes if p <= 0]
    if bad:
        raise UsageError(f"--neurons must be positive, got {bad[0]}")
    return sizes


def layout_of(value: str) -> Layout:
    if value not in LAYOUTS:
        raise UsageError(f"--layout must be one of {', '.join(LAYOUTS)}, got {value!r}")
    return value  # type: ignore[return-value]


def check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed <= generate.MAX_SEED:
        raise UsageError(f"--seed must be from 0 to {generate.MAX_SEED}, got {seed}")


def stdin_default(inputs: list[str] | None, params: str | None) -> list[str]:
    """No inputs named: read stdin if something is piped in, else explain what to do."""
    if inputs:
        return inputs
    if params is not None:
        return []
    if sys.stdin is not None and not sys.stdin.isatty():
        return ["-"]
    raise UsageError(
        "no inputs: name a file, or pipe numbers in and use '-' "
        "(try: nncalc forward samples/batch/inputs.csv -w samples/batch/weights.csv"
        " -b samples/batch/biases.csv)"
    )


def stages_of(show: str) -> list[str]:
    from nncalc.render import STAGES

    picked = [s.strip().lower() for s in show.split(",") if s.strip()]
    if picked in (["all"], []):
        return list(STAGES)
    unknown = [s for s in picked if s not in STAGES]
    if unknown:
        raise UsageError(f"--show takes {', '.join(STAGES)} or all; got {', '.join(unknown)}")
    return picked
