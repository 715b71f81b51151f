"""Networks: the repeated-flag, model-file and seeded forms against numpy written out,
streaming equality, and every refusal as one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nncalc import Layer, Network, load_model
from nncalc.cli import app
from nncalc.formats import read_matrix
from nncalc.generate import make_network, network_lines
from tests.conftest import SAMPLES, assert_one_error_line, run_nncalc

S = SAMPLES / "batch"
X = np.loadtxt(S / "inputs.csv", delimiter=",")
W1 = np.loadtxt(S / "weights.csv", delimiter=",")
B1 = np.loadtxt(S / "biases.csv", delimiter=",")
W2 = np.array([[1.0, 0.5, -1.0], [0.2, 0.3, 0.1]])
B2 = np.array([0.0, 0.1, 0.2])


def invoke(*args: object, stdin: str | None = None):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin)


def parse(text: str) -> np.ndarray:
    return np.array([[float(v) for v in line.split(",")] for line in text.strip().splitlines()])


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def expected() -> np.ndarray:
    return softmax(np.maximum(X @ W1 + B1, 0) @ W2 + B2)


@pytest.fixture
def second_layer(tmp_path: Path) -> tuple[Path, Path]:
    w, b = tmp_path / "w2.csv", tmp_path / "b2.csv"
    np.savetxt(w, W2, delimiter=",")
    np.savetxt(b, B2[None], delimiter=",")
    return w, b


def test_repeated_flags_equal_numpy_written_out(second_layer: tuple[Path, Path]) -> None:
    w2, b2 = second_layer
    r = invoke("forward", S / "inputs.csv", "-w", S / "weights.csv", "-b", S / "biases.csv",
               "-w", w2, "-b", b2, "--activation", "relu,softmax")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    np.testing.assert_allclose(parse(r.stdout), expected(), rtol=1e-15, atol=0)


def test_model_file_paths_are_relative_to_it(
    tmp_path: Path, second_layer: tuple[Path, Path]
) -> None:
    sub = tmp_path / "model"
    sub.mkdir()
    (sub / "w1.csv").write_bytes((S / "weights.csv").read_bytes())
    model = {"layers": [
        {"weights": "w1.csv", "biases": [0.5, 0.5]},
        {"weights": W2.T.tolist(), "biases": B2.tolist(), "activation": "softmax",
         "layout": "out-in"},
    ]}  # fmt: skip
    (sub / "net.json").write_text(json.dumps(model))
    r = invoke("forward", S / "inputs.csv", "--model", sub / "net.json")
    assert r.exit_code == 0, r.stderr
    np.testing.assert_allclose(parse(r.stdout), expected(), rtol=1e-15, atol=0)
    net = load_model(str(sub / "net.json"))
    assert [layer.act.name for layer in net] == ["relu", "softmax"]


def test_biases_may_be_omitted_in_a_model(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps({"layers": [{"weights": W1.tolist()}]}))
    net = load_model(str(tmp_path / "m.json"))
    assert np.array_equal(net(X), np.maximum(X @ W1, 0))


@pytest.mark.parametrize(("sizes", "seed"), [([4, 3], 0), ([5, 1, 2], 7), ([2], 3)])
def test_seeded_network_equals_the_numpy_lines(sizes: list[int], seed: int) -> None:
    drawn = make_network(3, sizes, seed)
    ns: dict[str, object] = {"np": np}
    exec(network_lines(3, sizes, seed), ns)  # the very line nncalc prints
    for k, (w, b) in enumerate(drawn, 1):
        assert np.array_equal(w, ns[f"W{k}"]) and np.array_equal(b, ns[f"b{k}"])
    r = invoke("forward", S / "inputs.csv", "--neurons", ",".join(map(str, sizes)),
               "--seed", seed, "--activation", "linear")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    cur = X
    for w, b in drawn:
        cur = cur @ w + b
    assert np.array_equal(parse(r.stdout), cur)


def test_neurons_2_keeps_its_single_layer_meaning() -> None:
    r = invoke("forward", S / "inputs.csv", "--neurons", "2", "--seed", "0", "--show-recipe")
    assert "np.random.seed(0); W = np.random.randn(3, 2); b = np.random.randn(2)" in r.stderr


def test_show_recipe_prints_every_layer() -> None:
    r = invoke("forward", S / "inputs.csv", "--neurons", "4,3", "--seed", "0", "--show-recipe")
    assert ("np.random.seed(0); W1 = np.random.randn(3, 4); b1 = np.random.randn(4); "
            "W2 = np.random.randn(4, 3); b2 = np.random.randn(3)") in r.stderr  # fmt: skip


def test_save_params_carries_every_layer(tmp_path: Path) -> None:
    p = tmp_path / "p.json"
    a = invoke("forward", S / "inputs.csv", "--neurons", "4,3", "--seed", "5", "--save-params", p)
    b = invoke("forward", S / "inputs.csv", "--params", p)
    assert a.exit_code == 0 and b.exit_code == 0, (a.stderr, b.stderr)
    assert a.stdout == b.stdout
    assert json.loads(p.read_text())["meta"] == {"init": "randn", "seed": "5"}


def test_upto_argmax_and_classes(tmp_path: Path, second_layer: tuple[Path, Path]) -> None:
    w2, b2 = second_layer
    base = ["forward", S / "inputs.csv", "-w", S / "weights.csv", "-b", S / "biases.csv",
            "-w", w2, "-b", b2, "--activation", "relu,softmax"]  # fmt: skip
    r = invoke(*base, "--upto", "1")
    assert np.array_equal(parse(r.stdout), np.maximum(X @ W1 + B1, 0))
    want = np.argmax(expected(), axis=1)
    r = invoke(*base, "--argmax")
    assert r.stdout.split() == [str(i) for i in want]
    names = ["setosa", "versicolor", "virginica"]
    r = invoke(*base, "--classes", ",".join(names))
    assert r.stdout.split() == [names[i] for i in want]
    (tmp_path / "names.txt").write_text("\n".join(names) + "\n")
    r = invoke(*base, "--classes", tmp_path / "names.txt", "-f", "json")
    assert json.loads(r.stdout) == [names[i] for i in want]
    r = invoke(*base, "--classes", "a,b")
    assert r.exit_code == 2 and "--classes names 2 classes but the output has 3" in r.stderr
    r = invoke(*base, "--upto", "3")
    assert r.exit_code == 2 and "--upto 3: the network has 2 layers" in r.stderr


def test_ties_give_the_first_index() -> None:
    r = invoke("forward", S / "inputs.csv", "--neurons", "3", "--init", "zeros", "--argmax")
    assert r.stdout.split() == ["0", "0", "0"]


@pytest.mark.slow
@given(st.lists(st.integers(1, 700), min_size=1, max_size=8), st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_stream_equals_whole_run_however_chunked(cuts: list[int], seed: int) -> None:
    # a wide middle layer has a smaller row block than the others: groups must align to all
    rs = np.random.RandomState(seed)
    net = Network([Layer(rs.randn(6, 1500), rs.randn(1500)),
                   Layer(rs.randn(1500, 3), rs.randn(3), "tanh"),
                   Layer(rs.randn(3, 4), rs.randn(4), "softmax")])  # fmt: skip
    assert len({layer.step for layer in net}) > 1
    x = rs.randn(sum(cuts), 6)
    blocks = np.split(x, np.cumsum(cuts)[:-1])
    assert np.array_equal(np.concatenate(list(net.stream(blocks))), net(x))


def test_float32_and_batch_work_with_networks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "b.json").write_bytes((S / "inputs.json").read_bytes())
    r = invoke("forward", S / "inputs.csv", tmp_path / "b.json", "--neurons", "4,2", "--seed", "1",
               "--out-dir", out)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert (out / "inputs.csv").read_text() == invoke(
        "forward", S / "inputs.csv", "--neurons", "4,2", "--seed", "1").stdout  # fmt: skip
    r32 = invoke("forward", S / "inputs.csv", "--neurons", "4,2", "--seed", "1", "--dtype",
                 "float32", "--activation", "linear")  # fmt: skip
    drawn = make_network(3, [4, 2], 1)
    cur = X.astype(np.float32)
    for w, b in drawn:
        cur = cur @ w.astype(np.float32) + b.astype(np.float32)
    np.testing.assert_allclose(parse(r32.stdout), cur, rtol=1e-6)


def test_tables_show_the_chain_and_each_layer(second_layer: tuple[Path, Path]) -> None:
    w2, b2 = second_layer
    r = invoke("forward", S / "inputs.csv", "-w", S / "weights.csv", "-b", S / "biases.csv",
               "-w", w2, "-b", b2, "--activation", "relu,softmax", "-f", "table")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    for text in ("Network: 2 layers, m=3", "A1 │ ReLU(Z1)", "Z2 = A1·W2 + b2 (3×3)",
                 "A2 = softmax(Z2) (3×3)", "W1  weights (3×2)"):  # fmt: skip
        assert text in r.stdout, text
    r = invoke("forward", S / "inputs.csv", "-w", S / "weights.csv", "-b", S / "biases.csv",
               "-w", w2, "-b", b2, "-f", "table", "--layers", "2", "--show", "a")  # fmt: skip
    assert "A2 = ReLU(Z2)" in r.stdout and "A1" not in r.stdout


def test_shapes_names_the_layer_the_dimension_and_the_fix(tmp_path: Path) -> None:
    np.savetxt(tmp_path / "w2.csv", np.ones((3, 2)), delimiter=",")  # wants 3, gets 2
    np.savetxt(tmp_path / "b2.csv", np.ones((1, 2)), delimiter=",")
    args = ["shapes", S / "inputs.csv", "-w", S / "weights.csv", "-b", S / "biases.csv",
            "-w", tmp_path / "w2.csv", "-b", tmp_path / "b2.csv"]  # fmt: skip
    r = invoke(*args, "-f", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert not doc["ok"] and doc["problems"][0]["layer"] == 2
    msg = doc["problems"][0]["message"]
    assert (
        "layer 2:" in msg
        and "is 3×2, so it wants 3 values per sample, but layer 1 gives 2 (A1 is m×2)" in msg
    )
    assert doc["problems"][0]["hint"].endswith("transposed?")
    r = invoke(*args, "-f", "table")
    assert "the network is not defined" in r.stdout and "layer 2:" in r.stdout


def test_explain_a_later_layer_says_its_inputs_are_activations(
    second_layer: tuple[Path, Path],
) -> None:
    w2, b2 = second_layer
    r = invoke("explain", S / "inputs.csv", "-w", S / "weights.csv", "-b", S / "biases.csv",
               "-w", w2, "-b", b2, "--activation", "relu,softmax", "--layer", "2",
               "--sample", "2", "--neuron", "0")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "inputs are A1, layer 1's activations" in r.stdout
    assert "→ softmax: e^z = [" in r.stdout and "Σ =" in r.stdout
    r = invoke("explain", S / "inputs.csv", "--neurons", "2,1", "--seed", "0",
               "--activation", "relu,sigmoid", "--layer", "2")  # fmt: skip
    assert "→ sigmoid: 1 / (1 + e^(-(" in r.stdout
    r = invoke("explain", S / "inputs.csv", "--neurons", "2,1", "--seed", "0", "--layer", "3")
    assert r.exit_code == 2 and "--layer 3 is out of range: the network has 2 layers" in r.stderr


@pytest.mark.parametrize(
    ("args", "code", "contains"),
    [
        (["--neurons", "4,3", "--activation", "swish"], 2, "unknown activation 'swish'; known:"),
        (["--neurons", "4,3", "--activation", "leaky_relu:x"], 2, "slope must be a number"),
        (
            ["--neurons", "4,3", "--activation", "relu,relu,relu"],
            2,
            "--activation lists 3 activations but the network has 2 layers",
        ),
        (
            ["-w", S / "weights.csv", "-b", S / "biases.csv", "-w", S / "weights.csv"],
            2,
            "2 -w but 1 -b",
        ),
        (
            [
                "-w",
                S / "weights.csv",
                "-b",
                S / "biases.csv",
                "-w",
                S / "weights.csv",
                "-b",
                S / "biases.csv",
            ],
            1,
            "weights.csv is 3×2, so it wants 3 values",
        ),
        (["--neurons", "4,x"], 2, "--neurons takes whole numbers"),
        (["--neurons", "4,0"], 2, "--neurons must be positive"),
        (["--model", "MODEL", "-w", S / "weights.csv"], 2, "--model replaces -w"),
    ],
)
def test_every_refusal_is_one_line(
    args: list[object], code: int, contains: str, tmp_path: Path
) -> None:
    (tmp_path / "m.json").write_text('{"layers": [{"weights": [[1]]}]}')
    args = [str(tmp_path / "m.json") if a == "MODEL" else str(a) for a in args]
    proc = run_nncalc("forward", str(S / "inputs.csv"), *args, cwd=SAMPLES.parent)
    assert_one_error_line(proc, code, contains)
    assert proc.stdout == b""


@pytest.mark.parametrize(
    ("text", "contains"),
    [
        (b"", 'is empty (expected a model: {"layers"'),
        (b"not json", "invalid JSON"),
        (b'{"weights": [[1]]}', 'has no "layers"'),
        (b'{"layers": [{"biases": [1]}]}', 'layer 1 has no "weights"'),
        (
            b'{"layers": [{"weights": [[1, 2, 3]], "activation": "swish"}]}',
            'layer 1: "activation": unknown activation',
        ),
        (b'{"layers": [{"weights": "missing.csv"}]}', 'layer 1: "weights" names missing.csv'),
        (
            b'{"layers": [{"weights": [[1, 2, 3], [1, 2, 3], [1, 2, 3]], "biases": [1, 2]}]}',
            "layer 1: a layer with 3 neurons wants b of shape (3,)",
        ),
        (
            b'{"layers": [{"weights": [[1], [2], [3]]}, {"weights": [[1, 2]], "wieghts": 1}]}',
            "layer 2: unknown key 'wieghts'",
        ),
        (
            b'{"layers": [{"weights": [[1], [2], [3]]}, {"weights": [[1, 2], [3, 4]]}]}',
            "layer 2: W2 is 2×2, so it wants 2 values per sample, but layer 1 gives 1",
        ),
    ],
)
def test_model_file_errors_name_file_layer_and_key(
    tmp_path: Path, text: bytes, contains: str
) -> None:
    model = tmp_path / "net.json"
    model.write_bytes(text)
    out = tmp_path / "out.csv"
    proc = run_nncalc("forward", str(S / "inputs.csv"), "--model", str(model), "-o", str(out))
    line = assert_one_error_line(proc, 1, contains)
    assert str(model) in line
    assert not out.exists()  # nothing is written when a run fails


def test_read_matrix_of_a_network_output_round_trips(second_layer: tuple[Path, Path]) -> None:
    w2, b2 = second_layer
    r = invoke("forward", S / "inputs.csv", "-w", S / "weights.csv", "-b", S / "biases.csv",
               "-w", w2, "-b", b2, "--activation", "relu,sigmoid", "-f", "csv")  # fmt: skip
    import io

    back = read_matrix(io.BytesIO(r.stdout.encode()), "out").values
    net = Network([Layer(W1, B1), Layer(W2, B2, "sigmoid")])
    assert np.array_equal(back, net(X))


def test_cli_stream_equals_whole_and_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nncalc.formats import delimited

    rs = np.random.RandomState(3)
    big = tmp_path / "big.csv"
    np.savetxt(big, rs.randn(9000, 5), delimiter=",")
    (tmp_path / "m.json").write_text(json.dumps({"layers": [
        {"weights": rs.randn(5, 700).tolist(), "biases": rs.randn(700).tolist()},
        {"weights": rs.randn(700, 3).tolist(), "activation": "softmax"},
    ]}))  # fmt: skip
    args = ["forward", big, "--model", tmp_path / "m.json"]
    whole = invoke(*args).stdout
    monkeypatch.setattr(delimited, "CHUNK_BYTES", 1 << 15)  # ~180 chunks, parsed ahead
    streamed = invoke(*args).stdout
    batch = invoke(*args, big, "--out-dir", tmp_path / "out")
    assert batch.exit_code == 2  # the same input twice would write one file twice
    invoke("forward", big, "--model", tmp_path / "m.json", "--out-dir", tmp_path / "out")
    assert whole == streamed == (tmp_path / "out" / "big.csv").read_text()
    assert len(whole.splitlines()) == 9000


def test_save_params_npz_replays_a_network(tmp_path: Path) -> None:
    p = tmp_path / "p.npz"
    a = invoke("forward", S / "inputs.csv", "--neurons", "4,3", "--seed", "5", "--save-params", p)
    b = invoke("forward", S / "inputs.csv", "--params", p)
    assert a.exit_code == 0 and b.exit_code == 0, (a.stderr, b.stderr)
    assert a.stdout == b.stdout


def test_layer_order_is_for_state_dicts(tmp_path: Path) -> None:
    r = invoke("forward", S / "inputs.csv", "--model", SAMPLES / "network/net.json",
               "--layer-order", "a,b")  # fmt: skip
    assert r.exit_code == 2 and "--layer-order picks the layers of a state dict" in r.stderr
