"""The registry: one declaration per function.

Each ``Spec`` names a function, its aliases, its parameters (with defaults and validation),
whether its derivative is available from the output y, its pure-NumPy reference (see
``fastact.reference``), where its kinks are, and the accuracy it promises.  The Python API, the
tests, the benchmarks and the docs tables all iterate over ``SPECS``; the C side has the
matching list in ``csrc/fastact.h`` (checked at import).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from . import _dtypes
from . import reference as _ref

REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """A scalar parameter: its name, its default (REQUIRED if none) and its doc.  A choice
    parameter (`choices` given) takes one of those strings; the C side gets its index."""

    name: str
    default: object = REQUIRED
    doc: str = ""
    choices: tuple = ()

    def decode(self, value: float):
        """The user-level value of the resolved (numeric) `value`."""
        return self.choices[int(value)] if self.choices else value


RULE_KINDS = {  # kind: (test, message); a declarative rule is checked in C on the fast path
    "lt": (lambda a, b: a < b, "{a} must be less than {b}"),
    "le": (lambda a, b: a <= b, "{a} must be less than or equal to {b}"),
    "ge0": (lambda a, b: a >= 0, "{a} must be >= 0"),
    "ne0": (lambda a, b: a != 0, "{a} must not be 0"),
}


@dataclass(frozen=True)
class Rule:
    """A constraint on parameters `a` (and `b`): one of RULE_KINDS, else ValueError."""

    kind: str
    a: str
    b: str | None = None

    def check(self, values: Mapping[str, float], caller: str) -> None:
        test, message = RULE_KINDS[self.kind]
        if not test(values[self.a], values.get(self.b)):
            got = ", ".join(f"{n}={values[n]!r}" for n in (self.a, self.b) if n)
            raise ValueError(f"{caller}(): {message.format(a=self.a, b=self.b)} (got {got})")


@dataclass(frozen=True)
class Spec:
    name: str
    formula: str
    derivative: str
    family: str
    aliases: tuple = ()
    params: tuple = ()
    rules: tuple = ()
    from_y: bool = False
    # x values where the derivative jumps (finite differences skip them), given the params
    kinks: Callable[[Mapping[str, float]], list] = lambda p: []
    # bit-identical to the reference (piecewise-linear functions)
    exact: bool = False
    # work per element relative to a compare-and-select (4: an exp and a division); arrays go
    # multi-threaded from _core's parallel_min / cost elements
    cost: int = 1
    # max ULP error vs the exact oracle (golden.json), per dtype: (value, derivative)
    ulp: Mapping[str, tuple] = field(default_factory=lambda: {"float32": (0, 0), "float64": (0, 0)})
    # False where f has no limit at +-inf (sin, cos): NaN there, as in IEEE and PyTorch
    limits_at_inf: bool = True

    @property
    def param_names(self) -> tuple:
        return tuple(p.name for p in self.params)

    def resolve(self, given: Mapping[str, object], caller: str) -> tuple:
        """The parameter values, in declaration order, from keyword arguments `given`.

        TypeError for unknown, missing or non-real parameters; ValueError for NaN or a broken
        rule.  Each message names the function and the parameter."""
        for key in given:
            if key not in self.param_names:
                expected = ", ".join(self.param_names) or "none"
                raise TypeError(
                    f"{caller}() got an unexpected keyword argument {key!r} "
                    f"(parameters: {expected})"
                )
        values = {}
        for p in self.params:
            if p.name in given:
                v = given[p.name]
            elif p.default is REQUIRED:
                raise TypeError(f"{caller}() missing required keyword argument {p.name!r}")
            else:
                v = p.default
            if p.choices:
                if not isinstance(v, str):
                    raise TypeError(f"{caller}(): parameter {p.name!r} must be a string, one of "
                                    f"{', '.join(map(repr, p.choices))}, not {type(v).__name__}")
                if v not in p.choices:
                    raise ValueError(f"{caller}(): parameter {p.name!r} must be one of "
                                     f"{', '.join(map(repr, p.choices))} (got {v!r})")
                values[p.name] = float(p.choices.index(v))
                continue
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
                raise TypeError(
                    f"{caller}(): parameter {p.name!r} must be a real number, "
                    f"not {type(v).__name__}"
                )
            try:
                v = float(v)
            except OverflowError:  # an int beyond the float range
                raise ValueError(f"{caller}(): parameter {p.name!r} is too large for a float "
                                 f"(got an int of {int(v).bit_length()} bits)") from None
            if math.isnan(v):
                raise ValueError(f"{caller}(): parameter {p.name!r} is NaN")
            values[p.name] = v
        for rule in self.rules:
            rule.check(values, caller)
        return tuple(values[n] for n in self.param_names)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params if p.default is not REQUIRED}

    # -- references, with the same argument and dtype rules as the fast functions
    def _reference(self, kind, x, params):
        values = self.resolve(params, f"reference.{self.name}")
        kw = {p.name: p.decode(v) for p, v in zip(self.params, values)}
        arr = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(arr.dtype)
        cdt = _dtypes.compute_dtype(rdt)
        r = _ref.evaluate(self.name, kind, arr.astype(cdt, copy=False), **kw).astype(rdt, copy=False)
        return r if r.ndim else r[()]

    def reference(self, x, **params):
        """f(x), computed by the pure-NumPy reference."""
        return self._reference("value", x, params)

    def reference_grad(self, x, **params):
        """f'(x), computed by the pure-NumPy reference."""
        return self._reference("derivative", x, params)

    def reference_grad_from_y(self, y, **params):
        """f'(x) from y = f(x), computed by the pure-NumPy reference."""
        if not self.from_y:
            raise TypeError(f"{self.name} has no derivative from y")
        return self._reference("derivative_from_y", y, params)


_LAMBD_RULE = Rule("ge0", "lambd")
# the accuracy every transcendental function of the catalogue promises (issue 5): value within
# 2 ulp and derivative within 4 of the exact result, float32 over all 2^32 inputs
_SMOOTH_ULP = {"float32": (2, 4), "float64": (2, 4)}
# sin, cos: float32 in double, rounded once (0.502 ulp, ulp_sweep)
_PERIODIC_ULP = {"float32": (1, 1), "float64": (2, 4)}
SPECS: tuple = (
    Spec("identity", "x", "1", "textbook", aliases=("linear",), exact=True),
    Spec("relu", "max(0, x)", "1 if x > 0 else 0", "relu", from_y=True,
         kinks=lambda p: [0.0], exact=True),
    Spec("relu6", "min(max(0, x), 6)", "1 on (0, 6) else 0", "relu",
         kinks=lambda p: [0.0, 6.0], exact=True),
    Spec("leaky_relu", "x if x > 0 else negative_slope * x", "1 if x > 0 else negative_slope",
         "relu", params=(Param("negative_slope", 0.01, "slope for x <= 0"),),
         kinks=lambda p: [0.0], exact=True,
         ulp={"float32": (0, 0), "float64": (0, 0)}),  # x * slope: one rounding of the exact product
    Spec("hardtanh", "clip(x, min_val, max_val)", "1 on (min_val, max_val) else 0", "sigmoid",
         params=(Param("min_val", -1.0, "lower bound"), Param("max_val", 1.0, "upper bound")),
         rules=(Rule("le", "min_val", "max_val"),),
         kinks=lambda p: [p["min_val"], p["max_val"]], exact=True),
    Spec("hard_sigmoid", "0 if x <= -3; 1 if x >= 3; x/6 + 1/2", "1/6 on (-3, 3) else 0",
         "sigmoid", kinks=lambda p: [-3.0, 3.0], exact=True,
         ulp={"float32": (0, 0), "float64": (1, 0)}),
    Spec("hardswish", "0 if x <= -3; x if x >= 3; x (x + 3) / 6", "0 if x <= -3; 1 if x >= 3; (2x + 3) / 6",
         "smooth", aliases=("hard_silu",), kinks=lambda p: [-3.0, 3.0], exact=True,
         # float32: correctly rounded (subnormal ties of x/2 broken by x^2/6, see the kernel)
         ulp={"float32": (0, 0), "float64": (1, 1)}),
    Spec("hardshrink", "x if |x| > lambd else 0", "1 if |x| > lambd else 0", "relu",
         params=(Param("lambd", 0.5, "half-width of the zero band, >= 0"),),
         rules=(_LAMBD_RULE,), kinks=lambda p: [-p["lambd"], p["lambd"]], exact=True),
    Spec("softshrink", "x - lambd if x > lambd; x + lambd if x < -lambd; else 0",
         "1 if |x| > lambd else 0", "relu",
         params=(Param("lambd", 0.5, "half-width of the zero band, >= 0"),),
         rules=(_LAMBD_RULE,), kinks=lambda p: [-p["lambd"], p["lambd"]], exact=True),
    Spec("threshold", "x if x > threshold else value", "1 if x > threshold else 0", "relu",
         params=(Param("threshold", doc="cut-off"), Param("value", doc="replacement value")),
         kinks=lambda p: [p["threshold"]], exact=True),
    Spec("step", "1 if x > 0; 0 if x < 0; at_zero at 0", "0", "textbook",
         aliases=("heaviside",), params=(Param("at_zero", 1.0, "value at x == 0"),),
         kinks=lambda p: [0.0], exact=True),
    Spec("sigmoid", "1 / (1 + e^-x)", "y (1 - y)", "sigmoid", aliases=("logistic", "expit"),
         from_y=True, cost=4, ulp={"float32": (2, 4), "float64": (2, 4)}),
    Spec("tanh", "(e^x - e^-x) / (e^x + e^-x)", "1 - y^2", "sigmoid", from_y=True, cost=4,
         ulp=_SMOOTH_ULP),
    # -- the smooth catalogue (csrc/fa_functions.inc, one formula for both dtypes; float32 gelu,
    # mish and silu's derivative in double, rounded once; tanhshrink in float: fa_functions_f32.inc)
    Spec("log_sigmoid", "log sigmoid(x) = -softplus(-x)", "sigmoid(-x)", "sigmoid", cost=8,
         ulp=_SMOOTH_ULP),
    Spec("softsign", "x / (1 + |x|)", "1 / (1 + |x|)^2", "sigmoid", cost=2,
         ulp=_SMOOTH_ULP),
    Spec("tanhshrink", "x - tanh(x)", "tanh(x)^2", "sigmoid", cost=6,
         # float64 value below |x| = 1: P's last two Horner steps as double-doubles (a rounded
         # P was 2.6 ulp without FMA, 1.9 with)
         ulp=_SMOOTH_ULP),
    Spec("elu", "x if x > 0 else alpha (e^x - 1)", "1 if x > 0 else alpha e^x = y + alpha",
         "relu", params=(Param("alpha", 1.0, "value approached as x -> -inf is -alpha"),),
         from_y=True, kinks=lambda p: [0.0], cost=5, ulp=_SMOOTH_ULP),
    Spec("selu", "scale * elu(x, alpha), fixed alpha = 1.67326..., scale = 1.05070...",
         "scale if x > 0 else scale alpha e^x", "relu", kinks=lambda p: [0.0], cost=5,
         ulp=_SMOOTH_ULP),
    Spec("celu", "max(0, x) + min(0, alpha (e^(x/alpha) - 1))", "1 if x > 0 else e^(x/alpha)",
         "relu", params=(Param("alpha", 1.0, "scale of the negative side, != 0"),),
         rules=(Rule("ne0", "alpha"),), kinks=lambda p: [0.0], cost=5, ulp=_SMOOTH_ULP),
    Spec("softplus", "(1/beta) log(1 + e^(beta x)); x where beta x > threshold",
         "sigmoid(beta x); 1 where beta x > threshold", "smooth",
         params=(Param("beta", 1.0, "sharpness, != 0"),
                 Param("threshold", 20.0, "beta x above which softplus is x")),
         rules=(Rule("ne0", "beta"),), cost=8,
         ulp=_SMOOTH_ULP),
    Spec("silu", "x sigmoid(beta x)", "s + beta x s (1 - s), s = sigmoid(beta x)", "smooth",
         aliases=("swish",), params=(Param("beta", 1.0, "slope inside the sigmoid"),), cost=5,
         # float32 for beta = 1 with FMA (the float forms on |x| <= 87): value 1.16 ulp,
         # derivative 2.84; otherwise 0.50 / 0.50 (double, rounded once) (ulp_sweep)
         ulp={"float32": (2, 4), "float64": _SMOOTH_ULP["float64"]}),
    Spec("gelu", "'none': x Phi(x) = x (1 + erf(x / sqrt 2)) / 2; "
         "'tanh': x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2",
         "'none': Phi(x) + x phi(x); 'tanh': the derivative of the tanh form", "smooth",
         params=(Param("approximate", "none", "'none' (erf) or 'tanh'", choices=("none", "tanh")),),
         # float64 'none' value: x/2 + x^2 Q(x^2) below |x| = 1; above, x/2 g erfcx with g,
         # erfcx's last two steps (c0, c1 to 106 bits) and 1 - E/2 as double-doubles (a rounded
         # erfcx and 1 - E/2 were 3.3 ulp, 4.0 without FMA)
         cost=12, ulp=_SMOOTH_ULP),
    Spec("mish", "x tanh(softplus(x))",
         "tanh(sp) + x sech^2(sp) sigmoid(x), sp = softplus(x)", "smooth", cost=6,
         # float64 value: e^x, n = e^x (e^x + 2) and n / (n + 2) as double-doubles (rounded,
         # 2.5 ulp)
         ulp=_SMOOTH_ULP),
    Spec("exponential", "e^x", "e^x = y", "textbook", from_y=True, cost=4, ulp=_SMOOTH_ULP),
    Spec("square", "x^2", "2x", "textbook", exact=True),
    Spec("signed_square", "x |x|", "2 |x|", "textbook", exact=True),
    Spec("sin", "sin(omega x)", "omega cos(omega x)", "periodic",
         params=(Param("omega", 1.0, "angular frequency"),), cost=8, limits_at_inf=False,
         ulp=_PERIODIC_ULP),
    Spec("cos", "cos(omega x)", "-omega sin(omega x)", "periodic",
         params=(Param("omega", 1.0, "angular frequency"),), cost=8, limits_at_inf=False,
         ulp=_PERIODIC_ULP),
)

BY_NAME: dict = {}
for _spec in SPECS:
    for _n in (_spec.name,) + _spec.aliases:
        assert _n not in BY_NAME, _n
        BY_NAME[_n] = _spec
del _spec, _n


def _md_cell(text):
    return str(text).replace("|", "\\|")


def _md_param(p):
    return p.name + (" (required)" if p.default is REQUIRED else f"={p.default!r}")


def markdown_table() -> str:
    """The README's table of functions, generated from the registry (a test keeps them equal;
    `python -m fastact docs` prints it)."""
    cell, param = _md_cell, _md_param

    rows = ["| function | aliases | f(x) | f'(x) | parameters | backward from y |",
            "|---|---|---|---|---|---|"]
    for s in SPECS:
        rows.append("| " + " | ".join([s.name, ", ".join(s.aliases), cell(s.formula),
                                       cell(s.derivative), ", ".join(map(param, s.params)),
                                       "yes" if s.from_y else ""]) + " |")
    return "\n".join(rows)


# ==================================================================== structured functions
# Functions that are not elementwise: along an axis (softmax family, glu) or with array-valued
# parameters and extra outputs (prelu, mpelu, rrelu).  Their kernels are csrc/fa_structured.inc
# (the C list FA_STRUCTURED_LIST in csrc/fa_structured.h), their call path
# src/fastact/_structured.pxi, their references src/fastact/_reference_structured.py.

@dataclass(frozen=True)
class ChannelParam:
    """A parameter that is a scalar or a 1-D array with one value per channel (the channel axis
    is axis 1 when x.ndim >= 2; a 1-D x is one channel); length 1 broadcasts to every channel."""

    name: str
    default: object = REQUIRED
    doc: str = ""


@dataclass(frozen=True)
class StructuredSpec:
    name: str
    # "axis": softmax family (axis=, backward from y); "halves": glu (axis=, backward from x);
    # "channel": per-channel learnable parameters (param_grads); "random": rrelu
    kind: str
    formula: str
    derivative: str
    family: str
    params: tuple = ()
    rules: tuple = ()
    cost: int = 1          # as Spec.cost
    sign: float = 1.0      # softmin: -1 (softmax of -x)
    # x values where the derivative jumps, given the params (as Spec.kinks)
    kinks: Callable[[Mapping[str, object]], list] = lambda p: []
    # max ULP error vs a float64 (for float32) / longdouble (for float64) reference:
    # (value, derivative)
    ulp: Mapping[str, tuple] = field(default_factory=lambda: {"float32": (0, 0), "float64": (0, 0)})
    aliases: tuple = ()

    @property
    def param_names(self) -> tuple:
        return tuple(p.name for p in self.params)

    @property
    def learnable(self) -> tuple:
        """The parameters backward(..., param_grads=True) returns gradients for."""
        return tuple(p.name for p in self.params if isinstance(p, ChannelParam))

    @property
    def from_y(self) -> bool:
        return self.kind == "axis"

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params if p.default is not REQUIRED}


STRUCTURED_SPECS: tuple = (
    StructuredSpec("softmax", "axis", "e^(x_i - m) / sum_j e^(x_j - m), m = max along axis",
                   "y * (g - sum(g * y)) along axis", "axis", cost=4,
                   ulp={"float32": (3, 3), "float64": (3, 3)}),
    StructuredSpec("log_softmax", "axis", "x_i - m - log1p(sum of the non-maximal e^(x_j - m))",
                   "g - e^y * sum(g) along axis", "axis", cost=4,
                   ulp={"float32": (3, 3), "float64": (3, 3)}),
    StructuredSpec("softmin", "axis", "softmax(-x)", "-y * (g - sum(g * y)) along axis", "axis",
                   cost=4, sign=-1.0, ulp={"float32": (3, 3), "float64": (3, 3)}),
    StructuredSpec("glu", "halves", "a * sigmoid(b), a and b the halves of x along axis",
                   "d/da = sigmoid(b) g; d/db = a sigmoid'(b) g", "smooth", cost=4,
                   ulp={"float32": (3, 5), "float64": (3, 5)}),
    StructuredSpec("prelu", "channel", "x if x > 0 else weight * x (weight per channel)",
                   "1 if x > 0 else weight; d/dweight = sum of g * x over x <= 0", "relu",
                   kinks=lambda p: [0.0],
                   params=(ChannelParam("weight", doc="slope for x <= 0: a scalar or one per "
                                        "channel (axis 1)"),),
                   ulp={"float32": (0, 0), "float64": (0, 0)}),
    StructuredSpec("mpelu", "channel", "x if x > 0 else alpha (e^(beta x) - 1)",
                   "1 if x > 0 else alpha beta e^(beta x); d/dalpha = e^(beta x) - 1, "
                   "d/dbeta = alpha x e^(beta x) on x <= 0", "smooth", cost=4,
                   kinks=lambda p: [0.0],
                   params=(ChannelParam("alpha", 1.0, "scale of the negative part, scalar or "
                                        "per channel"),
                           ChannelParam("beta", 1.0, "rate of the negative part (>= 0), scalar "
                                        "or per channel")),
                   ulp={"float32": (3, 4), "float64": (3, 4)}),
    StructuredSpec("rrelu", "random", "x if x >= 0 else a * x, a ~ U(lower, upper) per element "
                   "in training, (lower + upper) / 2 otherwise", "1 if x >= 0 else a", "relu",
                   kinks=lambda p: [0.0],
                   params=(Param("lower", 1.0 / 8, "lowest slope"),
                           Param("upper", 1.0 / 3, "highest slope (>= lower)")),
                   rules=(Rule("le", "lower", "upper"),),
                   ulp={"float32": (0, 0), "float64": (1, 0)}),
)

STRUCTURED_BY_NAME: dict = {s.name: s for s in STRUCTURED_SPECS}
assert not set(STRUCTURED_BY_NAME) & set(BY_NAME)


def structured_markdown_table() -> str:
    """The README's table of the structured functions (`python -m fastact docs`)."""

    cell = _md_cell

    def param(p):
        return _md_param(p) + (" (per channel)" if isinstance(p, ChannelParam) else "")

    extra = {"axis": "axis=-1 (int, tuple or None); backward from y",
             "halves": "axis=-1; backward from x", "channel": "backward(param_grads=True)",
             "random": "training=False, generator, slopes="}
    rows = ["| function | f(x) | f'(x) | parameters | call |", "|---|---|---|---|---|"]
    for s in STRUCTURED_SPECS:
        rows.append("| " + " | ".join([s.name, cell(s.formula), cell(s.derivative),
                                       ", ".join(map(param, s.params)), extra[s.kind]]) + " |")
    return "\n".join(rows)
