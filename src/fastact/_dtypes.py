"""The dtype contract of the structured functions (_structured.pxi), which have their own
call path; the elementwise functions get theirs from their NumPy ufuncs (see _core.pyx).

- float32 and float64 are computed natively and preserved;
- float16 is computed in float32 and rounded back;
- bool and integers are promoted to float64, as NumPy's ufuncs do;
- complex, object, string, datetime and void inputs, and floats wider than float64, are refused
  with TypeError.
"""
from __future__ import annotations

import numpy as np

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
F16 = np.dtype(np.float16)


def as_input(value, argname: str) -> np.ndarray:
    """`value` as an ndarray, or TypeError naming `argname` when its dtype is not accepted."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{argname} must be array_like of real numbers: {exc}") from None
    kind = arr.dtype.kind
    if kind in "biu":
        return arr
    if kind == "f":
        if arr.dtype.itemsize > 8:
            raise TypeError(
                f"{argname} has dtype {arr.dtype}; fastact computes in float32 and float64 only"
            )
        return arr
    if kind == "c":
        raise TypeError(f"{argname} has complex dtype {arr.dtype}; activations are real functions")
    raise TypeError(f"{argname} has dtype {arr.dtype}; expected real numbers (float, int or bool)")


def result_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a result has for an input of `dtype`: float16/32/64 kept (in native byte
    order, as NumPy's ufuncs return), everything else float64."""
    return dtype.newbyteorder("=") if dtype.kind == "f" else F64


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype the kernels compute in for a result of `dtype`."""
    return F32 if dtype.itemsize <= 4 else F64
