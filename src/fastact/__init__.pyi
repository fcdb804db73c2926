"""Type stubs for fastact's public API."""
from typing import Any, Literal, Mapping, TextIO, overload

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
    @property
    def info(self) -> _Record: ...

class _Structured:
    name: str
    spec: Any
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def from_y(self) -> bool: ...
    @property
    def params(self) -> dict[str, Any]: ...

_Axis = int | tuple[int, ...] | None
_ChannelParam = float | npt.ArrayLike

class AxisActivation(_Structured):
    """softmax, log_softmax, softmin: along an int axis, a tuple of axes or None (all)."""

    def __call__(self, x: npt.ArrayLike, axis: _Axis = ..., out: npt.NDArray[Any] | None = ...) -> Any: ...
    def inplace(self, x: npt.NDArray[Any], axis: _Axis = ...) -> npt.NDArray[Any]: ...
    def backward(
        self,
        g: npt.ArrayLike,
        x: npt.ArrayLike | None = ...,
        *,
        y: npt.ArrayLike | None = ...,
        out: npt.NDArray[Any] | None = ...,
        axis: _Axis = ...,
    ) -> Any: ...
    def reference(self, x: npt.ArrayLike, axis: _Axis = ...) -> Any: ...
    def reference_backward(self, g: npt.ArrayLike, y: npt.ArrayLike, axis: _Axis = ...) -> Any: ...

class HalvesActivation(_Structured):
    """glu: the first half along axis times sigmoid of the second half."""

    def __call__(self, x: npt.ArrayLike, axis: int = ..., out: npt.NDArray[Any] | None = ...) -> Any: ...
    def backward(
        self, g: npt.ArrayLike, x: npt.ArrayLike | None = ..., *, out: npt.NDArray[Any] | None = ..., axis: int = ...
    ) -> Any: ...
    def reference(self, x: npt.ArrayLike, axis: int = ...) -> Any: ...
    def reference_backward(self, g: npt.ArrayLike, x: npt.ArrayLike, axis: int = ...) -> Any: ...

class ChannelActivation(_Structured):
    """prelu, mpelu: per-channel (axis 1) parameters, scalars or 1-D arrays.

    backward(g, x=x, param_grads=True) returns (gx, {param name: gradient shaped like the
    param})."""

    def __call__(self, x: npt.ArrayLike, out: npt.NDArray[Any] | None = ..., **params: _ChannelParam) -> Any: ...
    def inplace(self, x: npt.NDArray[Any], **params: _ChannelParam) -> npt.NDArray[Any]: ...
    def grad(self, x: npt.ArrayLike, out: npt.NDArray[Any] | None = ..., **params: _ChannelParam) -> Any: ...
    @overload
    def backward(
        self, g: npt.ArrayLike, x: npt.ArrayLike | None = ..., *, out: npt.NDArray[Any] | None = ...,
        param_grads: Literal[False] = ..., **params: _ChannelParam
    ) -> Any: ...
    @overload
    def backward(
        self, g: npt.ArrayLike, x: npt.ArrayLike | None = ..., *, out: npt.NDArray[Any] | None = ...,
        param_grads: Literal[True], **params: _ChannelParam
    ) -> tuple[Any, dict[str, Any]]: ...
    def reference(self, x: npt.ArrayLike, **params: _ChannelParam) -> Any: ...
    def reference_grad(self, x: npt.ArrayLike, **params: _ChannelParam) -> Any: ...
    def reference_backward(self, g: npt.ArrayLike, x: npt.ArrayLike, **params: _ChannelParam) -> tuple[Any, dict[str, Any]]: ...

class RandomActivation(_Structured):
    """rrelu: random slopes in training (returned through slopes=), (lower + upper) / 2 in eval."""

    def __call__(
        self, x: npt.ArrayLike, out: npt.NDArray[Any] | None = ..., *, training: bool = ...,
        generator: np.random.Generator | int | np.random.SeedSequence | None = ...,
        slopes: npt.NDArray[Any] | None = ..., lower: float = ..., upper: float = ...
    ) -> Any: ...
    def inplace(
        self, x: npt.NDArray[Any], *, training: bool = ...,
        generator: np.random.Generator | int | np.random.SeedSequence | None = ...,
        slopes: npt.NDArray[Any] | None = ..., lower: float = ..., upper: float = ...
    ) -> npt.NDArray[Any]: ...
    def grad(
        self, x: npt.ArrayLike, out: npt.NDArray[Any] | None = ..., *, slopes: npt.ArrayLike | None = ...,
        training: bool = ..., lower: float = ..., upper: float = ...
    ) -> Any: ...
    def backward(
        self, g: npt.ArrayLike, x: npt.ArrayLike | None = ..., *, out: npt.NDArray[Any] | None = ...,
        slopes: npt.ArrayLike | None = ..., training: bool = ..., lower: float = ..., upper: float = ...
    ) -> Any: ...
    def reference(self, x: npt.ArrayLike, *, slopes: npt.ArrayLike | None = ..., lower: float = ..., upper: float = ...) -> Any: ...
    def reference_grad(self, x: npt.ArrayLike, *, slopes: npt.ArrayLike | None = ..., lower: float = ..., upper: float = ...) -> Any: ...

def get(name: str) -> Any: ...
def functions() -> list[str]: ...

class _Record(dict[str, Any]):
    def __getattr__(self, key: str) -> Any: ...

class _Catalogue(list[_Record]):
    def to_pandas(self) -> Any: ...

def catalogue() -> _Catalogue: ...
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
softmax: AxisActivation
log_softmax: AxisActivation
softmin: AxisActivation
glu: HalvesActivation
prelu: ChannelActivation
mpelu: ChannelActivation
rrelu: RandomActivation
