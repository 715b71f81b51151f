"""Chinese screens: the catalog is complete and compiled, the language is picked as the
README says, and nothing but words changes with it (data bytes, exit codes, the prefix)."""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from nncalc import i18n
from nncalc.cli.root import hoist_lang
from tests.conftest import ROOT

PO = ROOT / "nncalc/locale/zh_CN/LC_MESSAGES/nncalc.po"
MO = PO.with_suffix(".mo")
# the README's `pybabel extract` keywords: Babel's defaults (_, ngettext, pgettext, N_…)
# and help_text
KEYWORDS = ("_", "gettext", "ngettext", "pgettext", "N_", "help_text")
OPS = ["-w", "samples/batch/weights.csv", "-b", "samples/batch/biases.csv"]


def extracted() -> dict[str, str]:
    """Every marked message in nncalc/ (msgid → where), as `pybabel extract` finds it."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {k: v for k, v in DEFAULT_KEYWORDS.items() if k in KEYWORDS}
    keywords["help_text"] = None
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        for msgid in [message] if isinstance(message, str) else message[:2]:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalog():  # type: ignore[no-untyped-def]
    with open(PO, "rb") as f:
        return read_po(f)


def fields(text: str) -> set[str]:
    """The {named} fields .format() fills (a JSON example's braces are not one)."""
    return set(re.findall(r"\{(\w*)\}", text))


def test_every_marked_message_has_a_chinese_translation() -> None:
    cat = catalog()
    missing = []
    for msgid, where in extracted().items():
        m = cat.get(msgid)
        if m is None:
            m = next((c for c in cat if isinstance(c.id, tuple) and msgid in c.id), None)
        strings = [] if m is None else [m.string] if isinstance(m.string, str) else m.string
        if m is None or m.fuzzy or not all(strings):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, (
        "messages without a Chinese translation (README, Translations: extract, update, "
        "translate, compile):\n" + "\n".join(missing)
    )


def test_translations_keep_their_placeholders() -> None:
    """A translation names the same {fields} as its English, or .format() would fail."""
    wrong = []
    for m in catalog():
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        for s in strings:
            if s and fields(s) != fields(ids[0]) and fields(s) != fields(ids[-1]):
                wrong.append(f"{ids[0]!r} → {s!r}")
    assert not wrong, "\n".join(wrong)


# the course's terms (issue 21): a message that says the English word says the Chinese one
GLOSSARY = {"samples?": "样本", "features?": "特征", "neurons?": "神经元", "weights?": "权重",
            "bias(es)?": "偏置", "activations?": "激活", "layers?": "层"}  # fmt: skip
NOT_WORDS = re.compile(
    r"--[\w-]+|\w+=|\{\w*\}|'[^']*'|\"[^\"]*\"|\S+/\S+|\w+(?:\.\w+)+|[A-Za-z]+_[a-z_]+"
)


def test_translations_use_the_course_terms() -> None:
    """Options (--sample), keyword arguments (activation="linear"), placeholders, quoted
    keys, paths (samples/batch/…) and dotted or snake_case names are not words of the
    sentence."""
    off = []
    for m in catalog():
        if not m.id:
            continue
        english = m.id if isinstance(m.id, str) else m.id[0]
        chinese = m.string if isinstance(m.string, str) else m.string[0]
        words = NOT_WORDS.sub(" ", english)
        for word, term in GLOSSARY.items():
            if re.search(rf"\b{word}\b", words, re.I) and term not in chinese:
                off.append(f"{english!r} → {chinese!r}: says {word!r}, not {term}")
    assert not off, "\n".join(off)


def test_compiled_catalog_is_the_po_compiled() -> None:
    """The shipped .mo is what `pybabel compile` makes of the .po today."""
    buf = io.BytesIO()
    write_mo(buf, catalog())
    assert MO.read_bytes() == buf.getvalue(), "stale nncalc.mo: run pybabel compile (README)"


def readme_pybabel_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line for b in blocks for line in b.splitlines() if line.startswith("pybabel ")]


@pytest.mark.slow
def test_the_readme_commands_remake_the_committed_catalog(tmp_path: Path) -> None:
    """Extract, update, compile, as the README says, on a copy: nothing changes but dates."""
    commands = readme_pybabel_commands()
    assert [c.split()[1] for c in commands] == ["extract", "update", "compile"]
    shutil.copytree(
        ROOT / "nncalc", tmp_path / "nncalc", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "babel.cfg", tmp_path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for command in commands:
        subprocess.run(command, shell=True, cwd=tmp_path, env=env, check=True, capture_output=True)
    dated = re.compile(rb"(POT-Creation|PO-Revision)-Date: [^\\\n]*")
    po = tmp_path / PO.relative_to(ROOT)
    for made, committed in [(po, PO), (po.with_suffix(".mo"), MO)]:
        assert dated.sub(b"", made.read_bytes()) == dated.sub(b"", committed.read_bytes())


@pytest.mark.slow
def test_the_wheel_ships_the_compiled_catalog(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("nncalc-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("nncalc/locale/zh_CN/LC_MESSAGES/nncalc.mo") == MO.read_bytes()


@pytest.mark.parametrize(
    ("value", "lang"),
    [
        ("zh", "zh"),
        ("zh_CN.UTF-8", "zh"),
        ("zh-Hans", "zh"),
        ("en_US.UTF-8", "en"),
        ("C", "en"),
        ("de_DE", "en"),
        ("de:zh_CN", "zh"),
        ("", None),
    ],
)
def test_language_of(value: str, lang: str | None) -> None:
    assert i18n.language_of(value) == lang


@pytest.mark.parametrize(
    ("argv", "env", "lang"),
    [
        ([], {}, "en"),
        ([], {"LANG": "zh_CN.UTF-8"}, "zh"),
        ([], {"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ([], {"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "en"),
        ([], {"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),
        ([], {"NNCALC_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),
        ([], {"NNCALC_LANG": "zh", "LANG": "C"}, "zh"),
        (["forward", "--lang", "en"], {"NNCALC_LANG": "zh", "LANG": "zh_CN.UTF-8"}, "en"),
        (["--lang=zh", "forward"], {"LANG": "C"}, "zh"),
        (["forward", "--", "--lang", "zh"], {"LANG": "C"}, "en"),  # an operand after --
    ],
)
def test_the_language_is_picked_in_order(
    argv: list[str], env: dict[str, str], lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("NNCALC_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.choose(argv) == lang
    assert (i18n._("interrupted") == "interrupted") == (lang == "en")


def test_a_missing_catalog_is_english(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.use("zh")
    assert i18n._("interrupted") == "interrupted"


def test_hoist_lang_moves_it_in_front_but_not_past_dashes() -> None:
    assert hoist_lang(["forward", "x", "--lang", "zh", "-w", "1"]) == [
        "--lang", "zh", "forward", "x", "-w", "1",
    ]  # fmt: skip
    assert hoist_lang(["shapes", "--lang=en", "x", "--", "--lang", "zh"]) == [
        "--lang=en", "shapes", "x", "--", "--lang", "zh",
    ]  # fmt: skip
    assert hoist_lang(["forward", "--lang", "zh", "x", "--lang", "en"])[:2] == ["--lang", "en"]


def nncalc(
    *args: str, env: dict[str, str], stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """A real process with exactly these language variables (none inherited)."""
    full = {k: v for k, v in os.environ.items() if k not in LANG_VARS and k != "FORCE_COLOR"}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "nncalc", *args],
        input=stdin, capture_output=True, cwd=ROOT, env=full, timeout=120, check=False,
    )  # fmt: skip


LANG_VARS = ("NNCALC_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "NNCALC_DEBUG")
ENGLISH = ({"LANG": "C.UTF-8"}, [])
CHINESE = [({"LANG": "zh_CN.UTF-8"}, []), ({"LANG": "C.UTF-8"}, ["--lang", "zh"])]
EN_OVER_ZH = ({"LANG": "zh_CN.UTF-8", "NNCALC_LANG": "zh"}, ["--lang", "en"])


@pytest.mark.parametrize(
    "command",
    [
        ["forward", "samples/batch/inputs.csv", *OPS, "-f", "csv"],
        ["forward", "-", *OPS, "-f", "json"],
        ["forward", "samples/batch/inputs.csv", *OPS, "-f", "ndjson"],
        ["forward", "samples/batch/inputs.csv", *OPS, "-f", "tsv", "--argmax"],
        ["forward", "samples/batch/inputs.csv", "--neurons", "3,2", "--seed", "0", "-f", "json"],
        # a failing `shapes` writes its explanation inside the JSON: data, so English
        [
            "shapes",
            "samples/batch/inputs.csv",
            "-w",
            "tests/golden/weights_transposed.csv",
            "-b",
            "samples/batch/biases.csv",
        ],
    ],
    ids=["csv", "json-stdin", "ndjson", "tsv-argmax", "json-network", "shapes-json"],
)
def test_piped_data_is_the_same_bytes_in_every_language(command: list[str]) -> None:
    stdin = (ROOT / "samples/batch/inputs.csv").read_bytes() if "-" in command else b""
    env, extra = ENGLISH
    english = nncalc(*extra, *command, env=env, stdin=stdin)
    assert english.returncode == (1 if command[0] == "shapes" else 0), english.stderr.decode()
    assert english.stdout
    for env, extra in [*CHINESE, EN_OVER_ZH]:
        # --lang goes last here: it is hoisted from anywhere
        other = nncalc(*command, *extra, env=env, stdin=stdin)
        assert (other.returncode, other.stdout) == (english.returncode, english.stdout), extra


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["forward", "samples/batch/inputs.csv", "-w", "nope.csv", "-b", "0"], 1),
        (["forward", "samples/batch/inputs.csv", *OPS[:2], "-b", "1,2,3"], 1),
        (["forward", "samples/batch/inputs.csv", "--bogus"], 2),
    ],
    ids=["no-file", "shapes", "usage"],
)
def test_errors_keep_their_prefix_and_exit_code(command: list[str], code: int) -> None:
    english = nncalc(*command, env=ENGLISH[0])
    assert english.returncode == code
    assert re.fullmatch(r"nncalc: error: .+\n", english.stderr.decode())
    for env, extra in CHINESE:
        chinese = nncalc(*command, *extra, env=env)
        err = chinese.stderr.decode()
        assert chinese.returncode == code, err
        assert re.fullmatch(r"nncalc: 错误：.+\n", err), err
        assert "Traceback" not in err


def test_lang_en_overrides_a_chinese_locale() -> None:
    command = ["forward", "samples/batch/inputs.csv", "-w", "nope.csv", "-b", "0"]
    english = nncalc(*command, env=ENGLISH[0])
    env, extra = EN_OVER_ZH
    assert nncalc(*command, *extra, env=env).stderr == english.stderr
    assert nncalc("--lang", "en", *command, env=env).stderr == english.stderr


def test_help_is_translated_when_lang_comes_after_the_command() -> None:
    """The root's --lang help is built at import: the language was picked before it."""
    out = nncalc("forward", "--lang", "zh", "--help", env=ENGLISH[0])
    assert out.returncode == 0, out.stderr.decode()
    root = nncalc("--help", "--lang", "zh", env=ENGLISH[0]).stdout.decode()
    assert "界面语言" in root


def test_an_unknown_language_is_a_usage_error() -> None:
    out = nncalc("forward", "--lang", "fr", env=ENGLISH[0])
    assert out.returncode == 2
    assert out.stderr.decode().startswith("nncalc: error: ")


def test_english_inside_the_block_only() -> None:
    i18n.use("zh")
    with i18n.english():
        assert i18n._("interrupted") == "interrupted"
    assert i18n._("interrupted") == "已中断"


# --- what the source says: every message a user reads goes through the catalog ---

SOURCE = sorted((ROOT / "nncalc").rglob("*.py"))
RAISED = {"UsageError", "InputError", "OutputError", "ShapeError", "ClusterError",
          "MemoryLimitError", "NncalcError", "BadParameter"}  # fmt: skip
SAID = {"note", "warn", "say", "error"}  # notes and warnings on stderr (hooks, Progress)
CODE = re.compile(r"--[\w-]+|\"[^\"]*\"|'[^']*'")  # options and quoted keys are not words


def _words(node: ast.expr) -> str:
    """The English words a literal message would print: its constant parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return CODE.sub(" ", node.value)
    if isinstance(node, ast.JoinedStr):
        return " ".join(_words(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return f"{_words(node.left)} {_words(node.right)}"
    return ""


def _called(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def test_no_error_or_note_is_an_unmarked_literal() -> None:
    """``raise UsageError("…")`` or ``note(f"…")`` with English words in it never reaches
    the catalog; extraction cannot see it, so this reads the source itself.  A literal of
    placeholders only (``f"{where}: {e}"``) joins parts translated elsewhere."""
    bare = []
    for path in SOURCE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            if _called(node) in RAISED | SAID and re.search(r"[A-Za-z]{2,}", _words(node.args[0])):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}: {_called(node)}(…)")
    assert not bare, "messages not marked with _() (README, Translations):\n" + "\n".join(bare)


def test_no_message_is_marked_inside_an_f_string() -> None:
    """``f"<h2>{_('Tables')}</h2>"``: pybabel extract does not read inside an f-string's
    braces, so the message never reaches the catalog (English in every language)."""
    hidden = []
    for path in SOURCE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                hidden += [
                    f"{path.relative_to(ROOT)}:{call.lineno}: {_called(call)}(…)"
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and _called(call) in KEYWORDS
                    and call.args and isinstance(call.args[0], ast.Constant)
                ]  # fmt: skip
    assert not hidden, "marked inside an f-string (take it out first):\n" + "\n".join(hidden)


def test_no_module_that_uses_gettext_binds_underscore() -> None:
    """``net, _ = …`` in a module that imports ``_`` makes ``_`` a local of that function
    (or comprehension): a message marked there would call the tuple's second item."""
    bound = []
    for path in SOURCE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = any(
            isinstance(n, ast.ImportFrom) and any(a.name == "_" and not a.asname for a in n.names)
            for n in ast.walk(tree)
        )
        if imports:
            bound += [
                f"{path.relative_to(ROOT)}:{n.lineno}"
                for n in ast.walk(tree)
                if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)
            ]
    assert not bound, "`_` rebound where it is gettext:\n" + "\n".join(bound)


# --- the last screens translated: pictures, notes, the Dask engine's lines ---

PICTURE = ["draw", "samples/batch/inputs.csv", *OPS, "--sample", "0"]


def test_the_picture_speaks_the_language() -> None:
    english = nncalc(*PICTURE, env=ENGLISH[0])
    assert english.returncode == 0, english.stderr.decode()
    svg = english.stdout.decode()
    for text in ("Network 3→2 — sample s0", ">inputs<", ">layer 1<", "positive weight",
                 "the neuron's bias"):  # fmt: skip
        assert text in svg, text
    for env, extra in CHINESE:
        chinese = nncalc(*PICTURE, *extra, env=env)
        assert chinese.returncode == 0, chinese.stderr.decode()
        svg = chinese.stdout.decode()
        for text in ("网络 3→2 — 样本 s0", ">输入<", ">第 1 层<", "正权重", "神经元的偏置"):
            assert text in svg, text
        assert "layer 1" not in svg and "positive weight" not in svg


def test_the_report_page_speaks_the_language(tmp_path: Path) -> None:
    page = tmp_path / "net.html"
    out = nncalc(*PICTURE, "-o", str(page), "--lang", "zh", env=ENGLISH[0])
    assert out.returncode == 0, out.stderr.decode()
    html = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    for text in ("形状链", "第 1 层的权重", "网络，带样本 s0 的数值", "由 nncalc"):
        assert text in html, text


def test_the_drawn_parameters_note_speaks_the_language() -> None:
    """The note on stderr is words; the numbers on stdout are the same bytes."""
    command = ["forward", "samples/batch/inputs.csv", "--neurons", "2", "--seed", "1",
               "--show-recipe", "-f", "csv"]  # fmt: skip
    english = nncalc(*command, env=ENGLISH[0])
    assert english.stderr.decode() == (
        "nncalc: init randn, seed 1: np.random.seed(1); W = np.random.randn(3, 2); "
        "b = np.random.randn(2)\n"
    )
    for env, extra in CHINESE:
        chinese = nncalc(*command, *extra, env=env)
        assert chinese.stdout == english.stdout
        assert chinese.stderr.decode() == (
            "nncalc: 初始化 randn，种子 1：np.random.seed(1); W = np.random.randn(3, 2); "
            "b = np.random.randn(2)\n"
        )
    only_w = ["forward", "samples/batch/inputs.csv", *OPS[:2], "--seed", "1", "-f", "csv"]
    err = nncalc(*only_w, "--lang", "zh", env=ENGLISH[0]).stderr.decode()
    assert err.startswith("nncalc: 没有给 -b：随机生成 b，初始化 randn，种子 1："), err


@pytest.mark.parametrize(
    ("command", "chinese"),
    [
        (["forward", "samples/batch/inputs.csv", *OPS, "--engine", "dask"],
         "--engine dask 写分片文件：用 --out-dir 指定文件夹"),
        (["forward", "samples/batch/inputs.csv", *OPS, "--workers", "2"],
         "--scheduler、--workers、--blocksize 和 --storage-options 用于 --engine dask"),
        (["forward", "samples/batch/inputs.csv", "--neurons", "3,2", "--upto", "5"],
         "--upto 5：网络有 2 层（1 到 2）"),
    ],
    ids=["dask-needs-out-dir", "dask-options-local", "upto"],
)  # fmt: skip
def test_run_refusals_speak_the_language(command: list[str], chinese: str) -> None:
    english = nncalc(*command, env=ENGLISH[0])
    assert english.returncode == 2
    out = nncalc(*command, "--lang", "zh", env=ENGLISH[0])
    assert out.returncode == 2
    assert out.stderr.decode() == f"nncalc: 错误：{chinese}\n"


@pytest.mark.slow
def test_a_dask_workers_error_speaks_the_language(tmp_path: Path) -> None:
    """The row that fails is read by a worker, in a process of its own: --lang zh
    reaches it (a local cluster's workers get the run's language)."""
    pytest.importorskip("distributed")
    data = tmp_path / "big.csv"
    data.write_text("1,2,3\n" * 20000 + "4,x,6\n")
    command = ["forward", str(data), *OPS, "--engine", "dask", "--workers", "1", "--out-dir"]
    out = nncalc(*command, str(tmp_path / "zh"), "--lang", "zh", env=ENGLISH[0])
    assert out.returncode == 1
    assert f"nncalc: 错误：{data}:20001:3: 'x' 不是数（应为一个数）\n" in out.stderr.decode()


@pytest.mark.parametrize(
    "command",
    [
        ["inspect", "--neurons", "3", "--inputs", "2", "--seed", "1", "-f", "json"],
        ["inspect", "samples/batch/model.json", "-f", "json"],
        ["inspect", *OPS, "-f", "json"],
        ["shapes", "samples/batch/inputs.csv", "--neurons", "4,2", "--seed", "1", "-f", "json"],
        ["random", "2", "3", "--seed", "1", "-f", "csv"],
        ["forward", "samples/batch/inputs.csv", "--neurons", "2", "--seed", "1", "-f", "csv"],
        # evaluate's JSON: its loss_formula is data; a screen shows it translated
        [
            "evaluate",
            "samples/real/iris.csv",
            "--skip-rows",
            "1",
            "--columns",
            "1-4",
            "--label-column",
            "5",
            "--model",
            "samples/real/iris_mlp.npz",
            "--activation",
            "relu,softmax",
            "-f",
            "json",
        ],
    ],
    ids=[
        "inspect-drawn",
        "inspect-model",
        "inspect-flags",
        "shapes-network",
        "random",
        "drawn",
        "evaluate",
    ],
)
def test_more_data_is_the_same_bytes_in_every_language(command: list[str]) -> None:
    """inspect's JSON (its layer names and details included), a network's shapes, a
    drawn matrix: data, whatever the screens speak."""
    english = nncalc(*command, env=ENGLISH[0])
    assert english.returncode == 0, english.stderr.decode()
    assert english.stdout
    for env, extra in CHINESE:
        other = nncalc(*command, *extra, env=env)
        assert (other.returncode, other.stdout) == (0, english.stdout), extra


def test_evaluate_screen_shows_the_loss_formula_translated() -> None:
    command = ["evaluate", "samples/real/iris.csv", "--skip-rows", "1", "--columns", "1-4",
               "--label-column", "5", "--model", "samples/real/iris_mlp.npz", "--activation",
               "relu,softmax", "-f", "table"]  # fmt: skip
    zh = nncalc(*command, "--lang", "zh", env=ENGLISH[0])
    assert zh.returncode == 0, zh.stderr.decode()
    screen = zh.stdout.decode()
    assert "（p 截断到 [eps, 1−eps]）" in screen and "clipped" not in screen
    en = nncalc(*command, env=ENGLISH[0]).stdout.decode()
    assert "(p clipped to [eps, 1−eps])" in en
