"""The CLI through Typer's CliRunner; each data case both through a file and stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from nncalc import forward
from nncalc.cli import app
from nncalc.examples import ALL
from nncalc.formats import read_matrix
from nncalc.render import num
from tests.conftest import SAMPLES

runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
EXAMPLES = ["one-neuron", "layer", "batch"]


def invoke(*args: str | Path, stdin: bytes | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], input=stdin, env=ENV)


def operands(name: str, via: str) -> tuple[list[str], bytes | None]:
    d = SAMPLES / name
    x = "-" if via == "stdin" else str(d / "inputs.csv")
    stdin = (d / "inputs.csv").read_bytes() if via == "stdin" else None
    return [x, "-w", str(d / "weights.csv"), "-b", str(d / "biases.csv")], stdin


def parse_csv(text: str) -> np.ndarray:
    return read_matrix(io.BytesIO(text.encode()), "out").values


@pytest.mark.parametrize("via", ["file", "stdin"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_worked_examples_as_csv(name: str, via: str) -> None:
    args, stdin = operands(name, via)
    r = invoke("forward", *args, stdin=stdin)
    assert r.exit_code == 0, r.stderr
    ex = ALL[name]
    got = parse_csv(r.stdout)
    np.testing.assert_allclose(got.ravel(), np.ravel(ex["a"]), atol=1e-12)
    # and exactly what the API computes, bit for bit
    api = forward(np.atleast_2d(ex["x"]), ex["w"], ex["b"]).a
    assert got.tobytes() == api.tobytes()


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_batch_example_as_tables(via: str) -> None:
    args, stdin = operands("batch", via)
    r = invoke("forward", *args, "--format", "table", stdin=stdin)
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    for title in (
        "Shapes: m=3, n=3, p=2",
        "X  inputs (3×3)",
        "W  weights (3×2)",
        "b  biases (2,)",
        "Z = X·W + b (3×2)",
        "A = ReLU(Z) (3×2)",
    ):
        assert title in out
    assert "3 samples, 3 features" in out and "3 inputs → 2 neurons" in out
    z_row = next(line for line in out.splitlines() if "-0.06" in line)
    assert "-0.03" in z_row
    assert "0.42" in out and "0.59" in out and "ReLU clipped 2 of 6 values to 0 (dimmed)" in out
    assert "\x1b[" not in out


def test_show_and_precision() -> None:
    args, _ = operands("batch", "file")
    r = invoke("forward", *args, "-f", "table", "--show", "z", "--precision", "17")
    assert "Z = X·W + b" in r.stdout and "A = ReLU" not in r.stdout
    assert "0.059999999999999887" in r.stdout
    r = invoke("forward", *args, "-f", "table", "--show", "q")
    assert r.exit_code == 2 and "--show takes" in r.stderr


def test_json_output_parses_back_exactly() -> None:
    args, _ = operands("batch", "file")
    r = invoke("forward", *args, "--format", "json")
    ex = ALL["batch"]
    assert (
        np.array(json.loads(r.stdout)).tobytes() == forward(ex["x"], ex["w"], ex["b"]).a.tobytes()
    )


def test_single_sample_json_is_a_flat_list() -> None:
    r = invoke(
        "forward",
        "-",
        "-w",
        SAMPLES / "layer/weights.csv",
        "-b",
        "0.5",
        "--format",
        "json",
        stdin=b"[-0.9, -0.5, -0.7]",
    )
    # "-b 0.5" is a number (issue 14); a file named 0.5 would win (tests/test_realdata.py)
    assert r.exit_code == 0, r.stderr
    assert isinstance(json.loads(r.stdout)[0], float)
    r = invoke(
        "forward",
        "-",
        "-w",
        SAMPLES / "layer/weights.csv",
        "-b",
        SAMPLES / "layer/biases.csv",
        "--format",
        "json",
        stdin=b"[-0.9, -0.5, -0.7]",
    )
    assert json.loads(r.stdout) == pytest.approx([0.0, 0.03], abs=1e-12)


def test_params_file_holds_everything() -> None:
    r = invoke("forward", "--params", SAMPLES / "batch/network.json", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    np.testing.assert_allclose(parse_csv(r.stdout), ALL["batch"]["a"], atol=1e-12)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson"])
def test_every_output_format_round_trips(fmt: str) -> None:
    args, _ = operands("batch", "file")
    r = invoke("forward", *args, "-f", fmt)
    back = read_matrix(io.BytesIO(r.stdout.encode()), f"a.{fmt}").values
    ex = ALL["batch"]
    assert back.tobytes() == forward(ex["x"], ex["w"], ex["b"]).a.tobytes()


def test_shape_mismatch_is_explained(tmp_path: Path) -> None:
    x = tmp_path / "inputs.csv"
    x.write_text("1,2,3,4\n5,6,7,8\n9,10,11,12\n")
    r = invoke(
        "forward", x, "-w", SAMPLES / "batch/weights.csv", "-b", SAMPLES / "batch/biases.csv"
    )
    assert r.exit_code == 1
    assert (
        f"{x} is 3×4 (3 samples, 4 features) but {SAMPLES}/batch/weights.csv is 3×2 "
        "(3 inputs → 2 neurons)" in r.stderr
    )
    assert len(r.stderr.strip().splitlines()) == 1


def test_streamed_mismatch_counts_all_samples(tmp_path: Path) -> None:
    x = tmp_path / "x.csv"
    x.write_text("1,2\n" * 3)
    w = tmp_path / "w.csv"
    w.write_text("1,2\n3,4\n5,6\n")
    r = invoke("forward", x, "-w", w, "-b", SAMPLES / "batch/biases.csv")
    assert "is 3×2 (3 samples, 2 features)" in r.stderr
    assert "looks transposed" in r.stderr


def test_layout_out_in(tmp_path: Path) -> None:
    w = tmp_path / "w.csv"
    w.write_text("0.8,-0.4,0\n0.7,-0.6,0.2\n")
    args = [SAMPLES / "batch/inputs.csv", "-w", w, "-b", SAMPLES / "batch/biases.csv"]
    r = invoke("forward", *args)
    assert r.exit_code == 1 and "try --layout out-in" in r.stderr
    r = invoke("forward", *args, "--layout", "out-in")
    assert r.exit_code == 0
    np.testing.assert_allclose(parse_csv(r.stdout), ALL["batch"]["a"], atol=1e-12)
    assert invoke("forward", *args, "--layout", "sideways").exit_code == 2


# -- generated parameters ---------------------------------------------------------------
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_seed_promise_through_forward(seed: int, p: int) -> None:
    x = np.array(ALL["batch"]["x"])
    r = invoke("forward", SAMPLES / "batch/inputs.csv", "--neurons", str(p), "--seed", str(seed))
    np.random.seed(seed)
    w = np.random.randn(3, p)
    b = np.random.randn(p)
    assert parse_csv(r.stdout).tobytes() == forward(x, w, b).a.tobytes()


def test_missing_b_is_drawn_alone_and_p_inferred() -> None:
    r = invoke(
        "forward",
        SAMPLES / "batch/inputs.csv",
        "-w",
        SAMPLES / "batch/weights.csv",
        "--seed",
        "5",
        "--show-recipe",
    )
    assert "np.random.seed(5); b = np.random.randn(2)" in r.stderr
    b = np.random.RandomState(5).randn(2)
    ex = ALL["batch"]
    assert parse_csv(r.stdout).tobytes() == forward(ex["x"], ex["w"], b).a.tobytes()


def test_missing_neurons_is_a_usage_error() -> None:
    r = invoke("forward", SAMPLES / "batch/inputs.csv")
    assert r.exit_code == 2 and "add --neurons P" in r.stderr


def test_fresh_seed_is_shown() -> None:
    r = invoke("forward", SAMPLES / "batch/inputs.csv", "-p", "2")
    assert r.exit_code == 0 and "np.random.seed(" in r.stderr


@pytest.mark.parametrize("recipe", ["randn", "nnfs", "he", "xavier", "torch", "uniform", "zeros"])
def test_every_init_in_captions(recipe: str) -> None:
    r = invoke(
        "forward",
        SAMPLES / "batch/inputs.csv",
        "-p",
        "2",
        "--seed",
        "1",
        "--init",
        recipe,
        "-f",
        "table",
        "--show",
        "w",
    )
    assert f"init {recipe}, seed 1: np.random.seed(1); W = " in r.stdout.replace("\n", "")


def test_unknown_init() -> None:
    r = invoke("forward", SAMPLES / "batch/inputs.csv", "-p", "2", "--init", "glorot")
    # a fixed set of choices: click names them (and tab completion offers them)
    assert r.exit_code == 2 and "'glorot' is not one of 'randn'" in r.stderr


@pytest.mark.parametrize("ext", ["json", "npz"])
def test_saved_params_replay_bit_for_bit(tmp_path: Path, ext: str) -> None:
    saved = tmp_path / f"params.{ext}"
    x = SAMPLES / "batch/inputs.csv"
    first = invoke("forward", x, "-p", "3", "--seed", "9", "--init", "he", "--save-params", saved)
    assert first.exit_code == 0, first.stderr
    again = invoke("forward", x, "--params", saved)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout


# -- random -----------------------------------------------------------------------------
def test_random_matches_numpy() -> None:
    r = invoke("random", "3", "2", "--seed", "0")
    np.random.seed(0)
    assert parse_csv(r.stdout).tobytes() == np.random.randn(3, 2).tobytes()
    r = invoke("random", "4", "--seed", "0", "-f", "json")
    np.random.seed(0)
    assert np.array(json.loads(r.stdout)).tobytes() == np.random.randn(4).tobytes()
    r = invoke("random", "2", "2", "--seed", "3", "--scale", "0.01", "--uniform", "-f", "table")
    assert "np.random.seed(3); 0.01 * np.random.uniform(-1, 1, (2, 2))" in r.stdout


@pytest.mark.parametrize(
    ("args", "what", "code"),
    [
        (["0", "3"], "positive", 2),
        (["3", "--seed", "-1"], "--seed must be", 2),
        (["100000", "100000"], "GiB", 1),  # too big: a budget refusal, as every other is
        (["x"], "not a valid int", 2),
    ],
)
def test_random_bad_sizes(args: list[str], what: str, code: int) -> None:
    r = invoke("random", *args)
    assert r.exit_code == code and what in r.stderr


# -- shapes and explain ------------------------------------------------------------------
def test_shapes_json_verdict() -> None:
    args, _ = operands("batch", "file")
    r = invoke("shapes", *args, "-f", "json")
    verdict = json.loads(r.stdout)
    assert verdict["ok"] and (verdict["m"], verdict["n"], verdict["p"]) == (3, 3, 2)


@pytest.mark.parametrize(
    ("x", "w", "b", "hint"),
    [
        (
            "1,2,3\n4,5,6\n",
            "0.8,-0.4,0\n0.7,-0.6,0.2\n",
            "0.5,0.5",
            "looks transposed: try --layout",
        ),
        ("1,2\n3,4\n5,6\n", "1,2\n3,4\n5,6\n", "0.5,0.5", "inputs.csv looks transposed"),
        ("1,2,3\n4,5,6\n", "0.8,0.7\n-0.4,-0.6\n0,0.2\n", "1,2,3", "one value per feature"),
    ],
)
def test_shapes_hints_for_the_three_common_mistakes(
    tmp_path: Path, x: str, w: str, b: str, hint: str
) -> None:
    for name, text in (("inputs.csv", x), ("weights.csv", w), ("biases.csv", b)):
        (tmp_path / name).write_text(text)
    operands = [tmp_path / "inputs.csv", "-w", tmp_path / "weights.csv",
                "-b", tmp_path / "biases.csv"]  # fmt: skip
    r = invoke("shapes", *operands, "-f", "table")
    assert r.exit_code == 1
    text = " ".join(r.stdout.split())
    assert "X·W + b is not defined" in text and hint in text and "undefined" in text
    j = json.loads(invoke("shapes", *operands, "-f", "json").stdout)
    assert not j["ok"] and hint in " ".join(str(p["hint"]) for p in j["problems"])


def test_explain_the_board_example() -> None:
    args, _ = operands("layer", "file")
    r = invoke("explain", *args)
    assert (
        "z2 = a1·w12 + a2·w22 + a3·w32 + b2\n"
        "   = (-0.9)(0.7) + (-0.5)(-0.6) + (-0.7)(0.2) + 0.5 = 0.03 → ReLU → 0.03\n" in r.stdout
    )
    assert (
        "z1 = a1·w11 + a2·w21 + a3·w31 + b1\n"
        "   = (-0.9)(0.8) + (-0.5)(-0.4) + (-0.7)(0) + 0.5 = -0.02 → ReLU → 0\n" in r.stdout
    )
    assert ": 3 features, 2 neurons" in r.stdout
    args, _ = operands("one-neuron", "file")
    assert ": 3 features, 1 neuron\n" in invoke("explain", *args).stdout


@given(st.integers(0, 1000), st.integers(1, 12), st.integers(1, 3))
def test_explain_agrees_with_forward(seed: int, n: int, p: int) -> None:
    x = np.random.RandomState(seed).standard_normal((2, n))
    buf = ",".join(repr(float(v)) for v in x[1]).encode()
    r = invoke("explain", "-", "-p", str(p), "--seed", str(seed), "-s", "0", stdin=buf)
    assert r.exit_code == 0, r.stderr
    np.random.seed(seed)
    w, b = np.random.randn(n, p), np.random.randn(p)
    z = forward(x[1:], w, b).z[0]
    for j in range(p):
        lines = r.stdout.splitlines()
        k = next(k for k, t in enumerate(lines) if t.startswith(f"z{j + 1} = a1·w1"))
        line = lines[k + 1]  # the numbers under the names
        assert f"= {num(z[j])} → ReLU → {num(max(z[j], 0.0))}" in line
        if n > 8:
            assert "…" in line


def test_explain_never_rounds_a_sign_away(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("1e-20\n")
    (tmp_path / "w.csv").write_text("-1\n")
    r = invoke("explain", tmp_path / "x.csv", "-w", tmp_path / "w.csv", "-b", tmp_path / "w.csv")
    assert "= -1 → ReLU → 0" in r.stdout


def test_explain_index_out_of_range() -> None:
    args, _ = operands("batch", "file")
    r = invoke("explain", *args, "--neuron", "7")
    assert r.exit_code == 2 and "--neuron 7 is out of range: there are 2 neurons" in r.stderr


def test_demo_draws_every_table() -> None:
    r = invoke("demo")
    assert r.exit_code == 0
    for title in (
        "Shapes: m=3",
        "X  inputs",
        "W  weights",
        "b  biases",
        "Z = X·W + b",
        "A = ReLU(Z)",
    ):
        assert title in r.stdout


@pytest.mark.parametrize("command", ["forward", "shapes", "explain", "random", "demo"])
def test_every_command_has_help(command: str) -> None:
    r = invoke(command, "--help")
    assert r.exit_code == 0 and "Usage" in r.stdout
    if command != "demo":
        assert "nncalc " in r.stdout  # an example to copy


# -- real-world input -------------------------------------------------------------------
def test_header_in_gives_header_out(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b,c\n-0.9,-0.4,-0.7\n")
    r = invoke(
        "forward",
        tmp_path / "x.csv",
        "-w",
        SAMPLES / "batch/weights.csv",
        "-b",
        SAMPLES / "batch/biases.csv",
    )
    assert r.stdout.splitlines()[0] == "n0,n1"  # as the tables name them (issue 14)
    (tmp_path / "w.csv").write_text("left,right\n0.8,0.7\n-0.4,-0.6\n0,0.2\n")
    r = invoke(
        "forward",
        tmp_path / "x.csv",
        "-w",
        tmp_path / "w.csv",
        "-b",
        SAMPLES / "batch/biases.csv",
        "-v",
    )
    assert r.stdout.splitlines()[0] == "left,right"
    assert "header a, b, c" in r.stderr


def test_verbose_says_what_was_detected() -> None:
    r = invoke(
        "forward",
        "-",
        "-w",
        SAMPLES / "batch/weights.csv",
        "-b",
        SAMPLES / "batch/biases.csv",
        "-v",
        stdin=b"1;2;3\n",
    )
    assert "stdin: format csv, delimiter semicolon, header none" in r.stderr


def test_float32(tmp_path: Path) -> None:
    args, _ = operands("batch", "file")
    r = invoke("forward", *args, "--dtype", "float32")
    ex = ALL["batch"]
    expected = forward(np.float32(ex["x"]), np.float32(ex["w"]), np.float32(ex["b"])).a
    # float32's own shortest forms (issue 14), which read back as the same float32 bits
    got = parse_csv(r.stdout).astype(np.float32)
    assert got.tobytes() == expected.tobytes()
    assert r.stdout.split()[0].split(",") == [str(v) for v in expected[0]]


# -- batch ------------------------------------------------------------------------------
def test_batch_outputs_equal_single_runs(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    names = []
    for k in range(3):
        f = tmp_path / f"in{k}.csv"
        f.write_text(
            "\n".join(",".join(map(repr, r)) for r in rng.standard_normal((50, 3)).tolist())
        )
        names.append(f)
    (tmp_path / "bad.csv").write_text("1,2,oops\n")
    wb = ["-w", SAMPLES / "batch/weights.csv", "-b", SAMPLES / "batch/biases.csv"]
    r = invoke("forward", *names, tmp_path / "bad.csv", *wb, "--out-dir", tmp_path / "out")
    assert r.exit_code == 1
    assert "bad.csv:1:5: 'oops' is not a number" in r.stderr
    for f in names:
        single = invoke("forward", f, *wb)
        assert (tmp_path / "out" / f.name).read_text() == single.stdout
    assert not (tmp_path / "out" / "bad.csv").exists()
    assert r.stderr.count("50×2") == 3 and r.stderr.count(" ok ") == 3


def test_several_inputs_need_out_dir() -> None:
    r = invoke("forward", SAMPLES / "batch/inputs.csv", SAMPLES / "layer/inputs.csv", "-p", "2")
    assert r.exit_code == 2 and "need --out-dir" in r.stderr


def test_unreadable_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # As root every file is readable, so make open() refuse the way it would for a user.
    from nncalc.operands import sources as operands

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(operands, "open", refuse, raising=False)
    r = invoke("forward", SAMPLES / "batch/inputs.csv", "-p", "2")
    assert r.exit_code == 1
    assert (
        r.stderr == f"nncalc: error: {SAMPLES}/batch/inputs.csv: permission denied "
        "(expected a readable file)\n"
    )


@pytest.mark.parametrize("ext", ["json", "npz"])
def test_saved_params_feed_w_and_b(tmp_path: Path, ext: str) -> None:
    saved = tmp_path / f"p.{ext}"
    x = SAMPLES / "batch/inputs.csv"
    first = invoke("forward", x, "-p", "2", "--seed", "4", "--save-params", saved)
    again = invoke("forward", x, "-w", saved, "-b", saved)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout


def test_progress_bar_for_a_large_input(monkeypatch: pytest.MonkeyPatch) -> None:
    from nncalc.cli import output as forward_cmd

    seen: list[int] = []
    monkeypatch.setattr(forward_cmd, "stderr_is_tty", lambda: True)
    monkeypatch.setattr(forward_cmd, "PROGRESS_MIN_BYTES", 0)
    real = forward_cmd.input_progress

    def spy(name, stack):  # type: ignore[no-untyped-def]
        report = real(name, stack)
        assert report is not None
        return lambda k: (seen.append(k), report(k))

    monkeypatch.setattr(forward_cmd, "input_progress", spy)
    args, _ = operands("batch", "file")
    r = invoke("forward", *args)
    assert r.exit_code == 0, r.stderr
    np.testing.assert_allclose(parse_csv(r.stdout), ALL["batch"]["a"], atol=1e-12)
    assert sum(seen) == (SAMPLES / "batch/inputs.csv").stat().st_size


def test_neurons_must_agree_with_given_weights() -> None:
    r = invoke(
        "forward",
        SAMPLES / "batch/inputs.csv",
        "-w",
        SAMPLES / "batch/weights.csv",
        "--neurons",
        "3",
        "--seed",
        "1",
    )
    assert r.exit_code == 2 and "--neurons 3 but" in r.stderr and "has 2 neurons" in r.stderr


def test_linear_activation_gives_z() -> None:
    args, _ = operands("batch", "file")
    r = invoke("forward", *args, "--activation", "linear")
    np.testing.assert_allclose(parse_csv(r.stdout), ALL["batch"]["z"], atol=1e-12)
    r = invoke("forward", *args, "--activation", "swish")
    assert r.exit_code == 2 and "unknown activation 'swish'" in r.stderr


def test_batch_draws_one_layer_for_every_input(tmp_path: Path) -> None:
    for k in range(2):
        (tmp_path / f"x{k}.csv").write_text("-0.9,-0.4,-0.7\n0.5,0.5,0.5\n")
    r = invoke(
        "forward",
        tmp_path / "x0.csv",
        tmp_path / "x1.csv",
        "-p",
        "3",
        "--out-dir",
        tmp_path / "out",
    )
    assert r.exit_code == 0, r.stderr
    assert "drawn for every input" in r.stderr
    assert (tmp_path / "out/x0.csv").read_text() == (tmp_path / "out/x1.csv").read_text()


def test_batch_output_folder_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    r = invoke(
        "forward",
        SAMPLES / "batch/inputs.csv",
        "-p",
        "2",
        "--seed",
        "1",
        "--out-dir",
        tmp_path / "file" / "out",
    )
    assert r.exit_code == 1 and "cannot create the output folder" in r.stderr


def test_output_format_from_the_file_name(tmp_path: Path) -> None:
    args, _ = operands("batch", "file")
    assert invoke("forward", *args, "-o", tmp_path / "a.json").exit_code == 0
    assert json.loads((tmp_path / "a.json").read_text())[2] == pytest.approx([0.42, 0.59])
    assert invoke("forward", *args, "-o", tmp_path / "a.txt").exit_code == 0
    assert (tmp_path / "a.txt").read_text().startswith("0.0,0.0\n")
    r = invoke("forward", *args, "-o", tmp_path / "a.npz")
    assert r.exit_code == 2 and "not .npz" in r.stderr and not (tmp_path / "a.npz").exists()
