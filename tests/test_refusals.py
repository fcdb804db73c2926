"""The refusal table: every bad input, the exact exception and message it gets, and proof that
a refused call writes nothing into out (nor into x or g).

Cases are spelled out for one function each; the registry-driven part repeats the parameter and
dtype refusals for every function and method, so functions added later are covered too."""
import numpy as np
import pytest

import fastact
from fastact._registry import SPECS

from conftest import params_for

SENTINEL = 12345.0


def _ro(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


X = np.ones(4)
# (id, call(o) with o a float64 out of shape (4,) full of SENTINEL, exception, exact message)
TABLE = [
    # wrong types, complex, object and string arrays
    ("complex x", lambda o: fastact.relu(X * 1j, out=o), TypeError,
     "x has complex dtype complex128; activations are real functions"),
    ("complex64 x", lambda o: fastact.sigmoid(np.ones(4, np.complex64), out=o), TypeError,
     "x has complex dtype complex64; activations are real functions"),
    ("object x", lambda o: fastact.relu(np.array([1.0, None, 2, 3], object), out=o), TypeError,
     "x has dtype object; expected real numbers (float, int or bool)"),
    ("string x", lambda o: fastact.tanh(np.array(["1", "2", "3", "4"]), out=o), TypeError,
     "x has dtype <U1; expected real numbers (float, int or bool)"),
    ("bytes x", lambda o: fastact.relu(b"abcd", out=o), TypeError,
     "x has dtype |S4; expected real numbers (float, int or bool)"),
    ("str x", lambda o: fastact.relu("abcd", out=o), TypeError,
     "x has dtype <U4; expected real numbers (float, int or bool)"),
    ("None x", lambda o: fastact.relu(None, out=o), TypeError,
     "x has dtype object; expected real numbers (float, int or bool)"),
    ("int beyond int64 x", lambda o: fastact.relu([10 ** 400] * 4, out=o), TypeError,
     "x has dtype object; expected real numbers (float, int or bool)"),
    ("ragged list x", lambda o: fastact.relu([[1.0], [2.0, 3.0]], out=o), TypeError,
     "x must be array_like of real numbers: setting an array element with a sequence. The "
     "requested array has an inhomogeneous shape after 1 dimensions. The detected shape was "
     "(2,) + inhomogeneous part."),
    # fuzz finding 4: without out, the ragged list reached an out-of-bounds tuple read in the
    # Cython layer (wraparound=False and names[-1]): a segfault on every function and method
    ("ragged list x, no out", lambda o: fastact.tanh([[1.0], [2.0, 3.0]]), TypeError,
     "x must be array_like of real numbers: setting an array element with a sequence. The "
     "requested array has an inhomogeneous shape after 1 dimensions. The detected shape was "
     "(2,) + inhomogeneous part."),
    ("ragged list x (grad)", lambda o: fastact.relu.grad([[1.0], [2.0, 3.0]]), TypeError,
     "x must be array_like of real numbers: setting an array element with a sequence. The "
     "requested array has an inhomogeneous shape after 1 dimensions. The detected shape was "
     "(2,) + inhomogeneous part."),
    ("ragged list g", lambda o: fastact.tanh.backward([[1.0], [2.0, 3.0]], x=1.0), TypeError,
     "g must be array_like of real numbers: setting an array element with a sequence. The "
     "requested array has an inhomogeneous shape after 1 dimensions. The detected shape was "
     "(2,) + inhomogeneous part."),
    # fuzz finding 3: next to parameter operands NumPy raised OverflowError for a huge int
    ("int beyond float x with parameters",
     lambda o: fastact.threshold(10 ** 400, out=o, threshold=2.0, value=0.0), TypeError,
     "x has dtype object; expected real numbers (float, int or bool)"),
    ("int beyond float g", lambda o: fastact.relu.backward(10 ** 400, x=X, out=o), TypeError,
     "g has dtype object; expected real numbers (float, int or bool)"),
    # fuzz finding 8: next to an integer y, dtype=float64 let NumPy cast a longdouble g down
    ("longdouble g next to an int y",
     lambda o: fastact.elu.backward(np.ones(4, np.longdouble), y=np.int8(-3), out=o), TypeError,
     f"g has dtype {np.dtype(np.longdouble)}; fastact computes in float32 and float64 only"),
    ("longdouble x", lambda o: fastact.relu(np.ones(4, np.longdouble), out=o), TypeError,
     f"x has dtype {np.dtype(np.longdouble)}; fastact computes in float32 and float64 only"),
    ("datetime x", lambda o: fastact.relu(np.zeros(4, "M8[D]"), out=o), TypeError,
     "x has dtype datetime64[D]; expected real numbers (float, int or bool)"),
    ("timedelta x", lambda o: fastact.relu(np.zeros(4, "m8[s]"), out=o), TypeError,
     "x has dtype timedelta64[s]; expected real numbers (float, int or bool)"),
    ("void x", lambda o: fastact.relu(np.zeros(4, "V8"), out=o), TypeError,
     "x has dtype |V8; expected real numbers (float, int or bool)"),
    ("complex g", lambda o: fastact.tanh.backward(X * 1j, x=X, out=o), TypeError,
     "g has complex dtype complex128; activations are real functions"),
    ("string y", lambda o: fastact.tanh.backward(X, y=np.array(["1"] * 4), out=o), TypeError,
     "y has dtype <U1; expected real numbers (float, int or bool)"),
    # out: shape, writability, dtype, type
    ("out of another shape", lambda o: fastact.relu(np.ones(5), out=o), ValueError,
     "relu: out has shape (4,), but the result has shape (5,)"),
    ("out of another rank", lambda o: fastact.relu(np.ones((2, 2)), out=o), ValueError,
     "relu: out has shape (4,), but the result has shape (2, 2)"),
    ("out for a broadcast result", lambda o: fastact.tanh.backward(np.ones((2, 4)), x=X, out=o),
     ValueError, "tanh.backward: out has shape (4,), but the result has shape (2, 4)"),
    ("read-only out", lambda o: fastact.relu(X, out=_ro(o)), ValueError, "relu: out is read-only"),
    ("read-only out (grad)", lambda o: fastact.tanh.grad(X, out=_ro(o)), ValueError,
     "tanh.grad: out is read-only"),
    ("int out", lambda o: fastact.relu(X, out=np.zeros(4, np.int64)), TypeError,
     "relu: cannot cast the float64 result to out's dtype int64 with casting='same_kind'"),
    ("bool out", lambda o: fastact.sigmoid(X, out=np.zeros(4, bool)), TypeError,
     "sigmoid: cannot cast the float64 result to out's dtype bool with casting='same_kind'"),
    ("list out", lambda o: fastact.relu(X, out=[0.0] * 4), TypeError,
     "relu: out must be a numpy.ndarray, not list"),
    ("scalar out", lambda o: fastact.relu(X, out=np.float64(0)), TypeError,
     "relu: out must be a numpy.ndarray, not float64"),
    ("read-only x in place", lambda o: fastact.relu.inplace(_ro(o)), ValueError,
     "relu.inplace: x is read-only"),
    ("inplace on a list", lambda o: fastact.relu.inplace([1.0, 2.0]), TypeError,
     "relu.inplace: x must be a numpy.ndarray, not list"),
    ("inplace on ints", lambda o: fastact.relu.inplace(np.ones(4, np.int32)), TypeError,
     "relu.inplace: x must have a float dtype to hold the result, not int32"),
    # parameters
    ("unknown parameter", lambda o: fastact.leaky_relu(X, out=o, alpha=0.1), TypeError,
     "leaky_relu() got an unexpected keyword argument 'alpha' (parameters: negative_slope)"),
    ("parameter to a function without", lambda o: fastact.relu(X, out=o, alpha=0.1), TypeError,
     "relu() got an unexpected keyword argument 'alpha' (parameters: none)"),
    ("string parameter", lambda o: fastact.leaky_relu(X, out=o, negative_slope="0.1"), TypeError,
     "leaky_relu(): parameter 'negative_slope' must be a real number, not str"),
    ("None parameter", lambda o: fastact.leaky_relu(X, out=o, negative_slope=None), TypeError,
     "leaky_relu(): parameter 'negative_slope' must be a real number, not NoneType"),
    ("complex parameter", lambda o: fastact.leaky_relu(X, out=o, negative_slope=1j), TypeError,
     "leaky_relu(): parameter 'negative_slope' must be a real number, not complex"),
    ("array parameter", lambda o: fastact.leaky_relu(X, out=o, negative_slope=np.array([0.1])),
     TypeError, "leaky_relu(): parameter 'negative_slope' must be a real number, not ndarray"),
    ("bool parameter", lambda o: fastact.hardshrink(X, out=o, lambd=True), TypeError,
     "hardshrink(): parameter 'lambd' must be a real number, not bool"),
    ("NaN parameter", lambda o: fastact.leaky_relu(X, out=o, negative_slope=float("nan")),
     ValueError, "leaky_relu(): parameter 'negative_slope' is NaN"),
    ("numpy NaN parameter", lambda o: fastact.step.grad(X, out=o, at_zero=np.float32("nan")),
     ValueError, "step.grad(): parameter 'at_zero' is NaN"),
    # fuzz finding: an int beyond the float range raised OverflowError
    ("int parameter beyond float", lambda o: fastact.leaky_relu(X, out=o, negative_slope=10 ** 400),
     ValueError, "leaky_relu(): parameter 'negative_slope' is too large for a float "
                 "(got an int of 1329 bits)"),
    ("min_val > max_val", lambda o: fastact.hardtanh(X, out=o, min_val=1.0, max_val=-1.0),
     ValueError, "hardtanh(): min_val must be less than or equal to max_val (got min_val=1.0, "
                 "max_val=-1.0)"),
    ("min_val > max_val in grad", lambda o: fastact.hardtanh.grad(X, out=o, min_val=2, max_val=1),
     ValueError, "hardtanh.grad(): min_val must be less than or equal to max_val (got "
                 "min_val=2.0, max_val=1.0)"),
    ("negative lambd", lambda o: fastact.softshrink(X, out=o, lambd=-0.5), ValueError,
     "softshrink(): lambd must be >= 0 (got lambd=-0.5)"),
    ("missing required parameter", lambda o: fastact.threshold(X, out=o, value=1.0), TypeError,
     "threshold() missing required keyword argument 'threshold'"),
    # backward's arguments
    ("backward without x or y", lambda o: fastact.tanh.backward(X, out=o), TypeError,
     "tanh.backward() needs exactly one of x= or y="),
    ("backward with x and y", lambda o: fastact.tanh.backward(X, x=X, y=X, out=o), TypeError,
     "tanh.backward() needs exactly one of x= or y="),
    ("backward from y unsupported", lambda o: fastact.relu6.backward(X, y=X, out=o), TypeError,
     "relu6.backward(): the derivative of relu6 is not available from y; pass x="),
    ("g is None", lambda o: fastact.tanh.backward(None, x=X, out=o), TypeError,
     "tanh.backward(): g must be array_like, not None"),
    ("g of a shape that does not broadcast", lambda o: fastact.tanh.backward(np.ones(3), x=X, out=o),
     ValueError, "tanh.backward: g with shape (3,) and x with shape (4,) cannot be broadcast "
                 "together"),
    # call shapes
    ("three positional arguments", lambda o: fastact.relu(X, o, None), TypeError,
     "__call__() takes at most 2 positional arguments (3 given)"),
    ("out positional and keyword", lambda o: fastact.relu(X, o, out=o), TypeError,
     "__call__() got multiple values for keyword argument 'out'"),
    # module-level settings
    ("set_num_threads(0)", lambda o: fastact.set_num_threads(0), ValueError,
     "set_num_threads: n must be >= 1, got 0"),
    ("set_num_threads(2.0)", lambda o: fastact.set_num_threads(2.0), TypeError,
     "set_num_threads: n must be an int, not float"),
    ("set_num_threads(True)", lambda o: fastact.set_num_threads(True), TypeError,
     "set_num_threads: n must be an int, not bool"),
    ("unknown function", lambda o: fastact.get("nope"), ValueError,
     "fastact has no function 'nope'; see fastact.functions()"),
]


def _check_refused(call, exc, message, args):
    """call() raises exactly `exc(message)` and leaves every array in args as it was."""
    before = [a.copy() for a in args]
    with pytest.raises(Exception) as info:
        call()
    assert type(info.value) is exc, (type(info.value), info.value)
    assert str(info.value) == message
    for a, b in zip(args, before):
        assert np.array_equal(a, b, equal_nan=True), "a refused call wrote into an argument"


@pytest.mark.parametrize("case", TABLE, ids=[c[0] for c in TABLE])
def test_refusal_table(case, threads):
    _, call, exc, message = case
    o = np.full(4, SENTINEL)
    x = X.copy()
    _check_refused(lambda: call(o), exc, message, [o, x])
    assert (o == SENTINEL).all() and (X == 1).all()
    n_threads = fastact.get_num_threads()
    assert n_threads >= 1


# ---------------------------------------------------------------- every function and method

def _methods(spec):
    f = fastact.get(spec.name)
    m = {"": lambda x, o, **p: f(x, out=o, **p),
         ".grad": lambda x, o, **p: f.grad(x, out=o, **p),
         ".backward": lambda x, o, **p: f.backward(o, x=x, out=o, **p)}
    if spec.from_y:
        m[".backward "] = lambda x, o, **p: f.backward(o, y=x, out=o, **p)
    return m


REGISTRY_CASES = []
for _s in SPECS:
    for _m in _methods(_s):
        REGISTRY_CASES.append((_s, _m))


@pytest.mark.parametrize("spec,method", REGISTRY_CASES,
                         ids=[f"{s.name}{m.strip()}{'(y=)' if m.endswith(' ') else ''}"
                              for s, m in REGISTRY_CASES])
def test_every_method_refuses_bad_arguments(spec, method):
    call = _methods(spec)[method]
    caller = spec.name + method.strip()
    good = params_for(spec)
    x = np.linspace(-2, 2, 4)
    argname = "y" if method.endswith(" ") else "x"

    def refused(exc, message, xx=x, **p):
        o = np.full(4, SENTINEL)
        _check_refused(lambda: call(xx, o, **{**good, **p}), exc, message, [o, x])
        assert (o == SENTINEL).all()

    refused(TypeError, f"{argname} has complex dtype complex128; activations are real functions",
            xx=x * 1j)
    refused(TypeError, f"{argname} has dtype object; expected real numbers (float, int or bool)",
            xx=x.astype(object))
    refused(TypeError, f"{caller}() got an unexpected keyword argument 'bogus' (parameters: "
                       f"{', '.join(spec.param_names) or 'none'})", bogus=1.0)
    for q in spec.param_names:
        choices = next(p.choices for p in spec.params if p.name == q)
        if choices:  # a choice parameter (gelu's approximate): a string of the set, else refused
            listed = ", ".join(map(repr, choices))
            refused(ValueError, f"{caller}(): parameter {q!r} must be one of {listed} (got '1')", **{q: "1"})
            refused(TypeError, f"{caller}(): parameter {q!r} must be a string, one of {listed}, not float", **{q: 1.0})
            continue
        refused(TypeError, f"{caller}(): parameter {q!r} must be a real number, not str", **{q: "1"})
        refused(TypeError, f"{caller}(): parameter {q!r} must be a real number, not bool", **{q: False})
        refused(ValueError, f"{caller}(): parameter {q!r} is NaN", **{q: np.nan})
        refused(ValueError, f"{caller}(): parameter {q!r} is too large for a float (got an int "
                            f"of 1330 bits)", **{q: -(2 ** 1329)})
    # out: the wrong shape, read-only, an int dtype, not an array (the message names the caller
    # without the parentheses)
    for o, exc, message in [
            (np.full(5, SENTINEL), ValueError,
             f"{caller}: out has shape (5,), but the result has shape (4,)"),
            (_ro(np.full(4, SENTINEL)), ValueError, f"{caller}: out is read-only"),
            (np.zeros(4, np.int32), TypeError,
             f"{caller}: cannot cast the float64 result to out's dtype int32 with "
             f"casting='same_kind'")]:
        f = fastact.get(spec.name)
        if "backward" in method:  # out is also g here: give g separately
            kw = {argname: x}
            _check_refused(lambda: f.backward(np.ones(4), out=o, **kw, **good), exc, message,
                           [o, x])
        else:
            _check_refused(lambda: call(x, o, **good), exc, message, [o, x])


# ---------------------------------------------------------------- structured functions

X2 = np.ones((2, 4))


def _channels(caller, name, shape):
    """The refusal of a per-channel parameter of the wrong length or rank for X2."""
    return (f"{caller}(): parameter '{name}' must be a scalar or have length 1 or 4 (the "
            f"channels, axis 1 of x), got shape {shape}")
# (id, call(o) with o a float64 out of shape (2, 4) full of SENTINEL, exception, exact message)
STRUCTURED_TABLE = [
    ("axis out of range", lambda o: fastact.softmax(X2, axis=2, out=o), np.exceptions.AxisError,
     "axis 2 is out of bounds for array of dimension 2"),
    ("negative axis out of range (backward)",
     lambda o: fastact.log_softmax.backward(o, y=X2, axis=-3, out=o), np.exceptions.AxisError,
     "axis -3 is out of bounds for array of dimension 2"),
    ("glu axis out of range", lambda o: fastact.glu(X2, axis=5), np.exceptions.AxisError,
     "axis 5 is out of bounds for array of dimension 2"),
    ("repeated axis", lambda o: fastact.softmax(X2, axis=(0, 0), out=o), ValueError,
     "softmax(): repeated axis in (0, 0)"),
    ("float axis", lambda o: fastact.softmin(X2, axis=1.5, out=o), TypeError,
     "softmin(): axis must be an int, a tuple of ints or None, not float"),
    ("complex x (softmax)", lambda o: fastact.softmax(X2 * 1j, out=o), TypeError,
     "x has complex dtype complex128; activations are real functions"),
    ("softmax out of another shape", lambda o: fastact.softmax(X2.T, axis=0, out=o), ValueError,
     "softmax: out has shape (2, 4), but the result has shape (4, 2)"),
    ("odd glu length", lambda o: fastact.glu(np.ones((2, 3))), ValueError,
     "glu: x has an odd length 3 along axis -1; glu halves it"),
    ("glu out of the input's shape", lambda o: fastact.glu(X2, out=o), ValueError,
     "glu: out has shape (2, 4), but the result has shape (2, 2)"),
    ("prelu weight of the wrong length", lambda o: fastact.prelu(X2, weight=np.ones(3), out=o),
     ValueError, _channels("prelu", "weight", "(3,)")),
    ("prelu weight of the wrong rank", lambda o: fastact.prelu(X2, weight=np.ones((2, 2)), out=o),
     ValueError, _channels("prelu", "weight", "(2, 2)")),
    ("prelu weight of the wrong length (backward)",
     lambda o: fastact.prelu.backward(o, x=X2, weight=np.ones(5), out=o, param_grads=True),
     ValueError, _channels("prelu.backward", "weight", "(5,)")),
    ("prelu NaN weight", lambda o: fastact.prelu(X2, weight=np.nan, out=o), ValueError,
     "prelu(): parameter 'weight' contains NaN"),
    ("prelu without weight", lambda o: fastact.prelu(X2, out=o), TypeError,
     "prelu() missing required keyword argument 'weight'"),
    ("mpelu alpha of the wrong length", lambda o: fastact.mpelu(X2, alpha=np.ones(3), out=o),
     ValueError, _channels("mpelu", "alpha", "(3,)")),
    ("mpelu beta of the wrong length", lambda o: fastact.mpelu.grad(X2, beta=np.ones(7), out=o),
     ValueError, _channels("mpelu.grad", "beta", "(7,)")),
    ("rrelu lower > upper", lambda o: fastact.rrelu(X2, lower=0.5, upper=0.1, out=o), ValueError,
     "rrelu(): lower must be less than or equal to upper (got lower=0.5, upper=0.1)"),
    ("rrelu slopes of another shape",
     lambda o: fastact.rrelu(X2, training=True, slopes=np.ones(3), out=o), ValueError,
     "rrelu: slopes has shape (3,), x has (2, 4)"),
    ("rrelu generator of the wrong type",
     lambda o: fastact.rrelu(X2, training=True, generator="x", out=o), TypeError,
     "rrelu(): generator must be a numpy.random.Generator, an int seed or None, not str"),
]


@pytest.mark.parametrize("case", STRUCTURED_TABLE, ids=[c[0] for c in STRUCTURED_TABLE])
def test_structured_refusal_table(case, threads):
    _, call, exc, message = case
    o = np.full((2, 4), SENTINEL)
    x = X2.copy()
    _check_refused(lambda: call(o), exc, message, [o, x])
    assert (o == SENTINEL).all() and (X2 == 1).all()
