"""--engine dask against the local batch mode, the same command line through both: every
input format, every output format (parts joined = the local file, byte for byte), the
same error lines for the same bad inputs, the same --verbose lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import assert_one_error_line, run_nncalc

ROWS = 2500  # several 20 kB blocks per input


def rows(seed: int, m: int = ROWS) -> list[list[float]]:
    return np.random.default_rng(seed).standard_normal((m, 3)).tolist()


def write_inputs(folder: Path) -> list[str]:
    """One input of every format the dask engine reads, three columns each."""
    folder.mkdir()
    x = rows(0)
    (folder / "x.csv").write_text("a,b,c\n" + "".join(",".join(map(repr, r)) + "\n" for r in x))
    (folder / "t.tsv").write_text("".join("\t".join(map(repr, r)) + "\n" for r in rows(1)))
    (folder / "arr.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows(2)))
    recs = [json.dumps(dict(zip("abc", r, strict=True))) for r in rows(3)]
    # blank lines before the first record and between records, as people write them
    (folder / "rec.ndjson").write_text(
        "\n" + "\n".join(recs[:900]) + "\n\n" + "\n".join(recs[900:])
    )
    (folder / "m.json").write_text(json.dumps(rows(4, 700)))
    (folder / "recs.json").write_text(json.dumps([dict(zip("abc", r, strict=True))
                                                  for r in rows(5, 300)]))  # fmt: skip
    (folder / "one.json").write_text(json.dumps(rows(6, 1)[0]))
    return sorted(str(p.relative_to(folder.parent)) for p in folder.iterdir())


def both(
    tmp_path: Path, cluster: str, names: list[str], *args: str, blocksize: str = "20kB"
) -> tuple[Path, Path, str, str]:
    """The local batch run and the dask run of one command line: (local out, dask out,
    local stderr, dask stderr)."""
    local = run_nncalc("forward", *names, *args, "--out-dir", "local", cwd=tmp_path)
    dask = run_nncalc("forward", *names, *args, "--out-dir", "dask", "--engine", "dask",
                      "--scheduler", cluster, "--blocksize", blocksize, cwd=tmp_path)  # fmt: skip
    assert local.returncode == dask.returncode, (local.stderr, dask.stderr)
    for proc in (local, dask):
        assert b"Traceback" not in proc.stderr
    return tmp_path / "local", tmp_path / "dask", local.stderr.decode(), dask.stderr.decode()


def parts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("part-"))


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_every_input_format_in_every_output_format(tmp_path: Path, cluster: str, fmt: str) -> None:
    names = write_inputs(tmp_path / "in")
    local, dask, _, err = both(tmp_path, cluster, names, "--neurons", "4,2", "--seed", "3",
                               "-f", fmt)  # fmt: skip
    assert "error" not in err
    for name in names:
        stem = Path(name).stem
        joined = b"".join(p.read_bytes() for p in parts(dask / stem))
        assert joined == (local / f"{stem}.{fmt}").read_bytes(), name
        assert (dask / stem / "_SUCCESS").exists()
        assert all(p.suffix == f".{fmt}" for p in parts(dask / stem))
    assert len(parts(dask / "x")) > 3 and len(parts(dask / "rec")) > 3  # cut in blocks
    if fmt == "json":  # pieces of one document: the first opens it, the last closes it
        x = parts(dask / "x")
        assert x[0].read_bytes().startswith(b"[\n[") and x[1].read_bytes().startswith(b",\n[")
        assert x[-1].read_bytes().endswith(b"]\n]\n")
        assert json.loads(b"".join(p.read_bytes() for p in x))


def errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("nncalc: error: ")]


def test_the_same_bad_inputs_give_the_same_error_lines(tmp_path: Path, cluster: str) -> None:
    (tmp_path / "in").mkdir()
    x = rows(7)
    cells = [",".join(map(repr, r)) for r in x]
    cells[1800] = cells[1800].replace(",", ",oops,", 1).rsplit(",", 1)[0]
    (tmp_path / "in" / "cell.csv").write_text("a,b,c\n" + "\n".join(cells) + "\n")
    recs = [dict(zip("abc", r, strict=True)) for r in x]
    del recs[1500]["b"]
    (tmp_path / "in" / "key.ndjson").write_text("".join(json.dumps(r) + "\n" for r in recs))
    arrs = [json.dumps(r) for r in x]
    arrs[2100] = "[1.0, 2.0]"
    (tmp_path / "in" / "width.ndjson").write_text("\n".join(arrs) + "\n")
    doc = rows(8, 100)
    doc[40][1] = "x"  # type: ignore[call-overload]
    (tmp_path / "in" / "elem.json").write_text(json.dumps(doc))
    wide = np.random.default_rng(9).standard_normal((ROWS, 4)).tolist()
    (tmp_path / "in" / "wide.csv").write_text("".join(",".join(map(repr, r)) + "\n" for r in wide))
    (tmp_path / "in" / "empty.csv").write_text("a,b,c\n")
    # one block: no count pass, so the rows in its message are counted once it fails
    (tmp_path / "in" / "narrow.csv").write_text("1,2\n3,4\n\n5,6\n")
    (tmp_path / "in" / "good.csv").write_text("\n".join(cells[:1800]) + "\n")
    (tmp_path / "w.csv").write_text("1,2\n3,4\n5,6\n")
    (tmp_path / "b.csv").write_text("0.5,-0.5\n")
    names = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "in").iterdir())
    local, dask, local_err, dask_err = both(tmp_path, cluster, names, "-w", "w.csv", "-b",
                                            "b.csv")  # fmt: skip
    assert len(errors(local_err)) == 7
    assert errors(dask_err) == errors(local_err)
    wording = "\n".join(errors(dask_err))
    assert (
        "cell.csv:1802" in wording and "record 1501" in wording and "width.ndjson:2101" in wording
    )
    assert "wide.csv is 2500×4 (2500 samples, 4 features) but w.csv is 3×2" in wording
    assert "narrow.csv is 3×2 (3 samples, 2 features)" in wording
    assert (
        b"".join(p.read_bytes() for p in parts(dask / "good")) == (local / "good.csv").read_bytes()
    )


def notes(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines()
            if ln.startswith("nncalc: ") and not ln.startswith("nncalc: error: ")]  # fmt: skip


def test_verbose_says_what_a_local_run_says(tmp_path: Path, cluster: str) -> None:
    import polars as pl

    names = write_inputs(tmp_path / "in")
    pl.DataFrame(rows(10, 50), schema=["f0", "f1", "f2"], orient="row").write_parquet(
        tmp_path / "in" / "p.parquet"
    )
    (tmp_path / "w.csv").write_text("w1,w2\n1,2\n3,4\n5,6\n")
    names += ["in/p.parquet"]
    args = ["-w", "w.csv", "--seed", "2", "--verbose"]
    _, _, local_err, dask_err = both(tmp_path, cluster, names, *args)
    said = notes(local_err)
    assert len(said) > len(names) and any("format ndjson, keys a, b, c" in n for n in said)
    # and besides: the cluster it ran on, and that 20 kB blocks parse slowly
    extra = ("nncalc: scheduler ", "nncalc: warning: --blocksize below 8MiB")
    assert [n for n in notes(dask_err) if not n.startswith(extra)] == said
    assert [n for n in notes(dask_err) if n.startswith(extra)] == [
        "nncalc: warning: --blocksize below 8MiB: blocks this small are parsed by the slow "
        "line parser (several times slower)",
        f"nncalc: scheduler {cluster} (left running); dashboard "
        + dask_err.split(f"scheduler {cluster} (left running); dashboard ")[1].split()[0],
    ]


def test_class_names_as_json_parts_join_to_the_local_document(tmp_path: Path, cluster: str) -> None:
    names = [n for n in write_inputs(tmp_path / "in") if Path(n).stem in ("x", "rec")]
    local, dask, _, err = both(tmp_path, cluster, names, "--neurons", "4,2", "--seed", "3",
                               "--classes", "cat,dog", "-f", "json")  # fmt: skip
    assert "error" not in err
    for stem in ("x", "rec"):
        got = parts(dask / stem)
        assert len(got) > 3 and got[1].read_bytes().startswith(b',"')
        joined = b"".join(p.read_bytes() for p in got)
        assert joined == (local / f"{stem}.json").read_bytes()
        assert set(json.loads(joined)) <= {"cat", "dog"}


def test_columns_chosen_by_name_or_without_a_header_reach_every_block(
    tmp_path: Path, cluster: str
) -> None:
    """Only the first block holds the header line: the columns it chose by name (or an
    index column it left out) are the later blocks' too, and a header-less input's
    --columns give X its width."""
    (tmp_path / "in").mkdir()
    x = rows(11)
    body = "".join(",".join(map(repr, r)) + f",{i % 3}\n" for i, r in enumerate(x))
    (tmp_path / "in" / "named.csv").write_text("a,b,c,y\n" + body)
    (tmp_path / "in" / "plain.csv").write_text(body)
    index = "".join(f"{i}," + ",".join(map(repr, r)) + "\n" for i, r in enumerate(x))
    (tmp_path / "in" / "index.csv").write_text(",a,b,c\n" + index)
    for names, picked in ((["in/named.csv"], ["--columns", "a,b,c"]),
                          (["in/named.csv"], ["--drop-columns", "y"]),
                          (["in/plain.csv"], ["--columns", "1-3"]),
                          (["in/index.csv"], [])):  # fmt: skip
        local, dask, _, err = both(tmp_path, cluster, names, *picked, "--neurons", "2",
                                   "--seed", "1", "--force")  # fmt: skip
        assert "error" not in err, (picked, err)
        stem = Path(names[0]).stem
        assert len(parts(dask / stem)) > 3
        joined = b"".join(p.read_bytes() for p in parts(dask / stem))
        assert joined == (local / f"{stem}.csv").read_bytes(), picked


def write_labelled(folder: Path) -> list[str]:
    """CSV/TSV inputs whose first column is each row's id: with a header line (some ids
    quoted, holding the delimiter or a quote), without one, one that fits in one block,
    and one whose comment preamble fills the first 7 kB block (its part has no row but
    must still name the id column)."""
    folder.mkdir()
    x = rows(12)
    ids = [f"r{i}" for i in range(ROWS)]
    ids[5], ids[1234], ids[2400] = "r,5", 'say "hi"', "r\t2400"

    def cell(label: str) -> str:
        return '"' + label.replace('"', '""') + '"' if "," in label or '"' in label else label

    body = "".join(
        cell(i) + "," + ",".join(map(repr, r)) + "\n" for i, r in zip(ids, x, strict=True)
    )
    (folder / "named.csv").write_text("id,a,b,c\n" + body)
    (folder / "plain.tsv").write_text(
        "".join(f"s{k}\t" + "\t".join(map(repr, r)) + "\n" for k, r in enumerate(rows(13)))
    )
    (folder / "small.csv").write_text("key,a,b,c\nk1,1,2,3\nk2,-4,5,0.5\n")
    (folder / "late.csv").write_text(
        "# a long preamble\n" * 500 + "id,a,b,c\n" + "".join(body.splitlines(keepends=True)[:1000])
    )
    return sorted(str(p.relative_to(folder.parent)) for p in folder.iterdir())


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson"])
def test_ids_reach_every_part_as_a_local_run_writes_them(
    tmp_path: Path, cluster: str, fmt: str
) -> None:
    """--id-column on the cluster: every part carries its rows' ids (the first part the
    id column's name), beside A or beside --argmax's class, and the parts joined are the
    local file byte for byte, however small the blocks."""
    names = write_labelled(tmp_path / "in")
    for shown, blocksize in (([], "7kB"), ([], "20kB"), (["--argmax"], "5kB"),
                             (["--classes", "cat,dog"], "11kB")):  # fmt: skip
        local, dask, _, err = both(tmp_path, cluster, names, "--id-column", "1", "--neurons",
                                   "4,2", "--seed", "3", "-f", fmt, *shown, "--force",
                                   blocksize=blocksize)  # fmt: skip
        assert "error" not in err, err
        for name in names:
            stem = Path(name).stem
            got = parts(dask / stem)
            want = (local / f"{stem}.{fmt}").read_bytes()
            assert b"".join(p.read_bytes() for p in got) == want, (name, shown, blocksize)
            if stem != "small":
                assert len(got) > 3, (name, blocksize)
        first = (local / f"named.{fmt}").read_bytes()
        if fmt in ("csv", "tsv"):
            d = "," if fmt == "csv" else "\t"
            assert first.startswith(f"id{d}".encode())
            if blocksize == "7kB":  # the first block is all preamble: a header, no row
                late = parts(dask / "late")[0].read_bytes()
                assert late == first.split(b"\n")[0] + b"\n"
        else:
            doc = (json.loads(first) if fmt == "json"
                   else [json.loads(ln) for ln in first.splitlines()])  # fmt: skip
            assert [r["id"] for r in doc[:6]] == ["r0", "r1", "r2", "r3", "r4", "r,5"]
            assert set(doc[0]) == ({"id", "class"} if shown else {"id", "a"})


def test_an_input_or_output_that_cannot_hold_ids_is_refused_not_dropped(
    tmp_path: Path, cluster: str
) -> None:
    """Only the CSV/TSV reader takes an id column: another input is that input's error
    line, as in a local batch (the others still run); Parquet output cannot hold the ids,
    which is one usage line before anything runs."""
    names = [n for n in write_inputs(tmp_path / "in") if Path(n).stem in ("x", "arr", "m")]
    (tmp_path / "in" / "x.csv").write_text(
        "id,a,b\n"
        + "".join(f"r{i}," + ",".join(map(repr, r[:2])) + "\n" for i, r in enumerate(rows(0)))
    )
    local, dask, local_err, dask_err = both(tmp_path, cluster, names, "--id-column", "id",
                                            "--neurons", "2", "--seed", "0")  # fmt: skip
    assert errors(dask_err) == errors(local_err)
    assert len(errors(dask_err)) == 2 and "arr.ndjson is ndjson" in dask_err
    assert "m.json is json" in dask_err
    joined = b"".join(p.read_bytes() for p in parts(dask / "x"))
    assert joined == (local / "x.csv").read_bytes() and joined.startswith(b"id,n0,n1\nr0,")
    proc = run_nncalc("forward", "in/x.csv", "--id-column", "id", "--neurons", "2", "--seed",
                      "0", "-f", "parquet", "--out-dir", "pq", "--engine", "dask",
                      "--scheduler", cluster, cwd=tmp_path)  # fmt: skip
    assert_one_error_line(proc, 2, "--id-column labels rows in CSV, TSV, JSON or NDJSON output")
    assert not (tmp_path / "pq").exists()


@pytest.mark.parametrize("labels", [False, True])
@pytest.mark.parametrize("with_ids", [False, True])
def test_json_parts_keep_the_writers_separators(labels: bool, with_ids: bool) -> None:
    """json_part's assumption about the writer's pieces (a row after the first starts
    with ",\\n", or "," for --argmax's bare classes), for rows of A and for classes, with
    and without ids (objects): blocks cut anywhere join to the one local document."""
    from collections import deque

    from nncalc.engines.dask.records import Block
    from nncalc.engines.dask.score import json_part
    from nncalc.formats import Format
    from nncalc.formats.write import LabelWriter, Writer

    a = np.random.default_rng(4).standard_normal((23, 2))
    names = [f"r{i}" for i in range(23)]

    def pieces(lo: int, hi: int) -> Any:
        ids = deque([names[lo:hi]]) if with_ids else None
        if labels:
            w = LabelWriter(Format.JSON, ["x", "y"], None, ids, "id")
            return w.encode([np.argmax(a[lo:hi], axis=1)] if hi > lo else [])
        return Writer(Format.JSON, ids=ids, id_name="id").encode([a[lo:hi]] if hi > lo else [])

    whole = b"".join(pieces(0, 23))
    for cuts in ([0, 23], [0, 1, 23], [0, 5, 6, 17, 23], [0, 0, 9, 9, 23]):
        got = b""
        for k, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False)):
            block = Block(input=0, number=k, fs=None, path="", offset=0, length=0,
                          first_row=lo, rows=hi - lo, total_rows=23)  # fmt: skip
            got += b"".join(json_part(iter(pieces(lo, hi)), block, labels and not with_ids))
        assert got == whole, cuts
    if with_ids:
        row = json.loads(whole)[3]
        assert row["id"] == "r3" and set(row) == ({"id", "class"} if labels else {"id", "a"})
