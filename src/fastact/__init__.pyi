"""Type stubs for fastact's public API."""
from typing import Any, Mapping, TextIO, overload

import numpy as np
import numpy.typing as npt

from . import reference as reference

__version__: str

_Float = np.floating[Any]
_Array = npt.NDArray[_Float]

class Activation:
    """An activation function and its derivatives, like a NumPy ufunc object."""

    name: str
    spec: Any
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def from_y(self) -> bool: ...
    @property
    def params(self) -> dict[str, float | None]: ...
    ufunc: np.ufunc
    grad_ufunc: np.ufunc
    backward_ufunc: np.ufunc
    backward_from_y_ufunc: np.ufunc | None
    @overload
    def __call__(self, x: npt.NDArray[Any], out: None = ..., **params: float) -> _Array: ...
    @overload
    def __call__(self, x: npt.ArrayLike, out: npt.NDArray[Any], **params: float) -> npt.NDArray[Any]: ...
    @overload
    def __call__(self, x: float, out: None = ..., **params: float) -> np.float64: ...
    @overload
    def __call__(self, x: npt.ArrayLike, out: npt.NDArray[Any] | None = ..., **params: float) -> Any: ...
    def inplace(self, x: npt.NDArray[Any], **params: float) -> npt.NDArray[Any]: ...
    def grad(self, x: npt.ArrayLike, out: npt.NDArray[Any] | None = ..., **params: float) -> Any: ...
    def backward(
        self,
        g: npt.ArrayLike,
        x: npt.ArrayLike | None = ...,
        *,
        y: npt.ArrayLike | None = ...,
        out: npt.NDArray[Any] | None = ...,
        **params: float,
    ) -> Any: ...
    def reference(self, x: npt.ArrayLike, **params: float) -> Any: ...
    def reference_grad(self, x: npt.ArrayLike, **params: float) -> Any: ...
    @property
    def info(self) -> _Record: ...

def get(name: str) -> Activation: ...
def functions() -> list[str]: ...

class _Record(dict[str, Any]):
    def __getattr__(self, key: str) -> Any: ...

class _Catalogue(list[_Record]):
    def to_pandas(self) -> Any: ...

def catalogue() -> _Catalogue: ...
def show_config(file: TextIO | None = ...) -> None: ...
def get_include() -> str: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

identity: Activation
linear: Activation
relu: Activation
relu6: Activation
leaky_relu: Activation
hardtanh: Activation
hard_sigmoid: Activation
hardswish: Activation
hard_silu: Activation
hardshrink: Activation
softshrink: Activation
threshold: Activation
step: Activation
heaviside: Activation
sigmoid: Activation
logistic: Activation
expit: Activation
tanh: Activation
