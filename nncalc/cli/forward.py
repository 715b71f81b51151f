"""``nncalc forward``: options → a Job and a Target → :func:`nncalc.runner.forward.run`
→ tables, a batch table, an exit code."""

import os
from typing import Annotated

import typer

from nncalc.errors import ExitStatus, UsageError
from nncalc.i18n import N_, _, help_text
from nncalc.runner.forward import Target, run
from nncalc.runner.job import Job
from nncalc.runner.tables import View
from nncalc.sink import Transaction

from .help import Command
from .options import (
    OUTPUT,
    EngineFlags,
    Force,
    GeneralFlags,
    InputFlags,
    InputsArg,
    NetworkFlags,
    OutFmt,
    Output,
    Precision,
    Threshold,
    option,
    takes,
)
from .output import hooks, print_items, show_outcomes, stdout_is_tty
from .request import request_of, stages_of, stdin_default
from .root import app, guarded, is_console

SaveParams = Annotated[
    str | None,
    option(
        "--save-params",
        panel=OUTPUT,
        metavar="FILE",
        help=help_text("Also write the W and b used (every layer) as JSON or .npz."),
    ),
]
SaveModel = Annotated[
    str | None,
    option(
        "--save-model",
        panel=OUTPUT,
        metavar="FILE",
        help=help_text("Also write the network used as .json, .npz, .safetensors or .onnx."),
    ),
]
ShowRecipe = Annotated[
    bool,
    option(
        "--show-recipe", panel=OUTPUT, help=help_text("Print the numpy line that draws W and b.")
    ),
]
OutDir = Annotated[
    str | None,
    option(
        "--out-dir",
        panel=OUTPUT,
        metavar="DIR",
        help=help_text("Batch mode: one output file per input, named after it."),
    ),
]
Show = Annotated[
    str,
    option(
        "--show",
        panel=OUTPUT,
        metavar="STAGES",
        help=help_text("Tables to draw: shapes,x,w,b,z,a or all (the default)."),
    ),
]
Layers = Annotated[
    str | None,
    option(
        "--layers",
        panel=OUTPUT,
        metavar="K,K",
        help=help_text("Layers whose tables to draw: 2,3 (default: all)."),
    ),
]
Upto = Annotated[
    int | None,
    option(
        "--upto",
        panel=OUTPUT,
        metavar="K",
        help=help_text("Output layer K's A instead of the last layer's (like model[:K])."),
    ),
]
Argmax = Annotated[
    bool,
    option(
        "--argmax",
        panel=OUTPUT,
        help=help_text("Output each sample's class: the index of its largest output (from 0)."),
    ),
]
Classes = Annotated[
    str | None,
    option(
        "--classes",
        panel=OUTPUT,
        metavar="NAMES",
        help=help_text(
            "Class names for --argmax: setosa,versicolor,virginica, or a file with one per line."
        ),
    ),
]
Report = Annotated[
    str | None,
    option(
        "--report",
        panel=OUTPUT,
        metavar="FILE",
        help=help_text("Also write the run as one HTML page: command, shapes, picture, tables."),
    ),
]


@app.command(
    cls=Command,
    short_help=help_text("Compute A = ReLU(X·W + b) for a layer or a network, every step shown."),
    help=help_text(
        "Compute A = ReLU(X·W + b) and show every step; repeat -w/-b (or give --model, "
        "or --neurons 4,3,2) for a network.\n\n"
        "On a terminal it draws a table per stage; piped (or with --format) it writes "
        "only A, every value exact. Without -w and -b, W and b are drawn from --seed.\n\n"
        "Example: nncalc forward samples/batch/inputs.csv -w samples/batch/weights.csv "
        "-b samples/batch/biases.csv"
    ),
)
@guarded
@takes
def forward(
    inputs: InputsArg = None,
    *,
    read: InputFlags,
    net: NetworkFlags,
    fmt: OutFmt = None,
    output: Output = None,
    out_dir: OutDir = None,
    force: Force = False,
    show: Show = "all",
    layers: Layers = None,
    upto: Upto = None,
    argmax: Argmax = False,
    classes: Classes = None,
    threshold: Threshold = None,
    precision: Precision = 4,
    report_file: Report = None,
    save_params: SaveParams = None,
    save_model: SaveModel = None,
    show_recipe: ShowRecipe = False,
    engine: EngineFlags,
    general: GeneralFlags,
) -> None:
    """The ``forward`` command (its help is the ``help=`` text above)."""
    del general  # --max-memory acts as it is parsed
    names = stdin_default(inputs, net.params)
    distinct_outputs(
        {
            "-o": output,
            "--report": report_file,
            "--save-params": save_params,
            "--save-model": save_model,
        }
    )
    names_of_classes = class_names(classes)
    req = request_of(net, read)
    job = Job(
        req=req,
        dtype=net.dtype.value if net.dtype else None,
        verbose=read.verbose,
        force=force,
        save_params=save_params,
        show_recipe=show_recipe,
        save_model=save_model,
        upto=upto,
        argmax=argmax or names_of_classes is not None,
        classes=names_of_classes,
        reads=class_file(classes),
        threshold=threshold,
    )
    view = View(stages=stages_of(show), layers=layer_list(layers), precision=precision)
    target = Target(
        names=tuple(names),
        fmt=fmt.value if fmt else None,
        output=output,
        out_dir=out_dir,
        report=report_file,
        view=view,
        stdout_tty=stdout_is_tty(),
        engine=engine.engine.value,
        scheduler=engine.scheduler,
        workers=engine.workers,
        blocksize=engine.blocksize,
        storage_options=engine.storage_options,
    )
    # -o, --report and --save-* of one run are put in place together, or none is; then
    # nothing the user waits for is left, so a signal after the commit cannot turn a
    # finished run into exit 130
    with Transaction(final=is_console()) as tx:
        result = run(job, target, hooks(), tx)
        if result.drawn is not None:
            print_items(result.drawn.items, output, job.force, result.drawn.protect, tx=tx)
    if result.outcomes is not None:
        show_outcomes(result.outcomes, parts=result.parts)
        if any(o.error for o in result.outcomes):
            raise typer.Exit(int(ExitStatus.DATA))


def distinct_outputs(named: dict[str, str | None]) -> None:
    """Two of a run's outputs naming one file would leave only the last one written."""
    seen: dict[str, str] = {}
    for flag, path in named.items():
        if path is None or path == "-":
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(
                _("{first} and {second} both name {path}: give each its own file").format(
                    first=seen[key], second=flag, path=path
                )
            )
        seen[key] = flag


def class_file(value: str | None) -> tuple[str, ...]:
    """The --classes file, when it names one (an output must never replace it)."""
    return (value,) if value is not None and os.path.isfile(value) else ()


def class_names(value: str | None) -> tuple[str, ...] | None:
    """--classes as a comma list, or a file of one name per line when such a file exists."""
    if value is None:
        return None
    if os.path.isfile(value):
        from nncalc.formats.names import read_names

        names = read_names(value)
    else:
        names = [v.strip() for v in value.split(",")]
    if not names or any(not n for n in names):
        raise UsageError(
            _("--classes needs names separated by commas, got {value}").format(value=repr(value))
        )
    return tuple(names)


LAYERS_FROM_1 = N_("--layers takes layer numbers from 1, like 2,3; got {value}")


def layer_list(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        picked = [int(v) for v in value.split(",") if v.strip() and v.strip().isascii()]
        if len(picked) != len([v for v in value.split(",") if v.strip()]):
            raise ValueError(value)
    except ValueError:
        raise UsageError(_(LAYERS_FROM_1).format(value=repr(value))) from None
    if not picked or min(picked) < 1:
        raise UsageError(_(LAYERS_FROM_1).format(value=repr(value)))
    return picked
