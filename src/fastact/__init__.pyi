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

def get(name: str) -> Activation: ...
def functions() -> list[str]: ...
def show_config(file: TextIO | None = ...) -> None: ...
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
log_sigmoid: Activation
softsign: Activation
tanhshrink: Activation
elu: Activation
selu: Activation
celu: Activation
softplus: Activation
silu: Activation
swish: Activation
gelu: Activation
mish: Activation
exponential: Activation
square: Activation
signed_square: Activation
sin: Activation
cos: Activation
