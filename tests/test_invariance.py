"""Batch invariance: a row's output bits depend on that row and the network alone — never
on how many rows came with it, where it sat in its input, the file it came in, the chunks
it streamed in or the engine (issue 23, item 7).  Plain numpy is not batch-invariant
(BLAS picks kernels by the number of rows), so each property below can fail."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nncalc.cli import app
from nncalc.core import Layer, Network, block_rows
from nncalc.formats import delimited
from tests.conftest import run_nncalc

RNG = np.random.default_rng(23)


def network(sizes: list[int], acts: str = "tanh") -> Network:
    names = acts.split(",")
    return Network(
        Layer(RNG.standard_normal((n, p)), RNG.standard_normal(p), names[k % len(names)])
        for k, (n, p) in enumerate(zip(sizes, sizes[1:], strict=False))
    )


# small; wide (1100 neurons: W padded to 1104 columns); a column of one neuron
NETS = {
    "4-3": network([4, 3], "relu"),
    "3-1100-2": network([3, 1100, 2], "relu,softmax"),
    "10-70-1": network([10, 70, 1], "leaky_relu,sigmoid"),
}
M = 9_000
X = {name: RNG.standard_normal((M, net.n)) for name, net in NETS.items()}
DTYPES = [np.float64, np.float32]


@functools.cache
def whole(name: str, dtype: type) -> np.ndarray:
    return NETS[name].astype(dtype)(X[name])


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_plain_numpy_is_not_batch_invariant_here() -> None:
    # the witness that these tests can fail: numpy's X @ W for a few rows differs from
    # the same rows of a bigger product, for some shape this BLAS is asked for
    found = []
    for dtype in DTYPES:
        for n, p in [(784, 128), (128, 10), (1100, 2), (10, 1), (4, 3)]:
            w = RNG.standard_normal((n, p)).astype(dtype)
            x = RNG.standard_normal((1200, n)).astype(dtype)
            big = x @ w
            found += [(n, p, m) for m in (1, 3, 5, 17, 999) if not same(x[:m] @ w, big[:m])]
    assert found


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from(sorted(NETS)),
    st.sampled_from(DTYPES),
    st.integers(0, M),
    st.integers(0, M),
)
def test_prefixes_suffixes_and_slices_give_the_whole_runs_bits(
    name: str, dtype: type, i: int, j: int
) -> None:
    net, ref = NETS[name].astype(dtype), whole(name, dtype)
    lo, hi = min(i, j), max(i, j)
    if hi > 0:
        assert same(net(X[name][:hi]), ref[:hi])  # a prefix
    if lo < M:
        assert same(net(X[name][lo:]), ref[lo:])  # a suffix
    if lo < hi:
        assert same(net(X[name][lo:hi]), ref[lo:hi])  # any slice: a row alone, too


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(sorted(NETS)), st.sampled_from(DTYPES), st.integers(0, 2**32))
def test_a_shuffle_moves_the_rows_not_their_bits(name: str, dtype: type, seed: int) -> None:
    perm = np.random.default_rng(seed).permutation(M)
    net = NETS[name].astype(dtype)
    assert same(net(X[name][perm]), whole(name, dtype)[perm])


@settings(max_examples=10, deadline=None)
@given(
    st.sampled_from(sorted(NETS)),
    st.sampled_from(DTYPES),
    st.lists(st.integers(1, M - 1), max_size=8, unique=True),
)
def test_any_cut_streamed_batched_or_as_dask_blocks_joins_to_the_whole_run(
    name: str, dtype: type, cuts: list[int]
) -> None:
    net, x, ref = NETS[name].astype(dtype), X[name], whole(name, dtype)
    edges = [0, *sorted(cuts), M]
    pieces = [x[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    assert same(np.concatenate(list(net.stream(iter(pieces)))), ref)  # streamed chunks
    assert same(np.concatenate([net(p) for p in pieces]), ref)  # a batch of files
    at = [net.apply_at(p, a, M) for p, a in zip(pieces, edges, strict=False)]
    assert same(np.concatenate(at), ref)  # Dask blocks


def test_every_block_has_one_shape() -> None:
    # the mechanism, stated: a 1-row input is multiplied as a whole block of zeros but one
    net = NETS["3-1100-2"]
    assert [layer.step for layer in net] == [block_rows(3, 1100), block_rows(1100, 2)]
    assert net[0].multiplier.shape == (3, 1104)  # W's last ragged column group padded
    assert net[1].multiplier.shape == (1100, 2)
    x = X["3-1100-2"][:1]
    pad = np.zeros((net[0].step, 3))
    pad[0] = x[0]
    assert same(net[0](x), np.maximum((pad @ net[0].multiplier)[:1, :1100] + net[0].b, 0))


def test_float32_multiplies_in_float64_and_rounds_once() -> None:
    net = NETS["4-3"].astype(np.float32)
    x = X["4-3"][:5].astype(np.float32)
    layer = net[0]
    want = (x.astype(np.float64) @ layer.w.astype(np.float64)).astype(np.float32) + layer.b
    assert same(layer.apply(x, keep_z=True).z, want)


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 100_000), st.lists(st.integers(1, 99_999), max_size=6, unique=True))
def test_one_to_a_hundred_thousand_rows_in_any_cut(m: int, cuts: list[int]) -> None:
    net = NETS["10-70-1"]
    x = BIG[:m]
    ref = BIG_REF[:m]
    assert same(net(x), ref)
    edges = [0, *sorted(c for c in cuts if c < m), m]
    pieces = [x[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    assert same(np.concatenate(list(net.stream(iter(pieces)))), ref)
    assert same(np.concatenate([net(p) for p in pieces]), ref)


BIG = RNG.standard_normal((100_000, 10))
BIG_REF = NETS["10-70-1"](BIG)


@pytest.mark.slow
def test_a_large_network_too() -> None:
    net = network([784, 128, 10], "relu,softmax")
    x = RNG.standard_normal((5000, 784))
    for dtype in DTYPES:
        n32 = net.astype(dtype)
        ref = n32(x)
        for a, b in [(0, 1), (0, 3), (1, 4), (4095, 4197), (2, 5000)]:
            assert same(n32(x[a:b]), ref[a:b])


# --- the command line: bytes, as a user sees them -------------------------------------

CLI_M = 6_000
CLI_X = RNG.standard_normal((CLI_M, 4)).round(6)
NETWORK_FLAGS = [
    ["--neurons", "8,3", "--seed", "0", "--activation", "relu,softmax"],
    ["--neurons", "70,16", "--seed", "1", "--dtype", "float32", "--activation", "tanh,linear"],
]


def csv_of(x: np.ndarray) -> str:
    return "".join(",".join(repr(float(v)) for v in row) + "\n" for row in x)


@functools.cache
def one_run(k: int) -> str:
    r = CliRunner().invoke(app, ["forward", "-", *NETWORK_FLAGS[k]], input=csv_of(CLI_X))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("\n") == CLI_M
    return r.stdout


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("chunk", [1 << 16, 1 << 17, 1 << 20])
def test_cli_chunk_sizes_do_not_move_a_bit(
    k: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delimited, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(delimited, "CHUNK_VALUES", 1)  # chunks of 64 KiB: ~20 rows of X
    r = CliRunner().invoke(app, ["forward", "-", *NETWORK_FLAGS[k]], input=csv_of(CLI_X))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == one_run(k)


@settings(max_examples=8, deadline=None)
@given(k=st.sampled_from([0, 1]), cuts=st.lists(st.integers(1, CLI_M - 1), max_size=4, unique=True))
def test_cli_a_batch_of_cut_files_writes_the_bytes_of_one_file(
    k: int, cuts: list[int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("cut")
    edges = [0, *sorted(cuts), CLI_M]
    names = []
    for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
        path = tmp / f"part{i:02d}.csv"
        path.write_text(csv_of(CLI_X[a:b]))
        names.append(str(path))
    r = CliRunner().invoke(app, ["forward", *names, *NETWORK_FLAGS[k], "--out-dir", str(tmp / "o")])
    assert r.exit_code == 0, r.stderr
    joined = "".join((tmp / "o" / Path(n).name).read_text() for n in names)
    assert joined == one_run(k)


@pytest.mark.parametrize("rows", [1, 3, 782, 4_097, 4_196])
def test_cli_a_piped_prefix_prints_the_first_lines_of_the_whole_run(rows: int) -> None:
    done = run_nncalc("forward", "-", *NETWORK_FLAGS[0], stdin=csv_of(CLI_X[:rows]).encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "".join(one_run(0).splitlines(keepends=True)[:rows])


@pytest.mark.parametrize("first", [0, 1, 2_999])
def test_cli_a_piped_suffix_prints_the_last_lines_of_the_whole_run(first: int) -> None:
    done = run_nncalc("forward", "-", *NETWORK_FLAGS[1], stdin=csv_of(CLI_X[first:]).encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "".join(one_run(1).splitlines(keepends=True)[first:])


def test_cli_json_output_is_cut_invariant_too(tmp_path: Path) -> None:
    full = run_nncalc("forward", "-", *NETWORK_FLAGS[0], "-f", "ndjson",
                      stdin=csv_of(CLI_X[:900]).encode())  # fmt: skip
    tail = run_nncalc("forward", "-", *NETWORK_FLAGS[0], "-f", "ndjson",
                      stdin=csv_of(CLI_X[899:900]).encode())  # fmt: skip
    assert full.returncode == tail.returncode == 0
    assert json.loads(full.stdout.splitlines()[-1]) == json.loads(tail.stdout)
    assert full.stdout.splitlines()[-1] == tail.stdout.strip()


# --- model round-trips keep the dtype (item 8) ----------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".npz", ".safetensors", ".onnx"])
def test_a_float32_model_saved_in_any_format_comes_back_float32(
    suffix: str, tmp_path: Path
) -> None:
    from nncalc.models import read_model, write_model

    net = network([4, 5, 3], "relu,softmax").astype(np.float32)
    path = tmp_path / f"m{suffix}"
    path.write_bytes(write_model(net, str(path)))
    back = read_model(str(path)).network
    assert [layer.w.dtype for layer in back] == [np.float32, np.float32]
    for a, b in zip(net, back, strict=True):
        assert same(a.w, b.w) and same(a.bias, b.bias)
    assert same(back(X["4-3"][:50]), net(X["4-3"][:50]))


def test_a_json_model_names_its_dtype_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    from nncalc.errors import InputError
    from nncalc.models import read_model, write_model

    path = tmp_path / "m.json"
    path.write_bytes(write_model(NETS["4-3"], str(path)))
    assert json.loads(path.read_text())["dtype"] == "float64"
    path.write_text('{"dtype": "float16", "layers": [{"weights": [[1.0]]}]}')
    with pytest.raises(InputError, match="\"dtype\" is 'float16'"):
        read_model(str(path))


SAVES = [("--save-params", ".json"), ("--save-params", ".npz")] + [
    ("--save-model", suffix) for suffix in (".json", ".npz", ".safetensors", ".onnx")
]


@pytest.mark.parametrize(("save", "suffix"), SAVES)
@pytest.mark.parametrize("neurons", ["4,3", "3"])
def test_cli_a_float32_run_saved_and_replayed_prints_the_same_bytes(
    save: str, suffix: str, neurons: str, tmp_path: Path
) -> None:
    x = tmp_path / "x.csv"
    x.write_text(csv_of(CLI_X[:40]))
    saved = tmp_path / f"saved{suffix}"
    first = CliRunner().invoke(app, ["forward", str(x), "--neurons", neurons, "--seed", "2",
                                     "--dtype", "float32", save, str(saved)])  # fmt: skip
    assert first.exit_code == 0, first.stderr
    replay = ["--model", str(saved)] if save == "--save-model" else ["--params", str(saved)]
    if neurons == "3" and save == "--save-model" and suffix == ".safetensors":
        replay += ["--activation", "relu"]
    again = CliRunner().invoke(app, ["forward", str(x), *replay])
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout


def test_cli_an_onnx_float32_model_saved_as_json_prints_the_same_bytes(tmp_path: Path) -> None:
    from nncalc.models import write_model

    net = network([4, 6, 3], "relu,softmax").astype(np.float32)
    (tmp_path / "a.onnx").write_bytes(write_model(net, "a.onnx"))
    x = tmp_path / "x.csv"
    x.write_text(csv_of(CLI_X[:40]))
    runs = []
    for model, save in (("a.onnx", "b.json"), ("b.json", "c.json"), ("c.json", None)):
        extra = ["--save-model", str(tmp_path / save)] if save else []
        r = CliRunner().invoke(app, ["forward", str(x), "--model", str(tmp_path / model), *extra])
        assert r.exit_code == 0, r.stderr
        runs.append(r.stdout)
    assert runs[0] == runs[1] == runs[2]
    assert "e-" in runs[0] or len(runs[0].split(",")[0]) < 14  # float32's shortest forms


# --- overflow: one line, exit 1 (items 14 and 17) -------------------------------------

ONE = str(Path(__file__).resolve().parent.parent / "samples" / "batch" / "inputs.csv")


def test_a_leaky_relu_steeper_than_one_that_overflows_a_stops_the_run() -> None:
    from tests.conftest import assert_one_error_line

    done = run_nncalc("forward", ONE, "-w", "1,1e308,1", "-b", "0", "--activation",
                      "leaky_relu:10", "-f", "json")  # fmt: skip
    assert_one_error_line(done, 1, "A overflows float64 at sample 0, neuron 0")
    assert b"null" not in done.stdout


def test_a_overflowing_in_a_network_names_the_layer() -> None:
    from nncalc.engines.local import check_finite
    from nncalc.errors import InputError

    net = Network([Layer([[1.0]], [0.0], "linear"), Layer([[-1e308]], [0.0], "leaky_relu:10")])
    x = np.array([[0.01], [0.02], [0.05], [0.5]])  # Z2 finite; only 0.5·-1e308·10 overflows
    with pytest.raises(InputError, match="layer 2: A2 overflows float64 at sample 4, neuron 0"):
        net(x, None, functools.partial(check_finite, net, 1))
    with np.errstate(over="ignore"):
        assert np.isneginf(net(x)[3]).all()  # unchecked, the library computes it


def test_an_overflowing_a_is_written_with_allow_nonfinite_and_no_warning() -> None:
    done = run_nncalc("forward", ONE, "-w", "1,1e308,1", "-b", "0", "--activation",
                      "leaky_relu:10", "--allow-nonfinite")  # fmt: skip
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.split() == [b"-inf"] * 3


@pytest.mark.parametrize(
    ("flags", "operand", "value"),
    [
        (["-w", "1,1e39,1", "-b", "0"], "W", "1e+39"),
        (["-w", "1,1,1", "-b", "-1e39"], "b", "-1e+39"),
        (["-w", "1,1,1", "-b", "0", "-w", "1", "-b", "5e38"], "b", "5e+38"),
    ],
)
def test_a_parameter_float32_cannot_hold_is_one_line_naming_it(
    flags: list[str], operand: str, value: str
) -> None:
    from tests.conftest import assert_one_error_line

    done = run_nncalc("forward", ONE, *flags, "--dtype", "float32")
    assert_one_error_line(
        done, 1, f"{operand} holds {value}, beyond float32's range (±3.4028235e+38)"
    )
    assert b"RuntimeWarning" not in done.stderr and b"Z" not in done.stderr
    assert b"--dtype float64" in done.stderr


def test_a_float64_model_run_as_float32_names_the_value_too() -> None:
    from nncalc.errors import InputError

    with pytest.raises(InputError, match=r"W of big holds 1e\+39") as info:
        Network([Layer([[1e39]], name="big")]).astype(np.float32)
    assert info.value.hint is not None and info.value.hint.keyword == 'dtype="float64"'


# --- what equals the notebook's numpy (README, "What equals numpy's X @ W + b") -------


def test_two_to_five_rows_equal_the_notebooks_x_at_w_plus_b_in_both_layouts() -> None:
    from nncalc.core import forward

    for seed in range(300):
        rs = np.random.RandomState(seed)
        m, n, p = 2 + seed % 4, 1 + (seed // 4) % 7, 1 + (seed // 28) % 6
        x, w, b, wt = rs.randn(m, n), rs.randn(n, p), rs.randn(p), rs.randn(p, n)
        assert same(forward(x, w, b, "linear").a, x @ w + b)
        assert same(forward(x, wt, b, "linear", layout="out-in").a, x @ wt.T + b)
