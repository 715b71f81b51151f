"""One command surface: every command that takes X has the whole Input group, every
command that takes a network the whole Network group, every command the General one;
help reads at 80 columns; ``draw``/``inspect``/``shapes`` and ``forward`` agree on what
a network is, with or without X."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nncalc.cli import app
from nncalc.cli.options import GeneralFlags, InputFlags, NetworkFlags
from tests.conftest import ROOT, SAMPLES, assert_one_error_line, run_nncalc

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "100"}

TAKES_X = {"forward", "shapes", "explain", "draw", "evaluate"}
TAKES_NETWORK = {"forward", "shapes", "explain", "draw", "inspect", "evaluate"}
COMMANDS = {"forward", "shapes", "explain", "draw", "inspect", "random", "demo", "evaluate"}


def params_of(name: str) -> set[str]:
    command = typer.main.get_command(app)
    sub = command.commands[name]  # type: ignore[attr-defined]
    return {p.name for p in sub.params}


def fields(group: type) -> set[str]:
    return {f.name for f in dataclasses.fields(group)}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_its_groups(name: str) -> None:
    have = params_of(name)
    assert fields(GeneralFlags) <= have, name
    if name in TAKES_X:
        assert fields(InputFlags) <= have, (name, fields(InputFlags) - have)
    if name in TAKES_NETWORK:
        assert fields(NetworkFlags) <= have, (name, fields(NetworkFlags) - have)


def test_the_test_knows_every_command() -> None:
    command = typer.main.get_command(app)
    assert set(command.commands) >= COMMANDS  # type: ignore[attr-defined]


def test_draw_takes_the_read_options_forward_takes(tmp_path: Path) -> None:
    # the example: `draw` said "No such option: --skip-rows"
    out = tmp_path / "net.svg"
    r = run_nncalc("draw", str(SAMPLES / "real/iris.csv"), "--skip-rows", "1", "--columns",
                   "1-4", "--neurons", "3", "--seed", "0", "-o", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("<svg")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["", *sorted(COMMANDS)])
def test_help_reads_at_80_columns(name: str, lang: str) -> None:
    from rich.cells import cell_len  # a Chinese character is two columns wide

    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR",)}
    env["COLUMNS"] = "80"
    args = ["--lang", lang, *([name] if name else []), "--help"]
    out = subprocess.run([sys.executable, "-m", "nncalc", *args], capture_output=True,
                         text=True, env=env, cwd=ROOT, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Usage: nncalc" if lang == "en" else "用法：nncalc")
    assert "…" not in out.stdout
    assert max(cell_len(line) for line in lines) <= 80
    assert "{" not in lines[0]  # `random` showed {rows}


def test_format_help_names_every_choice() -> None:
    r = runner.invoke(app, ["forward", "--help"], env={**ENV, "COLUMNS": "200"})
    from nncalc.cli.options import OutFormat

    text = " ".join(r.stdout.split())
    for choice in OutFormat:
        assert choice.value in text


def test_random_help_says_what_the_seed_seeds() -> None:
    r = runner.invoke(app, ["random", "--help"], env={**ENV, "COLUMNS": "200"})
    assert "Seed for the matrix" in r.stdout and "W/b" not in r.stdout


# -- one rule for the network, with or without X ------------------------------------------
def network_json(*args: str) -> dict[str, object]:
    r = run_nncalc("inspect", *args, "-f", "json")
    assert r.returncode == 0, r.stderr
    doc: dict[str, object] = json.loads(r.stdout)
    return doc


def test_a_one_row_w_with_a_scalar_b_is_refused_without_x(tmp_path: Path) -> None:
    w = tmp_path / "w.csv"
    w.write_text("0.2,0.8,-0.5\n")
    # with X, forward reads one neuron of three inputs
    r = run_nncalc("forward", "1,2,3", "-w", str(w), "-b", "2")
    assert r.stdout.decode().strip() == "2.3"
    # without X, either reading fits: said, with how to choose
    for cmd in (["inspect"], ["draw", "-o", str(tmp_path / "n.svg")]):
        r = run_nncalc(*cmd, "-w", str(w), "-b", "2")
        line = assert_one_error_line(r, 2, "fits two networks")
        assert "--inputs 3" in line and "--inputs 1" in line
    doc = network_json("-w", str(w), "-b", "2", "--inputs", "3")
    assert (doc["inputs"], doc["outputs"]) == (3, 1)  # as forward reads it beside X


def test_b_length_decides_a_one_row_w(tmp_path: Path) -> None:
    w = tmp_path / "w.csv"
    w.write_text("0.2,0.8,-0.5\n")
    doc = network_json("-w", str(w), "-b", "1,2,3")
    assert (doc["inputs"], doc["outputs"]) == (1, 3)
    r = run_nncalc("forward", "2", "-w", str(w), "-b", "1,2,3", "-f", "csv")
    assert r.returncode == 0 and r.stdout.decode().strip() == "1.4,3.6,2.0"


def test_draw_with_x_reads_w_as_forward_does(tmp_path: Path) -> None:
    import nncalc.diagram as diagram

    w = tmp_path / "w.csv"
    w.write_text("0.2,0.8,-0.5\n")
    seen: list[tuple[int, int]] = []
    real = diagram.picture

    def spy(net, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((net.n, net.p))
        return real(net, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(diagram, "picture", spy)
        r = runner.invoke(app, ["draw", "1,2,3", "-w", str(w), "-b", "2", "-o",
                                str(tmp_path / "n.svg")], env=ENV)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert seen == [(3, 1)]  # 3→1, as `forward 1,2,3 -w w.csv -b 2` reads it


def test_a_drawn_network_needs_only_its_input_width(tmp_path: Path) -> None:
    out = tmp_path / "big.svg"
    r = run_nncalc("draw", "--neurons", "128,64,10", "--seed", "0", "-o", str(out))
    assert_one_error_line(r, 2, "--inputs N")
    r = run_nncalc("draw", "--neurons", "128,64,10", "--seed", "0", "--inputs", "784",
                   "-o", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr and out.exists()
    doc = network_json("--neurons", "128,64,10", "--seed", "0", "--inputs", "784")
    assert (doc["inputs"], doc["outputs"], doc["params"]) == (
        784,
        10,
        784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10,
    )
    r = run_nncalc("shapes", "--neurons", "4,3", "--seed", "0", "--inputs", "5", "-f", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["ok"]


def test_inputs_must_agree_with_x() -> None:
    r = run_nncalc("forward", "1,2,3", "--neurons", "2", "--seed", "0", "--inputs", "4")
    assert_one_error_line(r, 2, "--inputs 4")


def test_drawn_network_without_x_equals_forwards(tmp_path: Path) -> None:
    # the same seed draws the same layers whether X says n or --inputs does
    from nncalc import load_model
    from nncalc.operands import Request
    from nncalc.runner.hooks import Hooks
    from nncalc.runner.whole import load_whole

    saved = tmp_path / "a.json"
    r = run_nncalc("forward", str(SAMPLES / "batch/inputs.csv"), "--neurons", "2,2", "--seed",
                   "1", "--save-model", str(saved), "-f", "csv")  # fmt: skip
    assert r.returncode == 0, r.stderr
    alone, _ = load_whole(Request(neurons=(2, 2), seed=1, n_inputs=3), Hooks()).ops.network()
    for mine, theirs in zip(alone, load_model(str(saved)), strict=True):
        assert mine.w.tobytes() == theirs.w.tobytes()
        assert mine.bias.tobytes() == theirs.bias.tobytes()


# -- the library speaks Python, the CLI flags -------------------------------------------
def test_the_library_hints_in_python() -> None:
    code = (
        "import nncalc, numpy as np\n"
        "try:\n"
        "    nncalc.forward([[1.0, 2.0, 3.0]], np.ones((2, 3)), [1.0, 2.0])\n"
        "except nncalc.ShapeError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout  # fmt: skip
    assert 'layout="out-in"' in out and "--layout" not in out


def test_the_cli_hints_in_flags(tmp_path: Path) -> None:
    r = run_nncalc("forward", "1,2,3", "-w", "1,1,1;2,2,2", "-b", "1,2")
    assert_one_error_line(r, 1, "--layout out-in")


# -- what a piped run used to ignore ------------------------------------------------------
@pytest.mark.parametrize(
    "extra, text",
    [(["--show", "nope"], "--show takes"), (["--layers", "a"], "--layers takes"),
     (["--layers", "3"], "--layers 3")],
)  # fmt: skip
def test_piped_runs_check_table_options(extra: list[str], text: str) -> None:
    r = run_nncalc("forward", str(SAMPLES / "batch/inputs.csv"), "-w",
                   str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv"),
                   *extra)  # fmt: skip
    assert r.returncode in (1, 2)
    assert_one_error_line(r, r.returncode, text)
    assert r.stdout == b""


@pytest.mark.parametrize("cmd", [["random", "2", "2", "--seed", "0"], ["demo"]])
def test_max_memory_on_every_command(cmd: list[str]) -> None:
    r = run_nncalc(*cmd, "--max-memory", "64M")
    assert r.returncode == 0, r.stderr


def test_a_bad_budget_in_the_environment_is_replaced_by_the_flag() -> None:
    env = {"NNCALC_MAX_MEMORY": "lots"}
    assert run_nncalc("--help", env=env).returncode == 0
    assert run_nncalc("forward", "--help", env=env).returncode == 0
    r = run_nncalc("forward", "1,2", "-w", "1,1", "-b", "0", "--max-memory", "1G", env=env)
    assert r.returncode == 0, r.stderr
    r = run_nncalc("forward", "1,2", "-w", "1,1", "-b", "0", env=env)
    assert_one_error_line(r, 2, "NNCALC_MAX_MEMORY")


def test_parquet_is_never_written_onto_a_terminal() -> None:
    from nncalc.runner.forward import Target, check

    check(Target(names=("x.csv",), fmt="parquet"))  # fine: where it goes is decided later
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "nncalc", "forward", str(SAMPLES / "batch/inputs.csv"), "-w",
             str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv"),
             "-f", "parquet"],
            stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT,
            timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 2
    assert b"-o" in proc.stderr and b"Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "option, typed, expect",
    [("--layout", "o", "out-in"), ("--init", "x", "xavier"), ("--dtype", "float3", "float32"),
     ("--engine", "da", "dask"), ("--input-format", "nd", "ndjson"),
     ("--activation", "relu,so", "relu,softmax"), ("--format", "nd", "ndjson")],
)  # fmt: skip
def test_tab_completion_offers_fixed_values(option: str, typed: str, expect: str) -> None:
    env = {**os.environ, "_NNCALC_COMPLETE": "complete_bash",
           "COMP_WORDS": f"nncalc forward {option} {typed}", "COMP_CWORD": "3"}  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "nncalc"], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=False)  # fmt: skip
    assert expect in out.stdout.split(), (out.stdout, out.stderr)


def test_install_completion_into_a_read_only_home() -> None:
    r = run_nncalc("--install-completion", env={"HOME": "/sys", "SHELL": "/bin/bash"})
    assert_one_error_line(r, 1, "cannot install tab completion")


def test_a_network_too_big_for_the_machine_is_a_budget_refusal() -> None:
    r = run_nncalc("forward", "1,2", "--neurons", "100000,100000", "--seed", "0")
    assert_one_error_line(r, 1, "100000×100000")
    r = run_nncalc("random", "100000", "100000", "--seed", "1")
    assert_one_error_line(r, 1, "100000×100000")


def test_w_without_b_draws_b_and_says_so_everywhere(tmp_path: Path) -> None:
    # as forward does: b is drawn for W's neurons, and never silently
    w = str(SAMPLES / "batch/weights.csv")
    for cmd in (["inspect", "-f", "json"], ["draw", "-o", str(tmp_path / "n.svg")]):
        r = run_nncalc(*cmd, "-w", w, "--seed", "0")
        assert r.returncode == 0, r.stderr
        assert b"no -b given: b drawn" in r.stderr


def test_a_shape_error_carries_its_fix_as_data() -> None:
    import nncalc
    from nncalc.errors import Hint

    with pytest.raises(nncalc.ShapeError) as info:
        nncalc.forward([[1.0, 2.0, 3.0]], [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], [1.0, 2.0])
    hint = info.value.hint
    assert isinstance(hint, Hint) and (hint.option, hint.value) == ("layout", "out-in")
    assert hint.flag == "--layout out-in" and hint.keyword == 'layout="out-in"'


def test_out_dir_names_outputs_after_the_input_without_its_suffixes(tmp_path: Path) -> None:
    import gzip

    data = (SAMPLES / "batch/inputs.csv").read_bytes()
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(data))
    (tmp_path / "c.csv").write_bytes(data)
    out = tmp_path / "out"
    r = run_nncalc("forward", str(tmp_path / "b.csv.gz"), str(tmp_path / "c.csv"), "-w",
                   str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv"),
                   "--out-dir", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["b.csv", "c.csv"]
    assert (out / "b.csv").read_bytes() == (out / "c.csv").read_bytes()


def test_the_classes_file_is_an_input(tmp_path: Path) -> None:
    classes = tmp_path / "cls.txt"
    classes.write_text("a\nb\n")
    r = run_nncalc("forward", str(SAMPLES / "batch/inputs.csv"), "-w",
                   str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv"),
                   "--classes", str(classes), "-o", str(classes))  # fmt: skip
    assert_one_error_line(r, 2, "refusing to overwrite")
    assert classes.read_text() == "a\nb\n"


# -- the run's outputs commit together (issue 23 items 4, 5) ------------------------------
def test_a_report_that_fails_leaves_the_old_output(tmp_path: Path) -> None:
    out, report = tmp_path / "a.csv", tmp_path / "r.html"
    out.write_text("old\n")
    report.symlink_to("/dev/full")  # a device is written in place: the write fails, ENOSPC
    r = run_nncalc("forward", str(SAMPLES / "batch/inputs.csv"), "-w",
                   str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv"),
                   "-o", str(out), "--report", str(report), "--save-params",
                   str(tmp_path / "p.json"))  # fmt: skip
    assert_one_error_line(r, 1)
    assert out.read_text() == "old\n"
    assert not (tmp_path / "p.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "r.html"]


def test_out_dir_never_follows_a_planted_link(tmp_path: Path) -> None:
    od, victim = tmp_path / "od", tmp_path / "victim.txt"
    od.mkdir()
    victim.write_text("keep me\n")
    (od / "inputs.csv").symlink_to(victim)
    r = run_nncalc("forward", str(SAMPLES / "batch/inputs.csv"), "-w",
                   str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv"),
                   "--out-dir", str(od))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "keep me\n"
    assert not (od / "inputs.csv").is_symlink()


def test_an_in_process_run_keeps_the_callers_signals(tmp_path: Path) -> None:
    # the console script may ignore Ctrl-C once a run is committed; a test runner or a
    # notebook calling the app must keep its own handlers (and pass them to children)
    import signal

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    r = runner.invoke(app, ["forward", str(SAMPLES / "batch/inputs.csv"), "-w",
                            str(SAMPLES / "batch/weights.csv"), "-b",
                            str(SAMPLES / "batch/biases.csv"), "-o", str(tmp_path / "a.csv")],
                      env=ENV)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_files_a_model_names_are_inputs(tmp_path: Path, fmt: str) -> None:
    import shutil

    net = tmp_path / "net"
    shutil.copytree(SAMPLES / "network", net)
    before = (net / "w2.csv").read_bytes()
    r = run_nncalc("forward", str(SAMPLES / "batch/inputs.csv"), "--model",
                   str(net / "net.json"), "-f", fmt, "-o", str(net / "w2.csv"))  # fmt: skip
    assert_one_error_line(r, 2, "refusing to overwrite")
    assert (net / "w2.csv").read_bytes() == before
