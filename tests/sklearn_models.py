"""scikit-learn models trained on its bundled datasets (no download), for tests that
compare nncalc with scikit-learn: an iris MLP (3 classes, softmax out), a breast_cancer
MLP (2 classes, one logistic output) and the diabetes regression."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import numpy as np


@functools.cache
def trained(name: str) -> tuple[Any, np.ndarray, np.ndarray]:
    """(fitted MLP, X, y) for ``iris``, ``breast_cancer`` or ``diabetes``; X is scaled to
    zero mean and unit variance so a few hundred iterations converge."""
    from sklearn import datasets
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    loader = {"iris": datasets.load_iris, "breast_cancer": datasets.load_breast_cancer,
              "diabetes": datasets.load_diabetes}[name]  # fmt: skip
    x, y = loader(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    cls = MLPRegressor if name == "diabetes" else MLPClassifier
    model = cls(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return model, x, y


def activations(name: str) -> str:
    return {"iris": "relu,softmax", "breast_cancer": "relu,sigmoid",
            "diabetes": "relu,linear"}[name]  # fmt: skip


def export_npz(model: Any, path: Path) -> Path:
    """As the README says: W1, b1, W2, b2 from ``coefs_`` and ``intercepts_``."""
    np.savez(path, **{f"W{k + 1}": w for k, w in enumerate(model.coefs_)},
             **{f"b{k + 1}": b for k, b in enumerate(model.intercepts_)})  # fmt: skip
    return path
