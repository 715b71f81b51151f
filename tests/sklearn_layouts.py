"""Small files laid out exactly like the CSVs scikit-learn ships (not downloaded).

iris, wine and breast_cancer: a first line ``m,n,name,name…`` then m rows of n features
and an integer target; diabetes: space-separated features; digits: 65 integer columns
(64 pixels, then the digit), no header.  Values are drawn from a fixed seed.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

LAYOUTS = {
    "iris": (4, ["setosa", "versicolor", "virginica"]),
    "wine_data": (13, ["class_0", "class_1", "class_2"]),
    "breast_cancer": (30, ["malignant", "benign"]),
}


def features(name: str, m: int = 6) -> tuple[np.ndarray, np.ndarray]:
    n, targets = LAYOUTS[name]
    rs = np.random.RandomState(len(name))
    x = np.round(rs.uniform(0, 10, (m, n)), 2)
    y = np.arange(m) % len(targets)
    return x, y


def write_sklearn_csv(folder: Path, name: str, m: int = 6) -> Path:
    n, targets = LAYOUTS[name]
    x, y = features(name, m)
    lines = [",".join([str(m), str(n), *targets])]
    lines += [
        ",".join([*(repr(float(v)) for v in row), str(t)]) for row, t in zip(x, y, strict=True)
    ]
    path = folder / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def diabetes(folder: Path, m: int = 5) -> tuple[Path, np.ndarray]:
    rs = np.random.RandomState(10)
    x = np.round(rs.uniform(-0.1, 0.1, (m, 10)), 6)
    text = "\n".join(" ".join(repr(float(v)) for v in row) for row in x) + "\n"
    path = folder / "diabetes_data_raw.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    return path, x


def digits(folder: Path, m: int = 4) -> tuple[Path, np.ndarray]:
    rs = np.random.RandomState(64)
    x = rs.randint(0, 17, (m, 65))
    text = "\n".join(",".join(f"{v}.0" if j < 64 else str(v) for j, v in enumerate(row))
                     for row in x) + "\n"  # fmt: skip
    path = folder / "digits.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    return path, x.astype(np.float64)
