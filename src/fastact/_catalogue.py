"""The properties catalogue: what the textbooks compare, for every function of the spec.

One entry per function name (the whole catalogue of ``shared/spec/activations.md``, including
functions not yet registered; ``fastact.catalogue()`` lists the registered ones), each stating,
at its catalogue parameters (the defaults, plus values for required parameters):

- output range: ``lower``/``upper`` bounds and whether each is attained; ``bounded``
- ``monotonic``: "increasing" (strictly), "non-decreasing" or "none"
- ``zero_centred``: f(0) = 0 and the output reaches -1 or below (takes both signs in earnest)
- ``smoothness``: "discontinuous", "C0", "C1" or "C∞"; ``kinks``: where f or f' is not smooth
- saturation on each side: "none" (f' does not tend to 0), "soft" (f' -> 0, never 0 on a
  finite input) or "hard" (f' == 0 exactly beyond ``from_x``), the limit ``level`` of f there,
  and the parameters that control it
- ``when``: one line on when to use it.

Every claim is tested against the implementation on dense grids including +-inf
(``tests/test_catalogue.py``), so a wrong claim fails a test.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

INF = math.inf
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SELU_SCALE_ALPHA = 1.7580993408473768599402175208123  # the exact product, rounded once

MONOTONIC = ("increasing", "non-decreasing", "none")
SMOOTHNESS = ("discontinuous", "C0", "C1", "C∞")
SATURATION = ("none", "soft", "hard")


@dataclass(frozen=True)
class Side:
    """Saturation on one side: `kind` (none/soft/hard), the limit `level` of f (None when f
    has none, e.g. periodic), and for hard saturation the finite `from_x` beyond which
    (strictly) f' == 0."""

    kind: str
    level: float | None
    from_x: float | None = None

    def text(self, side):
        if self.kind == "none":
            return "none"
        if self.kind == "hard":
            return f"hard: {_num(self.level)} for x {'<' if side == 'left' else '>'} " \
                   f"{_num(self.from_x)}"
        return f"soft: -> {_num(self.level)}"


@dataclass(frozen=True)
class Properties:
    name: str
    lower: float
    upper: float
    lower_attained: bool
    upper_attained: bool
    monotonic: str
    zero_centred: bool
    smoothness: str
    left: Side
    right: Side
    when: str
    kinks: tuple = ()
    params: dict = field(default_factory=dict)  # required parameters' catalogue values
    controls: str = ""  # which parameters move the range / saturation
    elementwise: bool = True  # False: along an axis (softmax, ...): grid tests do not apply

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.lower) and math.isfinite(self.upper)

    @property
    def range(self) -> str:
        lo = ("[" if self.lower_attained else "(") + _num(self.lower)
        hi = _num(self.upper) + ("]" if self.upper_attained else ")")
        return f"{lo}, {hi}"


def _num(v):
    if v is None:
        return "-"
    if v in (INF, -INF):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


def _p(name, lo, hi, lo_in, hi_in, mono, zc, smooth, left, right, when, **kw):
    return Properties(name, lo, hi, lo_in, hi_in, mono, zc, smooth, left, right, when, **kw)


NONE_L, NONE_R = Side("none", -INF), Side("none", INF)

_ENTRIES = (
    # -- textbook
    _p("identity", -INF, INF, False, False, "increasing", True, "C∞", NONE_L, NONE_R,
       "output layer of a regression; the 'no activation' baseline"),
    # -- ReLU family
    _p("relu", 0.0, INF, True, False, "non-decreasing", False, "C0",
       Side("hard", 0.0, 0.0), NONE_R,
       "default for hidden layers of CNNs and MLPs: cheapest, no saturation for x > 0; "
       "units whose input stays negative die (zero gradient)", kinks=(0.0,)),
    _p("relu6", 0.0, 6.0, True, True, "non-decreasing", False, "C0",
       Side("hard", 0.0, 0.0), Side("hard", 6.0, 6.0),
       "mobile and quantised nets (MobileNetV2): the bounded range suits low precision",
       kinks=(0.0, 6.0)),
    _p("leaky_relu", -INF, INF, False, False, "increasing", True, "C0", NONE_L, NONE_R,
       "relu without dead units (a small slope for x < 0); GAN discriminators",
       kinks=(0.0,), controls="negative_slope: the slope for x <= 0"),
    _p("prelu", -INF, INF, False, False, "increasing", True, "C0", NONE_L, NONE_R,
       "leaky relu whose slope is learned per channel (deep CNNs, He et al. 2015)",
       kinks=(0.0,), params={"weight": 0.25}, controls="weight: the slope for x <= 0"),
    _p("rrelu", -INF, INF, False, False, "increasing", True, "C0", NONE_L, NONE_R,
       "leaky relu with a random slope in training, a regulariser for small data sets",
       kinks=(0.0,), controls="lower, upper: the range of the slope for x < 0"),
    _p("elu", -1.0, INF, False, False, "increasing", True, "C1",
       Side("soft", -1.0), NONE_R,
       "relu alternative whose negative outputs pull mean activations towards 0 and saturate "
       "smoothly; C1 only for alpha = 1", kinks=(0.0,),
       controls="alpha: the negative level -alpha (C0 unless alpha = 1)"),
    _p("selu", -SELU_SCALE_ALPHA, INF, False, False, "increasing", True, "C0",
       Side("soft", -SELU_SCALE_ALPHA), NONE_R,
       "self-normalising deep MLPs: with LeCun-normal init and alpha-dropout, activations keep "
       "mean 0 and variance 1 without batch norm", kinks=(0.0,),
       controls="fixed alpha and scale (the self-normalising fixed point)"),
    _p("celu", -1.0, INF, False, False, "increasing", True, "C1",
       Side("soft", -1.0), NONE_R,
       "elu made continuously differentiable for every alpha", kinks=(0.0,),
       controls="alpha: the negative level -alpha and the rate 1/alpha"),
    _p("mpelu", -1.0, INF, False, False, "increasing", True, "C1",
       Side("soft", -1.0), NONE_R,
       "elu with a learnable level (alpha) and rate (beta); C1 when alpha beta = 1",
       kinks=(0.0,), controls="alpha: the negative level -alpha; beta: the rate"),
    _p("threshold", 0.0, INF, True, False, "non-decreasing", False, "discontinuous",
       Side("hard", 0.0, 1.0), NONE_R,
       "legacy layer: replace values at or below a cut-off by a constant",
       kinks=(1.0,), params={"threshold": 1.0, "value": 0.0},
       controls="threshold: the cut-off; value: the constant below it"),
    _p("hardshrink", -INF, INF, False, False, "non-decreasing", True, "discontinuous",
       NONE_L, NONE_R,
       "sparsify: zero the small values, keep the large ones unchanged (denoising)",
       kinks=(-0.5, 0.5), controls="lambd: the half-width of the zero band"),
    _p("softshrink", -INF, INF, False, False, "non-decreasing", True, "C0", NONE_L, NONE_R,
       "soft thresholding: the proximal step of L1 penalties (ISTA, wavelet denoising)",
       kinks=(-0.5, 0.5), controls="lambd: the half-width of the zero band"),
    # -- sigmoid family
    _p("sigmoid", 0.0, 1.0, False, False, "increasing", False, "C∞",
       Side("soft", 0.0), Side("soft", 1.0),
       "probabilities of binary outputs and gates (LSTM, GRU); in deep hidden stacks its "
       "saturation and positive mean slow learning"),
    _p("log_sigmoid", -INF, 0.0, False, False, "increasing", False, "C∞",
       NONE_L, Side("soft", 0.0),
       "log-probabilities of binary outcomes for stable likelihood losses; not a hidden layer"),
    _p("hard_sigmoid", 0.0, 1.0, True, True, "non-decreasing", False, "C0",
       Side("hard", 0.0, -3.0), Side("hard", 1.0, 3.0),
       "cheap gate for mobile nets (MobileNetV3 squeeze-and-excite)", kinks=(-3.0, 3.0)),
    _p("tanh", -1.0, 1.0, False, False, "increasing", True, "C∞",
       Side("soft", -1.0), Side("soft", 1.0),
       "zero-centred squashing for RNN states; saturates like sigmoid"),
    _p("hardtanh", -1.0, 1.0, True, True, "non-decreasing", True, "C0",
       Side("hard", -1.0, -1.0), Side("hard", 1.0, 1.0),
       "cheap tanh substitute with a linear core (quantised RNNs, clipping)", kinks=(-1.0, 1.0),
       controls="min_val, max_val: the levels and the points where it saturates"),
    _p("softsign", -1.0, 1.0, False, False, "increasing", True, "C∞",
       Side("soft", -1.0), Side("soft", 1.0),
       "tanh-like squashing that saturates polynomially (slower), with no exponential"),
    _p("tanhshrink", -INF, INF, False, False, "increasing", True, "C∞", NONE_L, NONE_R,
       "x minus its tanh: flat near 0, linear far out; sparse coding, rarely a hidden layer"),
    # -- smooth rectifiers
    _p("softplus", 0.0, INF, False, False, "increasing", False, "C∞",
       Side("soft", 0.0), NONE_R,
       "smooth relu; keeps outputs positive (variances, rates) in probabilistic models",
       controls="beta: sharpness; threshold: where it switches to x (linear)"),
    _p("silu", -0.27846454276107385, INF, True, False, "none", False, "C∞",
       Side("soft", 0.0), NONE_R,
       "transformer MLPs (SwiGLU) and modern CNNs (EfficientNet): smooth, non-monotonic dip "
       "below 0", controls="beta: sharpness (swish)"),
    _p("gelu", -0.16997120747990366, INF, True, False, "none", False, "C∞",
       Side("soft", 0.0), NONE_R,
       "the default of transformers (BERT, GPT): x weighted by the Gaussian CDF; "
       "approximate='tanh' matches older checkpoints",
       controls="approximate: 'none' (erf) or 'tanh'"),
    _p("hardswish", -0.375, INF, True, False, "none", False, "C0",
       Side("hard", 0.0, -3.0), NONE_R,
       "cheap swish for mobile nets (MobileNetV3)", kinks=(-3.0, 3.0)),
    _p("mish", -0.30884341301725043, INF, True, False, "none", False, "C∞",
       Side("soft", 0.0), NONE_R,
       "detection CNNs (YOLOv4): like silu, a little smoother and costlier"),
    # -- others
    _p("step", 0.0, 1.0, True, True, "non-decreasing", False, "discontinuous",
       Side("hard", 0.0, 0.0), Side("hard", 1.0, 0.0),
       "perceptrons and binary units; no gradient: train with a surrogate (sigmoid) instead",
       kinks=(0.0,), controls="at_zero: the value at 0"),
    _p("exponential", 0.0, INF, False, False, "increasing", False, "C∞",
       Side("soft", 0.0), NONE_R,
       "positive outputs (rates, scales) in log-linear models; explodes in hidden layers"),
    _p("square", 0.0, INF, True, False, "none", False, "C∞", Side("none", INF), NONE_R,
       "polynomial networks and energy terms; gradients grow with |x|"),
    _p("signed_square", -INF, INF, False, False, "increasing", True, "C1", NONE_L, NONE_R,
       "an odd quadratic that keeps the sign", kinks=(0.0,)),
    _p("sin", -1.0, 1.0, True, True, "none", True, "C∞", Side("none", None),
       Side("none", None),
       "implicit neural representations (SIREN) and periodic signals, with SIREN's init",
       controls="omega: the frequency"),
    _p("cos", -1.0, 1.0, True, True, "none", False, "C∞", Side("none", None),
       Side("none", None), "periodic (Fourier) features", controls="omega: the frequency"),
    # -- along an axis
    _p("softmax", 0.0, 1.0, False, False, "increasing", False, "C∞",
       Side("soft", 0.0), Side("soft", 1.0),
       "probabilities over classes: the output of multi-class classifiers, attention weights",
       elementwise=False, controls="axis"),
    _p("log_softmax", -INF, 0.0, False, False, "increasing", False, "C∞",
       NONE_L, Side("soft", 0.0),
       "log-probabilities for the cross-entropy (NLL) loss, stable where softmax underflows",
       elementwise=False, controls="axis"),
    _p("softmin", 0.0, 1.0, False, False, "none", False, "C∞",
       Side("soft", 1.0), Side("soft", 0.0),
       "weights that favour the smallest inputs (soft argmin)", elementwise=False,
       controls="axis"),
    _p("glu", -INF, INF, False, False, "none", True, "C∞", NONE_L, NONE_R,
       "gated linear units of language models (GLU; SwiGLU and GeGLU use silu and gelu)",
       elementwise=False, controls="axis: split into value and gate halves"),
)

CATALOGUE: dict = {p.name: p for p in _ENTRIES}

FIELDS = ("name", "family", "range", "lower", "upper", "lower_attained", "upper_attained",
          "bounded", "monotonic", "zero_centred", "smoothness", "saturation_left",
          "saturation_right", "kinks", "controls", "params", "when")


class Record(dict):
    """One function's properties: a dict (so ``pandas.DataFrame([...])`` takes it) with
    attribute access and a readable repr."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __repr__(self):
        width = max(map(len, self))
        return "\n".join(f"{k:<{width}} : {_cell(v)}" for k, v in self.items())


class Catalogue(list):
    """The catalogue as a list of Records; prints as a table; ``.to_pandas()`` (or
    ``pandas.DataFrame(catalogue)``) gives a DataFrame when pandas is installed."""

    COLUMNS = ("name", "range", "monotonic", "zero_centred", "smoothness", "saturation_left",
               "saturation_right")

    def __repr__(self):
        rows = [list(self.COLUMNS)] + [[_cell(r[c]) for c in self.COLUMNS] for r in self]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.COLUMNS))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)

    def to_pandas(self):
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Catalogue.to_pandas() needs pandas (pip install pandas); "
                              "the records themselves are plain dicts") from None
        return pd.DataFrame(list(self)).set_index("name")


def _cell(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, tuple):
        return ", ".join(_cell(x) for x in v) or "-"
    return str(v)


def params_for(name, spec=None) -> dict:
    """The parameters the catalogue's claims hold at: the registry defaults (when `spec` is
    given) updated with the entry's own values."""
    base = spec.defaults() if spec is not None else {}
    return {**base, **CATALOGUE[name].params}


def record(name, spec=None) -> Record:
    """The Record of function `name` (KeyError when the catalogue has none)."""
    p = CATALOGUE[name]
    return Record(
        name=name, family=getattr(spec, "family", ""), range=p.range, lower=p.lower,
        upper=p.upper, lower_attained=p.lower_attained, upper_attained=p.upper_attained,
        bounded=p.bounded, monotonic=p.monotonic, zero_centred=p.zero_centred,
        smoothness=p.smoothness, saturation_left=p.left.text("left"),
        saturation_right=p.right.text("right"), kinks=p.kinks, controls=p.controls,
        params=params_for(name, spec), when=p.when)


def catalogue(specs) -> Catalogue:
    return Catalogue(record(s.name, s) for s in specs if s.name in CATALOGUE)


# ------------------------------------------------------------------ the info card

def card(f) -> str:
    """The text of `python -m fastact info NAME`: formula, derivative, parameters, properties
    and a small plot of f and f' (function object `f`)."""
    from . import _plot
    from ._registry import REQUIRED

    s = f.spec
    r = record(s.name, s)
    params = ", ".join(p.name + ("" if p.default is REQUIRED else f"={p.default!r}") +
                       (f" ({p.doc})" if p.doc else "") for p in s.params) or "none"
    sat = lambda side: r[f"saturation_{side}"]  # noqa: E731
    lines = [f"{s.name}" + (f"  (aliases: {', '.join(s.aliases)})" if s.aliases else "")
             + f"  family: {s.family}", "",
             f"  f(x)        = {s.formula}",
             f"  f'(x)       = {s.derivative}" + ("   (backward also from y=)" if s.from_y else ""),
             f"  parameters  : {params}"]
    if r["params"] and any(k not in s.defaults() for k in r["params"]):
        lines.append(f"  shown at    : {r['params']}")
    lines += [f"  range       : {r['range']}  ({'bounded' if r['bounded'] else 'unbounded'})",
              f"  monotonic   : {r['monotonic']}",
              f"  zero-centred: {_cell(r['zero_centred'])}",
              f"  smoothness  : {r['smoothness']}" + (f"  (kinks at {_cell(r['kinks'])})"
                                                      if r["kinks"] else ""),
              f"  saturation  : left {sat('left')}; right {sat('right')}"]
    if r["controls"]:
        lines.append(f"  controlled by: {r['controls']}")
    lines += [f"  when        : {r['when']}", ""]
    lines += ["  " + ln for ln in _plot.terminal(s.name)]
    return "\n".join(lines)


# ------------------------------------------------------------------ docs/choosing.md

_SECTIONS = (
    ("Bounded squashers: the sigmoid family",
     ("sigmoid", "tanh", "hard_sigmoid", "hardtanh", "softsign", "log_sigmoid", "tanhshrink"),
     "They map everything into a fixed interval, which is what a probability or a gate needs. "
     "The price is saturation: far from 0 the derivative (soft saturation) tends to 0, so the "
     "gradient that flows back through many such layers shrinks geometrically, the *vanishing "
     "gradient* that made deep sigmoid networks hard to train. sigmoid's output is also never "
     "negative (not zero-centred), which biases the next layer's updates; tanh is the "
     "zero-centred version. The hard variants saturate exactly (f' = 0 beyond a point) and "
     "cost a compare and a multiply; softsign saturates polynomially, more slowly than tanh. "
     "Use them for outputs and gates (LSTM/GRU), not as the default for deep hidden stacks."),
    ("Rectifiers: the ReLU family",
     ("relu", "relu6", "leaky_relu", "prelu", "rrelu", "elu", "selu", "celu", "mpelu",
      "threshold", "hardshrink", "softshrink"),
     "relu does not saturate for x > 0, so gradients pass through deep stacks unchanged; it is "
     "the cheapest function here and the default for CNN and MLP hidden layers. Its left side "
     "saturates hard: a unit whose input stays negative gets no gradient and never recovers "
     "(a *dead unit*, common with large learning rates). leaky_relu, prelu and rrelu keep a "
     "small slope there; elu, celu and mpelu instead saturate softly to a negative level, "
     "which pulls mean activations towards 0. selu's fixed alpha and scale make a plain deep "
     "MLP *self-normalising*: with LeCun-normal initialisation (and alpha-dropout) activations "
     "keep mean 0 and variance 1 without batch normalisation. relu6 bounds the output for "
     "low-precision inference. hardshrink and softshrink zero a band around 0 (sparsity, "
     "denoising) rather than serve as hidden activations."),
    ("Smooth rectifiers",
     ("softplus", "silu", "gelu", "hardswish", "mish"),
     "Smooth versions of relu: differentiable everywhere (C∞; hardswish is the piecewise "
     "quadratic approximation), soft saturation on the left only, no dead units. gelu "
     "(x times the Gaussian CDF) is the default in transformers (BERT, GPT, ViT); silu/swish "
     "drives SwiGLU feed-forward blocks (LLaMA-style) and EfficientNet; both dip slightly "
     "below 0 and are not monotonic, which empirically helps optimisation. mish is a similar, "
     "slightly costlier curve (YOLOv4). softplus is the smooth relu for positivity constraints "
     "(variances, rates). hardswish is the mobile-friendly silu (MobileNetV3)."),
    ("Others from the textbook",
     ("identity", "step", "exponential", "square", "signed_square", "sin", "cos"),
     "identity is the output of regressions; step is the perceptron's unit, with no usable "
     "gradient (train with a sigmoid surrogate). exponential makes positive outputs "
     "(rates) and grows without bound. square and signed_square are polynomial units whose "
     "gradient grows with |x|. sin and cos are periodic: SIREN-style implicit networks use sin "
     "with a special initialisation; cos builds Fourier features."),
    ("Along an axis: probabilities",
     ("softmax", "log_softmax", "softmin", "glu"),
     "softmax turns a vector of scores into probabilities (positive, summing to 1): the "
     "output of multi-class classifiers and the attention weights of transformers. Pair "
     "log_softmax with the negative log-likelihood loss instead of taking the log of "
     "softmax, which underflows. softmin favours the smallest entries. glu gates one half of "
     "a vector with the sigmoid of the other (the GLU family of language-model MLPs)."),
)


def choosing_markdown() -> str:
    """docs/choosing.md: the guide, generated from the catalogue (`python -m fastact docs
    --choosing`; a test keeps the file equal to this)."""
    cols = ("range", "monotonic", "zero-centred", "smoothness", "saturation left",
            "saturation right", "when to use")

    def row(p):
        r = record(p.name)
        return "| " + " | ".join([f"`{p.name}`", r["range"], r["monotonic"],
                                  _cell(r["zero_centred"]), r["smoothness"],
                                  r["saturation_left"], r["saturation_right"], r["when"]]) + " |"

    out = ["# Choosing an activation function", "",
           "Generated from fastact's properties catalogue by "
           "`python -m fastact docs --choosing > docs/choosing.md`. Every property below is "
           "tested against the implementation (`tests/test_catalogue.py`); "
           "`fastact.catalogue()` gives the same table as records (a DataFrame with pandas), "
           "`fastact.sigmoid.info` one row, `python -m fastact info NAME` a card with a plot. "
           "Properties are stated at the default parameters (required ones as noted).", "",
           "Terms: **saturation** is soft when f' tends to 0 without reaching it, hard when "
           "f' is exactly 0 beyond a point; **zero-centred** means f(0) = 0 and outputs "
           "reach -1 or below; smoothness C0 means continuous with kinks, C1 a continuous "
           "derivative, C∞ smooth.", "",
           "## In short", "",
           "- Hidden layers of a CNN or MLP: `relu` (cheapest); `leaky_relu` if units die; "
           "`elu`/`selu` for zero-mean activations (`selu` for self-normalising deep MLPs).",
           "- Transformers: `gelu` (or `silu` in SwiGLU blocks); keep `approximate='tanh'` only "
           "to match a model trained with it.",
           "- Outputs: `sigmoid` for one probability, `softmax` for a distribution "
           "(`log_softmax` with a log-likelihood loss), `identity` for regression, `softplus` "
           "or `exponential` for positive quantities.",
           "- Gates in recurrent cells: `sigmoid` and `tanh`; mobile and quantised nets: "
           "`hardswish`, `hard_sigmoid`, `relu6`.",
           "- Avoid deep stacks of saturating functions (`sigmoid`, `tanh`, `softsign`): "
           "their gradients vanish.", ""]
    listed = set()
    for title, names, text in _SECTIONS:
        out += [f"## {title}", "", text, "", "| function | " + " | ".join(cols) + " |",
                "|---" * (len(cols) + 1) + "|"]
        for n in names:
            out.append(row(CATALOGUE[n]))
            listed.add(n)
        out.append("")
    missing = sorted(set(CATALOGUE) - listed)
    assert not missing, f"choosing.md sections miss {missing}"
    notes = [f"- `{p.name}`: {', '.join(f'{k}={v}' for k, v in p.params.items())}"
             for p in CATALOGUE.values() if p.params]
    out += ["## Parameters the properties are stated at", ""] + notes + [""]
    return "\n".join(out)
