"""Scoring an ONNX model from CSV without nncalc: polars reads X from stdin, onnxruntime
runs the model, polars writes the output.  Argument: the .onnx file."""

import sys

import numpy as np
import onnxruntime as ort
import polars as pl

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
inp = session.get_inputs()[0]
dtype = np.float32 if inp.type == "tensor(float)" else np.float64
x = pl.read_csv(sys.stdin.buffer, has_header=False).to_numpy().astype(dtype, copy=False)
(out,) = session.run(None, {inp.name: x})
pl.from_numpy(out).write_csv(sys.stdout.buffer, include_header=False)
