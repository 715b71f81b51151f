"""From option records to a Request: what the Input and Network groups mean, checked
(the options themselves are declared once in :mod:`.options`)."""

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from nncalc import generate
from nncalc.errors import InputError, UsageError
from nncalc.formats import Format, ReadOptions
from nncalc.i18n import _
from nncalc.operands import Request
from nncalc.shapes import LAYOUTS, Layout

from .options import InputFlags, LabelFlags, NetworkFlags

DELIMITERS = {
    "tab": "\t",
    "\\t": "\t",
    "comma": ",",
    "semicolon": ";",
    "space": " ",
    "whitespace": " ",
}


def read_options(flags: InputFlags | None) -> ReadOptions:
    """How to read X; W and b files are detected on their own (or forced per file with a
    suffix: ``-w 'weights.csv?header=1&delimiter=;'``)."""
    if flags is None:
        return ReadOptions()
    if flags.decimal not in (".", ","):
        raise UsageError(
            _("--decimal must be '.' or ',', got {value}").format(value=repr(flags.decimal))
        )
    delimiter = flags.delimiter
    if delimiter is not None:
        delimiter = DELIMITERS.get(delimiter.lower(), delimiter)
        if delimiter == " ":
            delimiter = ""
        elif len(delimiter) != 1:
            raise UsageError(
                _("--delimiter must be one character or tab/space, got {value}").format(
                    value=repr(delimiter)
                )
            )
    return ReadOptions(
        format=Format(flags.input_format.value) if flags.input_format else None,
        delimiter=delimiter,
        header=flags.header,
        decimal=flags.decimal,
        allow_nonfinite=flags.allow_nonfinite,
        columns=flags.columns,
        drop_columns=flags.drop_columns,
        skip_rows=flags.skip_rows,
        id_column=flags.id_column,
    )


def label_read(read: InputFlags, labels: LabelFlags) -> InputFlags:
    """X's read options with --label-column's column kept out of X (read as an id
    column is: its cells are the labels)."""
    if labels.label_column is None:
        return read
    if read.id_column is not None:
        raise UsageError(_("--label-column and --id-column both take a column out of X: give one"))
    return dataclasses.replace(read, id_column=labels.label_column)


@contextmanager
def label_column_named(labels: LabelFlags) -> Iterator[None]:
    """X's reader takes --label-column as its id column (:func:`label_read`): its errors
    name the option the user gave, not --id-column."""
    if labels.label_column is None:
        yield
        return
    try:
        yield
    except InputError as e:
        e.message = e.message.replace("--id-column", "--label-column")
        e.args = (str(e),)
        raise
    except UsageError as e:
        raise UsageError(str(e).replace("--id-column", "--label-column")) from None


def request_of(
    net: NetworkFlags, read: InputFlags | None = None, inputs: str | None = None
) -> Request:
    """The operands a command computes on, checked: the network and how X is read."""
    from nncalc.models import LoadOptions

    check_seed(net.seed)
    if net.weights and net.biases:
        given = [o for o, v in (("--neurons", net.neurons), ("--seed", net.seed)) if v is not None]
        if given:
            both = _(" and ").join(given)
            raise UsageError(
                _(
                    "{options} draw missing parameters, but -w and -b are both given: "
                    "drop {options}"
                ).format(options=both)
            )
    acts = split_list(net.activation)
    for name in acts:
        check_activation(name)
    order = split_list(net.layer_order)
    return Request(
        inputs=inputs,
        weights=tuple(net.weights or ()),
        biases=tuple(net.biases or ()),
        params=net.params,
        neurons=neurons_of(net.neurons),
        n_inputs=net.n_inputs,
        seed=net.seed,
        init=net.init.value,
        layout=layout_of(net.layout.value),
        read=read_options(read),
        model=net.model,
        model_options=LoadOptions(net.model_format, None, order or None, None),
        activations=acts,
    )


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
        sizes = tuple(int(v) for v in value.split(",") if v.isascii())
        if len(sizes) != len(value.split(",")):
            raise ValueError(value)
    except ValueError:
        raise UsageError(
            _("--neurons takes whole numbers, one per layer (4 or 4,3,2), got {value}").format(
                value=repr(value)
            )
        ) from None
    bad = [p for p in sizes if p <= 0]
    if bad:
        raise UsageError(_("--neurons must be positive, got {value}").format(value=bad[0]))
    return sizes


def check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed <= generate.MAX_SEED:
        raise UsageError(
            _("--seed must be from 0 to {most}, got {seed}").format(
                most=generate.MAX_SEED, seed=seed
            )
        )


def stdin_default(inputs: list[str] | None, params: str | None) -> list[str]:
    """No inputs named: read stdin if something is piped in, else explain what to do."""
    if inputs:
        return inputs
    if params is not None:
        return []
    if sys.stdin is not None and not sys.stdin.isatty():
        return ["-"]
    raise UsageError(
        _("no inputs: name a file, or pipe numbers in and use '-' (try: {example})").format(
            example="nncalc forward samples/batch/inputs.csv -w samples/batch/weights.csv"
            " -b samples/batch/biases.csv"
        )
    )


def stages_of(show: str) -> list[str]:
    from nncalc.runner.tables import STAGES

    picked = [s.strip().lower() for s in show.split(",") if s.strip()]
    if picked in (["all"], []):
        return list(STAGES)
    unknown = [s for s in picked if s not in STAGES]
    if unknown:
        raise UsageError(
            _("--show takes {stages} or all; got {unknown}").format(
                stages=", ".join(STAGES), unknown=", ".join(unknown)
            )
        )
    return picked


def layout_of(value: str) -> Layout:
    if value not in LAYOUTS:  # pragma: no cover - the option's choices are the layouts
        raise UsageError(
            _("--layout must be one of {layouts}, got {value}").format(
                layouts=", ".join(LAYOUTS), value=repr(value)
            )
        )
    return value
