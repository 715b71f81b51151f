"""The course's worked examples, shipped in the package so ``nncalc demo`` runs
anywhere; ``samples/`` holds the same numbers as files (a test keeps them equal)."""

from __future__ import annotations

W = [[0.8, 0.7], [-0.4, -0.6], [0.0, 0.2]]
B = [0.5, 0.5]

ONE_NEURON = {"x": [0.9, 0.5, 0.7], "w": [0.8, -0.4, 0.0], "b": 1.0, "z": [1.52], "a": [1.52]}
LAYER = {"x": [-0.9, -0.5, -0.7], "w": W, "b": B, "z": [-0.02, 0.03], "a": [0.0, 0.03]}
BATCH = {
    "x": [[-0.9, -0.4, -0.7], [-0.8, -0.5, -0.6], [-0.5, -0.8, -0.2]],
    "w": W,
    "b": B,
    "z": [[-0.06, -0.03], [0.06, 0.12], [0.42, 0.59]],
    "a": [[0.0, 0.0], [0.06, 0.12], [0.42, 0.59]],
}
ALL = {"one-neuron": ONE_NEURON, "layer": LAYER, "batch": BATCH}
