"""Type stubs for fastact.reference (the pure-NumPy twins)."""
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

formulas: dict[str, dict[str, Callable[..., np.ndarray]]]

def evaluate(name: str, kind: str, x: npt.ArrayLike, **params: float) -> np.ndarray: ...
# <name>(x, **params), <name>_grad(x, **params), <name>_grad_from_y(y, **params)
def __getattr__(attr: str) -> Callable[..., Any]: ...
