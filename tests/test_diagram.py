"""``nncalc draw`` and the HTML report: the SVG's structure, golden bytes, PNG, and what a
person sees (headless Chromium screenshots, which must exist in CI: no skip)."""

from __future__ import annotations

import html
import io
import re
import shutil
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nncalc.cli import app
from nncalc.core import Layer, Network
from nncalc.diagram import draw, picture, picture_kind, sample_of
from nncalc.diagram.report import report_html
from nncalc.diagram.svg import FONT, MONO
from nncalc.errors import UsageError
from tests.conftest import ROOT, SAMPLES, assert_one_error_line, run_nncalc

SVG = "{http://www.w3.org/2000/svg}"
GOLDEN = ROOT / "docs" / "batch.svg"  # the picture in the README is the golden file
BATCH_X = np.loadtxt(SAMPLES / "batch/inputs.csv", delimiter=",")
BATCH = Network(
    [
        Layer(
            np.loadtxt(SAMPLES / "batch/weights.csv", delimiter=","),
            np.loadtxt(SAMPLES / "batch/biases.csv", delimiter=","),
        )
    ]
)


def random_net(*sizes: int, seed: int = 0, last: str = "softmax") -> Network:
    rng = np.random.default_rng(seed)
    acts = ["relu"] * (len(sizes) - 2) + [last]
    return Network(
        Layer(rng.standard_normal((n, p)), rng.standard_normal(p), a)
        for n, p, a in zip(sizes[:-1], sizes[1:], acts, strict=True)
    )


def nodes(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter(f"{SVG}circle") if "node" in e.get("class", "")]


def svg_size(svg: str) -> tuple[int, int]:
    root = ET.fromstring(svg)
    return round(float(root.get("width", 0))), round(float(root.get("height", 0)))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


# ---------------------------------------------------------------- structure


@pytest.mark.parametrize("sizes", [(3, 2), (4, 5, 3), (1, 1), (6, 6, 6, 1)])
def test_one_node_per_input_and_neuron(sizes: tuple[int, ...]) -> None:
    net = random_net(*sizes)
    svg = draw(net)
    found = nodes(svg)
    assert len(found) == sum(sizes)
    counts = dict.fromkeys(range(len(sizes)), 0)
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("data-index") is not None:
            counts[int(g.get("data-layer", -1))] += 1
    assert list(counts.values()) == list(sizes)
    edges = [e for e in ET.fromstring(svg).iter(f"{SVG}line") if e.find(f"{SVG}title") is not None]
    assert len(edges) == sum(n * p for n, p in zip(sizes, sizes[1:], strict=False))


def test_big_columns_are_elided_and_say_how_many() -> None:
    net = random_net(784, 128, 10)
    svg = draw(net, sample_of(net, np.ones((1, 784)), 0))
    root = ET.fromstring(svg)
    shown = dict.fromkeys(range(3), 0)
    hidden = dict.fromkeys(range(3), 0)
    for g in root.iter(f"{SVG}g"):
        if g.get("data-index") is not None:
            shown[int(g.get("data-layer", -1))] += 1
        if g.get("class") == "more":
            hidden[int(g.get("data-layer", -1))] += int(g.get("data-hidden", 0))
    assert shown == {0: 10, 1: 10, 2: 10}
    assert {k: shown[k] + hidden[k] for k in shown} == {0: 784, 1: 128, 2: 10}
    assert "774 more" in svg and "118 more" in svg
    assert len(svg) < 100_000  # drawn nodes only: quick to write and to open


def test_weights_are_written_on_small_layers_only() -> None:
    small = draw(BATCH)
    labels = re.findall(r'class="weight"[^>]*>([^<]*)<', small)
    assert sorted(labels) == sorted(["0.8", "0.7", "-0.4", "-0.6", "0", "0.2"])
    assert 'class="weight"' not in draw(random_net(7, 3))


def test_colour_by_sign_and_width_by_magnitude() -> None:
    net = Network([Layer([[2.0, -1.0, 0.0]], [0.0, 0.0, 0.0])])
    lines = {
        e.find(f"{SVG}title").text: e  # type: ignore[union-attr]
        for e in ET.fromstring(draw(net)).iter(f"{SVG}line")
        if e.find(f"{SVG}title") is not None
    }
    pos, neg, zero = lines["w11 = 2"], lines["w12 = -1"], lines["w13 = 0"]
    assert len({pos.get("stroke"), neg.get("stroke"), zero.get("stroke")}) == 3
    assert float(pos.get("stroke-width", 0)) > float(neg.get("stroke-width", 0))
    assert float(neg.get("stroke-width", 0)) > float(zero.get("stroke-width", 0))
    assert zero.get("stroke-dasharray")


def test_sample_values_in_nodes_and_relu_zeros_greyed() -> None:
    svg = draw(BATCH, sample_of(BATCH, BATCH_X, 0))
    # sample 0 of the worked example: z = [-0.06, -0.03], both turned to 0 by ReLU
    assert "z -0.06" in svg and "z -0.03" in svg and svg.count(">a 0<") == 2
    assert len([e for e in nodes(svg) if "dead" in e.get("class", "")]) == 2
    alive = draw(BATCH, sample_of(BATCH, BATCH_X, 2))
    assert "a 0.42" in alive and "a 0.59" in alive and "dead" not in alive
    for v in ("-0.5", "-0.8", "-0.2"):
        assert f">{v}<" in alive


def test_bias_and_activation_and_caption_per_layer() -> None:
    net = random_net(3, 4, 2)
    svg = draw(net)
    assert svg.count('class="bias"') == 6
    assert "(n, p) = (3, 4)" in svg and "(n, p) = (4, 2)" in svg
    assert ">ReLU<" in svg and ">softmax<" in svg


def test_names_are_escaped() -> None:
    net = Network([Layer([[1.0]], [0.0], name="<dense & co>")])
    svg = draw(net, title="a < b")
    ET.fromstring(svg)
    assert "layer 1 · &lt;dense &amp; co&gt;" in svg and "a &lt; b" in svg


def test_same_network_same_bytes_and_the_golden_picture() -> None:
    svg = draw(BATCH, sample_of(BATCH, BATCH_X, 1))
    assert svg == draw(BATCH, sample_of(BATCH, BATCH_X, 1))
    assert svg == GOLDEN.read_text(encoding="utf-8")


def test_self_contained() -> None:
    for doc in (draw(random_net(4, 3, 2)), report_html("nncalc", BATCH, BATCH_X).decode()):
        refs = re.findall(r"(?:href|src)\s*=|url\(|@import|https?://[^\"' ]*", doc)
        assert refs == ["http://www.w3.org/2000/svg"], refs
        assert "<script" not in doc
        families = set(re.findall(r'font-family="([^"]*)"', doc))
        assert families <= {FONT, MONO}  # named fonts (CJK too), then a generic family
    assert FONT.endswith(", sans-serif") and "'Noto Sans CJK SC'" in FONT
    assert MONO.endswith(", monospace")


def test_picture_kind_names_what_it_can_write() -> None:
    assert [picture_kind(n) for n in ("a.svg", "B.PNG", "c.html", "d.htm")] == [
        "svg",
        "png",
        "html",
        "html",
    ]
    with pytest.raises(UsageError, match=r"\.svg, \.png or \.html"):
        picture_kind("net.jpg")


def test_png_is_rendered_from_the_svg() -> None:
    data = picture(BATCH, "png")
    w, h = svg_size(draw(BATCH))
    assert png_size(data) == (2 * w, 2 * h)
    assert data == picture(BATCH, "png")


# ---------------------------------------------------------------- the report


def _tables(stages: str = "shapes,x,w,b,z,a") -> list[object]:
    from nncalc import render
    from nncalc.core import prepare
    from nncalc.formats import Format, Matrix
    from nncalc.shapes import Labels

    labels = Labels("inputs.csv", "weights.csv", "biases.csv")
    layer, pl = prepare(BATCH_X.shape, BATCH[0].w, BATCH[0].bias, labels=labels)
    res = layer.apply(BATCH_X, keep_z=True)
    x = Matrix(BATCH_X, labels.x, Format.CSV)
    return render.forward_tables(x, layer, pl, res, labels, stages.split(","))


def test_report_holds_the_terminal_tables_word_for_word() -> None:
    from nncalc import render

    items = _tables()
    buf = io.StringIO()
    console = render.make_console(buf, width=110)
    for item in items:
        console.print(item)
    page = report_html("nncalc forward x.csv --report r.html", BATCH, BATCH_X,
                       render.tables_html(items, width=110)).decode()  # fmt: skip
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for line in buf.getvalue().splitlines():
        assert line.rstrip() in text, line
    assert "nncalc forward x.csv --report r.html" in text
    assert 'style="color: #7f7f7f' in page  # ReLU's zeros dimmed, as on screen
    assert page.count("<svg") == 1 and "z -0.06" in page  # sample s0 in the picture
    assert report_html("c", BATCH, BATCH_X) == report_html("c", BATCH, BATCH_X)


# ---------------------------------------------------------------- the command


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


MODEL = str(SAMPLES / "batch/model.json")
INPUTS = str(SAMPLES / "batch/inputs.csv")
WB = ["-w", str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv")]


@pytest.mark.parametrize("ext", ["svg", "png", "html"])
def test_draw_writes_each_kind(cli: CliRunner, tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"net.{ext}"
    res = cli.invoke(app, ["draw", INPUTS, *WB, "--sample", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    if ext == "svg":
        assert data == GOLDEN.read_bytes()
    elif ext == "png":
        assert png_size(data) == tuple(2 * v for v in svg_size(GOLDEN.read_text()))
    else:
        assert data.startswith(b"<!DOCTYPE html>") and b"z 0.06" in data


@pytest.mark.parametrize(
    "operands",
    [
        [INPUTS, "--model", MODEL],
        [INPUTS, *WB],
        ["-", *WB],
        ["--model", MODEL],
        WB,
    ],
)
def test_every_operand_form_draws_the_same_network(operands: list[str]) -> None:
    stdin = (SAMPLES / "batch/inputs.csv").read_bytes() if "-" in operands else None
    proc = run_nncalc("draw", *operands, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    svg = proc.stdout.decode()
    assert len(nodes(svg)) == 5
    with_x = operands[0] in (INPUTS, "-")
    assert ("z -0.06" in svg) is with_x  # X given: sample 0 is drawn by default


def test_a_drawn_network_is_the_one_forward_runs() -> None:
    args = ["--neurons", "4,3", "--seed", "7", "--activation", "relu,softmax"]
    proc = run_nncalc("draw", INPUTS, *args, "--sample", "2", "--precision", "17")
    assert proc.returncode == 0, proc.stderr
    out = run_nncalc("forward", INPUTS, *args, "--format", "csv")
    last = out.stdout.decode().splitlines()[2].split(",")
    svg = proc.stdout.decode()
    for v in last:
        assert f">a {float(v):.17g}<" in svg


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--model", MODEL, "-o", "net.jpg"], 2, "name a .svg, .png or .html file"),
        (["--model", MODEL, "--sample", "0", "-o", "n.svg"], 2, "--sample needs inputs X"),
        ([INPUTS, "--model", MODEL, "--sample", "3", "-o", "n.svg"], 2, "out of range"),
        (["--neurons", "3", "-o", "n.svg"], 2, "add --inputs N"),
        (["--model", "missing.json", "-o", "n.svg"], 1, "no such file"),
    ],
)
def test_draw_refuses_in_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    proc = run_nncalc("draw", *args, cwd=tmp_path)
    assert_one_error_line(proc, code, says)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "operands",
    [
        ["../x4.csv", *WB],
        [INPUTS, *WB, *WB],
        [INPUTS, "--model", str(SAMPLES / "batch/network.json")],
        [INPUTS, "--model", MODEL, *WB],
        [INPUTS, "-w", WB[1], "-w", WB[1], "-b", WB[3]],
        [INPUTS, *WB, "--activation", "relu,softmax"],
    ],
)
def test_draw_refuses_what_forward_refuses_in_the_same_words(
    cli: CliRunner, tmp_path: Path, operands: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # in-process (the one-line, exit-code contract is checked through real processes above)
    (tmp_path / "x4.csv").write_text("1,2,3,4\n")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path / "out")
    fwd = cli.invoke(app, ["forward", *operands, "--format", "csv"])
    drew = cli.invoke(app, ["draw", *operands, "-o", "n.svg"])
    assert fwd.exit_code in (1, 2) and drew.exit_code == fwd.exit_code
    assert drew.stderr.startswith("nncalc: error: ") and drew.stderr.count("\n") == 1
    assert drew.stderr == fwd.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_draw_never_overwrites_an_input(tmp_path: Path) -> None:
    x = tmp_path / "x.svg"
    x.write_text("0.5,0.5,0.5\n")
    proc = run_nncalc("draw", str(x), *WB, "--input-format", "csv", "-o", str(x))
    assert_one_error_line(proc, 2, "is also an input")
    assert x.read_text() == "0.5,0.5,0.5\n"


# ---------------------------------------------------------------- as a person sees it


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: apt-get install chromium (.ci/run does)")
    return found


def screenshot(page: Path, width: int, height: int) -> bytes:
    out = page.with_suffix(".shot.png")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars",
                f"--user-data-dir={profile}", f"--screenshot={out}",
                f"--window-size={width},{height}", page.as_uri(),
            ],
            capture_output=True, timeout=90, check=False,
        )  # fmt: skip
    assert out.exists(), "chromium wrote no screenshot"
    return out.read_bytes()


def looks_drawn(data: bytes, size: tuple[int, int]) -> None:
    """Not blank, the expected size, and both edge colours visible."""
    from PIL import Image

    img = Image.open(io.BytesIO(data)).convert("RGB")
    assert img.size == size
    px = np.asarray(img, dtype=np.int16)
    ink = (px.sum(axis=2) < 600).mean()
    assert 0.01 < ink < 0.6, ink
    blue = ((px[..., 2] - px[..., 0]) > 60).mean()
    red = ((px[..., 0] - px[..., 2]) > 60).mean()
    assert blue > 0.0005 and red > 0.0005, (blue, red)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["batch", "big"])
def test_svg_as_chromium_shows_it(tmp_path: Path, which: str) -> None:
    if which == "batch":
        svg = GOLDEN.read_text()
    else:
        net = random_net(784, 128, 10)
        svg = draw(net, sample_of(net, np.ones((2, 784)), 1))
    page = tmp_path / "net.svg"
    page.write_text(svg, encoding="utf-8")
    size = svg_size(svg)
    looks_drawn(screenshot(page, *size), size)


@pytest.mark.slow
def test_report_as_chromium_shows_it(tmp_path: Path) -> None:
    from nncalc import render

    page = tmp_path / "run.html"
    page.write_bytes(
        report_html("nncalc forward", BATCH, BATCH_X, render.tables_html(_tables()), sample=1)
    )
    looks_drawn(screenshot(page, 1200, 1600), (1200, 1600))


# ---------------------------------------------------------------- forward --report


def test_forward_report_holds_the_run(tmp_path: Path) -> None:
    page = tmp_path / "run.html"
    args = [INPUTS, *WB, "--format", "table", "--report", str(page)]
    proc = run_nncalc("forward", *args)
    assert proc.returncode == 0, proc.stderr
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    lines = proc.stdout.decode().splitlines()
    shapes = lines[: lines.index(next(x for x in lines if x.startswith("X  inputs")))]
    assert shapes[0].startswith("Shapes: m=3")
    for line in lines[len(shapes) :]:  # the terminal's tables, word for word
        assert line.rstrip() in text, line
    assert "nncalc forward " + " ".join(args) in text
    assert text.count("A = ReLU(Z)") == 1 and text.count("Shape chain") == 1
    assert "Shapes: m=3" not in text  # the page's own shape chain says it, once


def test_forward_report_shows_a_network_chain_once(tmp_path: Path) -> None:
    page = tmp_path / "run.html"
    proc = run_nncalc("forward", INPUTS, "--model", "samples/network/net.json", "-f", "table",
                      "--report", str(page))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Network: 2 layers" in proc.stdout.decode()
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    assert "Network: 2 layers" not in text and text.count("Shape chain") == 1
    assert "Z2 = A1·W2 + b2" in text


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--report", "run.txt"], "name a .html file"),
        (["--format", "table", "--report", INPUTS], "name a .html file"),
        (["--out-dir", "o", "--report", "run.html"], "not with --out-dir"),
    ],
)
def test_forward_report_refusals(tmp_path: Path, extra: list[str], says: str) -> None:
    proc = run_nncalc("forward", INPUTS, *WB, *extra, cwd=tmp_path)
    assert_one_error_line(proc, 2, says)
    assert list(tmp_path.iterdir()) == []


def _tables_of(page: Path) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    return text[text.index("Tables") :]


@pytest.mark.slow
@pytest.mark.parametrize("rows", [1, 3, 20_000, 700_000])  # 700,000: several read chunks
def test_a_streamed_run_reports_the_tables_a_terminal_would_show(tmp_path: Path, rows: int) -> None:
    lines = [f"{i % 7 - 3},{i % 5 - 2},{i % 3 - 1}" for i in range(rows)]
    x = tmp_path / "x.csv"
    x.write_text("\n".join(lines) + "\n")
    net = ["--model", str(SAMPLES / "network/net.json")]
    tables = run_nncalc(
        "forward", str(x), *net, "-f", "table", "--report", str(tmp_path / "t.html")
    )
    assert tables.returncode == 0, tables.stderr
    plain = run_nncalc("forward", "-", *net, stdin=x.read_bytes())
    piped = run_nncalc("forward", "-", *net, "--report", str(tmp_path / "s.html"),
                       stdin=x.read_bytes())  # fmt: skip
    assert piped.returncode == 0 and piped.stdout == plain.stdout  # the output is untouched
    want = _tables_of(tmp_path / "t.html").replace(str(x), "stdin")
    assert _tables_of(tmp_path / "s.html") == want
    if rows >= 20_000:
        assert f"s{rows - 1}" in want and "…" in want  # its first and last rows, as a terminal's


@pytest.mark.slow
def test_a_streamed_run_that_fails_writes_no_report(tmp_path: Path) -> None:
    rows = b"1,2,3\n" * 100_000 + b"1,x,3\n"
    proc = run_nncalc("forward", "-", *WB, "--report", str(tmp_path / "r.html"), stdin=rows)
    assert_one_error_line(proc, 1, "stdin:100001:3:")
    assert list(tmp_path.iterdir()) == []
    # --layers past the end is said before any output, not after the stream
    proc = run_nncalc("forward", INPUTS, "--model", str(SAMPLES / "network/net.json"),
                      "--layers", "3", "-o", str(tmp_path / "a.csv"),
                      "--report", str(tmp_path / "r.html"))  # fmt: skip
    assert_one_error_line(proc, 2, "--layers 3: the network has 2 layers")
    assert list(tmp_path.iterdir()) == []


def test_forward_report_never_overwrites_an_input(tmp_path: Path) -> None:
    x = tmp_path / "x.html"
    x.write_bytes((SAMPLES / "batch/inputs.csv").read_bytes())
    proc = run_nncalc("forward", str(x), *WB, "--input-format", "csv", "--format", "table",
                      "--report", str(x))  # fmt: skip
    assert_one_error_line(proc, 2, "is also an input")
    assert x.read_bytes() == (SAMPLES / "batch/inputs.csv").read_bytes()
