"""Chinese screens: the catalog is complete and compiled, the language is picked as the
README says, and nothing but words changes with it (data bytes, exit codes, the prefix)."""

from __future__ import annotations

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
