"""Seeded random parameters that replay a learner's notebook bit for bit.

The promise: with ``--seed S`` and recipe ``randn``, nncalc's W and b are exactly
``np.random.seed(S); W = np.random.randn(n, p); b = np.random.randn(p)``.  Every recipe
draws from that legacy stream (a ``RandomState`` seeded with S), W first, then b, and
:func:`numpy_line` prints the one line of numpy that gives the same arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import limits
from .i18n import _

if TYPE_CHECKING:  # numpy.random costs ~7 ms to import: only when something is drawn
    from numpy.random import RandomState

Draw = Callable[["RandomState", int, int], np.ndarray]
DrawW = Callable[["RandomState", int, int, tuple[int, int]], np.ndarray]

MAX_SEED = 2**32 - 1  # what np.random.seed accepts
MAX_ELEMENTS = 2**31


class Recipe(NamedTuple):
    """How W (n×p) and b (p,) are drawn, as code and as the numpy line that matches it."""

    name: str
    about: str
    w_code: str  # format fields: {n}, {p}; {rows}, {cols} for W's shape as drawn
    b_code: str
    draw_w: DrawW  # (rs, n, p, shape): shape is (n, p), or (p, n) for an out-in W
    draw_b: Draw


def _zeros_b(rs: RandomState, n: int, p: int) -> np.ndarray:
    return np.zeros(p)


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "randn",
            "W and b standard normal (the course notebook)",
            "np.random.randn({rows}, {cols})",
            "np.random.randn({p})",
            lambda rs, n, p, shape: rs.randn(*shape),
            lambda rs, n, p: rs.randn(p),
        ),
        Recipe(
            "nnfs",
            "W = 0.01·randn, b = 0 (the book's Layer_Dense)",
            "0.01 * np.random.randn({rows}, {cols})",
            "np.zeros({p})",
            lambda rs, n, p, shape: 0.01 * rs.randn(*shape),
            _zeros_b,
        ),
        Recipe(
            "he",
            "W normal with std √(2/n), b = 0",
            "np.random.randn({rows}, {cols}) * np.sqrt(2 / {n})",
            "np.zeros({p})",
            lambda rs, n, p, shape: rs.randn(*shape) * np.sqrt(2 / n),
            _zeros_b,
        ),
        Recipe(
            "xavier",
            "W uniform on ±√(6/(n+p)), b = 0 (Keras' default)",
            "np.random.uniform(-np.sqrt(6 / ({n} + {p})), np.sqrt(6 / ({n} + {p})), "
            "({rows}, {cols}))",
            "np.zeros({p})",
            lambda rs, n, p, shape: rs.uniform(-np.sqrt(6 / (n + p)), np.sqrt(6 / (n + p)), shape),
            _zeros_b,
        ),
        Recipe(
            "torch",
            "W and b uniform on ±1/√n (nn.Linear's default)",
            "np.random.uniform(-1 / np.sqrt({n}), 1 / np.sqrt({n}), ({rows}, {cols}))",
            "np.random.uniform(-1 / np.sqrt({n}), 1 / np.sqrt({n}), {p})",
            lambda rs, n, p, shape: rs.uniform(-1 / np.sqrt(n), 1 / np.sqrt(n), shape),
            lambda rs, n, p: rs.uniform(-1 / np.sqrt(n), 1 / np.sqrt(n), p),
        ),
        Recipe(
            "uniform",
            "W and b uniform on [-1, 1)",
            "np.random.uniform(-1, 1, ({rows}, {cols}))",
            "np.random.uniform(-1, 1, {p})",
            lambda rs, n, p, shape: rs.uniform(-1, 1, shape),
            lambda rs, n, p: rs.uniform(-1, 1, p),
        ),
        Recipe(
            "zeros",
            "W and b all zero",
            "np.zeros(({rows}, {cols}))",
            "np.zeros({p})",
            lambda rs, n, p, shape: np.zeros(shape),
            _zeros_b,
        ),
    )
}


def fresh_seed() -> int:
    """A seed for a run that did not ask for one; shown so the run can be replayed."""
    import secrets

    return secrets.randbelow(MAX_SEED + 1)


def check_seed(seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(
            _("seed {seed} is out of range: numpy takes 0 to {most}").format(
                seed=seed, most=MAX_SEED
            )
        )
    return seed


def check_size(shape: tuple[int, ...]) -> None:
    """Refuse shapes that are empty, absurd, or would not fit in memory."""
    if any(d <= 0 for d in shape):
        raise ValueError(
            _("sizes must be positive, got {shape}").format(shape="×".join(map(str, shape)))
        )
    count = 1
    for d in shape:
        count *= d
    need = count * 8
    if count > MAX_ELEMENTS or need > _available_memory():
        raise MemoryError(
            _(
                "a {shape} matrix needs {need} GiB, more than this machine has free ({free} GiB)"
            ).format(
                shape="×".join(map(str, shape)),
                need=f"{need / 2**30:.1f}",
                free=f"{_available_memory() / 2**30:.1f}",
            )
        )


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 2**34


def make_params(
    n: int,
    p: int,
    seed: int,
    recipe: str = "randn",
    *,
    want_w: bool = True,
    want_b: bool = True,
    out_in: bool = False,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Draw W (n×p) and/or b (p,) from ``np.random.seed(seed)``'s stream, W first.

    ``out_in`` draws W as p×n (PyTorch's layout, as ``--layout out-in`` reads it), with
    the same fan-in n: the stream is consumed in that shape, so it is not W.T of n×p.
    """
    r = RECIPES[recipe]
    check_seed(seed)
    check_size((n, p))
    what = _("a layer of {n} inputs × {p} neurons").format(n=n, p=p)
    limits.require(limits.layer_bytes(n, p), what)
    rs = np.random.RandomState(seed)
    w = r.draw_w(rs, n, p, (p, n) if out_in else (n, p)) if want_w else None
    b = r.draw_b(rs, n, p) if want_b else None
    return w, b


def numpy_line(
    n: int,
    p: int,
    seed: int,
    recipe: str = "randn",
    *,
    want_w: bool = True,
    want_b: bool = True,
    out_in: bool = False,
) -> str:
    """The notebook line that reproduces :func:`make_params` exactly; for ``out_in``, W
    is the n×p matrix the layer uses: the p×n draw, then ``.T``."""
    r = RECIPES[recipe]
    parts = [f"np.random.seed({seed})"]
    if want_w:
        rows, cols = (p, n) if out_in else (n, p)
        code = r.w_code.format(n=n, p=p, rows=rows, cols=cols)
        if out_in:
            code = f"({code}).T" if " " in code.replace(", ", "") else f"{code}.T"
        parts.append("W = " + code)
    if want_b:
        parts.append("b = " + r.b_code.format(n=n, p=p))
    return "; ".join(parts)


def random_matrix(
    shape: tuple[int, ...], seed: int, scale: float = 1.0, uniform: bool = False
) -> np.ndarray:
    """``np.random.randn(*shape)`` (or uniform on [-1, 1)) times ``scale``, seeded."""
    check_seed(seed)
    check_size(shape)
    count = int(np.prod(shape))
    what = _("a {shape} matrix and its text").format(shape="×".join(map(str, shape)))
    limits.require(48 * count, what)
    rs = np.random.RandomState(seed)
    a = rs.uniform(-1, 1, shape) if uniform else rs.randn(*shape)
    return a if scale == 1 else scale * a


def random_line(
    shape: tuple[int, ...], seed: int, scale: float = 1.0, uniform: bool = False
) -> str:
    dims = ", ".join(map(str, shape))
    call = (
        f"np.random.uniform(-1, 1, ({dims}{',' if len(shape) == 1 else ''}))"
        if uniform
        else f"np.random.randn({dims})"
    )
    return f"np.random.seed({seed}); " + (call if scale == 1 else f"{scale!r} * {call}")


def make_network(
    n: int, sizes: list[int], seed: int, recipe: str = "randn"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Draw every layer of an n→sizes[0]→sizes[1]→… network from one legacy stream, in
    the order W1, b1, W2, b2, … (a notebook's order, so :func:`network_lines` replays it)."""
    r = RECIPES[recipe]
    check_seed(seed)
    ins = [n, *sizes[:-1]]
    for k, p in zip(ins, sizes, strict=True):
        check_size((k, p))
    shapes = list(zip(ins, sizes, strict=True))
    what = _("a network of {sizes}").format(sizes="→".join(map(str, [n, *sizes])))
    limits.require(limits.network_bytes(shapes), what)
    rs = np.random.RandomState(seed)
    out = []
    for k, p in zip(ins, sizes, strict=True):
        w = r.draw_w(rs, k, p, (k, p))
        out.append((w, r.draw_b(rs, k, p)))
    return out


def network_lines(n: int, sizes: list[int], seed: int, recipe: str = "randn") -> str:
    """The numpy lines that reproduce :func:`make_network` exactly."""
    r = RECIPES[recipe]
    parts = [f"np.random.seed({seed})"]
    for k, (i, p) in enumerate(zip([n, *sizes[:-1]], sizes, strict=True), 1):
        parts.append(f"W{k} = " + r.w_code.format(n=i, p=p, rows=i, cols=p))
        parts.append(f"b{k} = " + r.b_code.format(n=i, p=p))
    return "; ".join(parts)
