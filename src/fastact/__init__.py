"""fastact: fast, exactly specified activation functions and their derivatives for CPU.

Every function is an object in the style of a NumPy ufunc::

    y  = fastact.sigmoid(x)                      # new array
    fastact.sigmoid(x, out=x)                    # in place
    fastact.sigmoid.inplace(x)                   # same; returns x
    d  = fastact.sigmoid.grad(x)                 # f'(x)
    gx = fastact.sigmoid.backward(g, x=x)        # g * f'(x), one fused pass
    gx = fastact.sigmoid.backward(g, y=y, out=g) # from the output, in place into g
    fastact.sigmoid.reference(x)                 # the pure-NumPy reference
    fastact.get("logistic") is fastact.sigmoid   # lookup by name or alias

Parameters are keywords (``fastact.leaky_relu(x, negative_slope=0.2)``).  The catalogue is
``fastact.functions()``; ``fastact.show_config()`` tells which kernels run.

Environment: FASTACT_ISA=baseline|avx2|avx512 forces a kernel set; FASTACT_NUM_THREADS sets
the default thread count (default: the usable cores).
"""
import os as _os

from . import _core
from ._core import (Activation, AxisActivation, ChannelActivation, HalvesActivation,
                    RandomActivation, get_num_threads)
from ._registry import SPECS as _SPECS
from . import _catalogue
from ._registry import STRUCTURED_SPECS as _STRUCTURED_SPECS
from . import reference

__version__ = "0.1.0"

_missing = sorted({s.name for s in _SPECS} ^ set(_core.function_names()))
if _missing:  # the C list (csrc/fastact.h) and the registry must name the same functions
    raise ImportError(f"fastact: registry and kernels disagree on {_missing}")
_missing = sorted({s.name for s in _STRUCTURED_SPECS} ^ set(_core.structured_names()))
if _missing:  # FA_STRUCTURED_LIST (csrc/fa_structured.h) and the registry likewise
    raise ImportError(f"fastact: registry and structured kernels disagree on {_missing}")
_core.set_isa(_os.environ.get("FASTACT_ISA") or None)


def _default_threads():
    env = _os.environ.get("FASTACT_NUM_THREADS")
    if env:
        try:
            n = int(env)
        except ValueError:
            raise RuntimeError(f"FASTACT_NUM_THREADS={env!r} is not an integer") from None
        if n < 1:
            raise RuntimeError(f"FASTACT_NUM_THREADS={env!r} must be >= 1")
        return n
    try:
        return len(_os.sched_getaffinity(0))
    except AttributeError:
        return _os.cpu_count() or 1


_core.set_num_threads(_default_threads())


_INFO = property(lambda self: _catalogue.record(self.spec.name, self.spec),
                 doc="The function's properties (range, monotonicity, smoothness, saturation, "
                     "when to use it): a dict-like record; see fastact.catalogue().")


def _make(spec):
    params = "".join(f", {p.name}={p.default!r}" if p.default is not None and p.name in spec.defaults()
                     else f", {p.name}" for p in spec.params)
    lines = [
        f"{spec.name}(x, out=None{params})",
        "",
        f"    f(x)  = {spec.formula}",
        f"    f'(x) = {spec.derivative}" + ("  (backward also from y=)" if spec.from_y else ""),
    ]
    if spec.aliases:
        lines.append(f"    aliases: {', '.join(spec.aliases)}")
    for p in spec.params:
        lines.append(f"    {p.name}: {p.doc}")
    lines += ["", Activation.__doc__]
    cls = type(spec.name, (Activation,), {"__doc__": "\n".join(lines), "__slots__": (),
                                          "info": _INFO})
    cls.__module__ = __name__
    return cls(spec)


_functions = {}
_by_name = {}
for _spec in _SPECS:
    _f = _make(_spec)
    _functions[_spec.name] = _f
    for _n in (_spec.name,) + _spec.aliases:
        _by_name[_n] = _f
        globals()[_n] = _f
del _spec, _f, _n


def _make_structured(spec):
    base = _core.STRUCTURED_CLASSES[spec.kind]
    params = "".join(f", {p.name}={p.default!r}" if p.name in spec.defaults() else f", {p.name}"
                     for p in spec.params)
    lines = [
        f"{spec.name}: f(x) = {spec.formula}",
        f"    f'(x) = {spec.derivative}",
    ]
    if params:
        lines.append(f"    parameters: {params[2:]}")
    for p in spec.params:
        lines.append(f"    {p.name}: {p.doc}")
    lines += ["", base.__doc__]
    cls = type(spec.name, (base,), {"__doc__": "\n".join(lines), "__slots__": (),
                                    "info": _INFO})
    cls.__module__ = __name__
    return cls(spec)


for _spec in _STRUCTURED_SPECS:
    _f = _make_structured(_spec)
    _functions[_spec.name] = _f
    for _n in (_spec.name,) + _spec.aliases:
        _by_name[_n] = _f
        globals()[_n] = _f
del _spec, _f, _n


def get(name):
    """The function object registered under `name` or one of its aliases."""
    try:
        return _by_name[name]
    except (KeyError, TypeError):
        raise ValueError(f"fastact has no function {name!r}; see fastact.functions()") from None


def functions():
    """The names of all functions (without aliases), in catalogue order."""
    return list(_functions)


def catalogue():
    """The properties of every function, as a list of dict records that prints as a table:
    output range (bounds, attained?), bounded, monotonicity, zero-centred, smoothness,
    saturation on each side, kinks, the parameters that control them, when to use it.
    ``catalogue().to_pandas()`` (or ``pandas.DataFrame(catalogue())``) gives a DataFrame.
    Every claim is tested against the implementation."""
    return _catalogue.catalogue(f.spec for f in _functions.values())


def set_num_threads(n):
    """Split arrays above a size threshold across up to `n` threads (n >= 1).
    Results are bit-identical for any n."""
    _core.set_num_threads(n)


def show_config(file=None):
    """Print the version, the kernels in use, the available ISA paths, compiler, flags, threads."""
    import numpy as np

    out = [f"fastact {__version__} (numpy {np.__version__})",
           f"  kernels in use : {_core.get_isa()}"
           + ("  (forced by FASTACT_ISA)" if _os.environ.get("FASTACT_ISA") else "")]
    for name, compiled, supported, flags in _core.isa_info():
        state = ("usable" if compiled and supported else
                 "compiled, not supported by this CPU" if compiled else "not compiled")
        out.append(f"  {name:<9}: {state}" + (f"  [{flags}]" if compiled else ""))
    nogil_min, parallel_min = _core.get_thresholds()
    out += [f"  compiler       : {_core.compiler()}",
            f"  threads        : {get_num_threads()} (from {parallel_min} elements, "
            f"{parallel_min // 4} for exp-based functions; GIL released from {nogil_min}, "
            f"{nogil_min // 4}; "
            f"{_core.pool_workers()} pool threads started)",
            f"  functions      : {len(_functions)}"]
    print("\n".join(out), file=file)


__all__ = ["Activation", "AxisActivation", "HalvesActivation", "ChannelActivation",
           "RandomActivation", "get", "functions", "catalogue", "reference", "show_config",
           "set_num_threads",
           "get_num_threads", "__version__"] + list(_by_name)
