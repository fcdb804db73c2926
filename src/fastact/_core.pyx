# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""fastact._core: the call path from Python to the C kernels.

Two paths, one contract (see _dtypes.py for the dtype rules):

* the fast path: exact ndarrays of float32/float64, C- or F-contiguous, aligned, native byte
  order, out (if given) of the same dtype and layout, equal to the input or disjoint from it.
  It reads PyArray_DATA directly (no memoryview acquisition, no copy) and calls the kernel,
  releasing the GIL and splitting across threads only when the array is large enough to pay.
* the generic path: everything else (array_likes, other dtypes, strides, byte orders, broadcast
  g, partial overlap, casting into out).  It validates every argument first (a refused call
  writes nothing), normalises the inputs to contiguous compute-dtype arrays, runs the same
  kernel, and casts/copies into out.
"""
cimport numpy as cnp
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.object cimport PyObject, PyTypeObject
from cpython.tuple cimport PyTuple_GET_SIZE
from libc.math cimport isnan
from libc.string cimport memset

import numpy as np

from . import _dtypes
from ._registry import REQUIRED

cnp.import_array()

cdef extern from "fastact.h" nogil:
    ctypedef struct fa_params:
        double v[4]
    ctypedef void (*fa_kernel)(size_t n, const void *x, const void *g, void *out,
                               const fa_params *params) noexcept nogil
    enum:
        FA_MAX_PARAMS
        FA_NUM_FUNCTIONS
        FA_NUM_MODES
        FA_NUM_DTYPES
        FA_NUM_ISAS
        FA_FORWARD
        FA_GRAD
        FA_BACKWARD
        FA_BACKWARD_FROM_Y
        FA_F32
        FA_F64
    const char *fa_function_name(int fn)
    const char *fa_isa_name(int isa)
    int fa_isa_compiled(int isa)
    int fa_isa_supported(int isa)
    const char *fa_isa_flags(int isa)
    const char *fa_compiler()
    const fa_kernel *fa_kernel_table(int isa)
    void fa_parallel_run(fa_kernel kernel, size_t n, const void *x, const void *g, void *out,
                         const fa_params *params, size_t itemsize, int nthreads)
    int fa_parallel_workers()

cdef extern from *:
    """
    /* Give a type the vectorcall protocol (CPython >= 3.8), with the function pointer stored
     * at `offset` in each instance: calls like f(x, out=o) then skip building a kwargs dict. */
    static int fa_enable_vectorcall(PyTypeObject *type, Py_ssize_t offset)
    {
    #if PY_VERSION_HEX >= 0x03080000 && !defined(PYPY_VERSION)
        if (type->tp_vectorcall_offset != offset || !(type->tp_flags & Py_TPFLAGS_HAVE_VECTORCALL)) {
            type->tp_vectorcall_offset = offset;
            type->tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL;
            PyType_Modified(type);
        }
    #endif
        return 0;
    }
    """
    int fa_enable_vectorcall(PyTypeObject *type, Py_ssize_t offset) except -1
    Py_ssize_t PyVectorcall_NARGS(size_t nargsf)

FORWARD, GRAD, BACKWARD, BACKWARD_FROM_Y = FA_FORWARD, FA_GRAD, FA_BACKWARD, FA_BACKWARD_FROM_Y

cdef const fa_kernel *_table = NULL
cdef int _isa = -1
cdef int _num_threads = 1
# Below these sizes (elements) the GIL is kept / one thread is used: releasing the GIL costs
# ~0.1 us and waking a second thread a few us, more than the work they would save.
# Chosen by measurement: `python -m fastact bench --thread-scan` prints the crossovers.
cdef Py_ssize_t _nogil_min = 16384     # both in units of element x cost (see _invoke)
cdef Py_ssize_t _parallel_min = 32768

cdef enum:
    LAYOUT_C = 1
    LAYOUT_F = 2


# ------------------------------------------------------------------ ISA and threads

def isa_names():
    """Names of all ISA paths fastact knows, best last."""
    return [fa_isa_name(i).decode() for i in range(FA_NUM_ISAS)]


def isa_info():
    """[(name, compiled, supported_by_this_cpu, flags)] for every ISA path."""
    return [(fa_isa_name(i).decode(), bool(fa_isa_compiled(i)), bool(fa_isa_supported(i)),
             fa_isa_flags(i).decode()) for i in range(FA_NUM_ISAS)]


def compiler():
    return fa_compiler().decode()


def function_names():
    """The functions the C kernels implement, in table order."""
    return [fa_function_name(i).decode() for i in range(FA_NUM_FUNCTIONS)]


def usable_isas():
    """ISA paths that are compiled into this build and that this CPU runs."""
    return [fa_isa_name(i).decode() for i in range(FA_NUM_ISAS)
            if fa_isa_compiled(i) and fa_isa_supported(i)]


def set_isa(name=None):
    """Select the kernels of ISA `name` (None: the best this CPU runs). Returns its name."""
    global _table, _isa
    cdef int i
    if name is None:
        for i in range(FA_NUM_ISAS - 1, -1, -1):
            if fa_isa_compiled(i) and fa_isa_supported(i):
                _table, _isa = fa_kernel_table(i), i
                return get_isa()
        raise RuntimeError("no usable kernels")  # baseline is always usable
    names = isa_names()
    if name not in names:
        raise ValueError(f"unknown ISA {name!r}; choose one of {', '.join(names)}")
    i = names.index(name)
    if not fa_isa_compiled(i):
        raise RuntimeError(f"ISA {name!r} was not compiled into this build of fastact "
                           f"(usable here: {', '.join(usable_isas())})")
    if not fa_isa_supported(i):
        raise RuntimeError(f"this CPU cannot run ISA {name!r} "
                           f"(usable here: {', '.join(usable_isas())})")
    _table, _isa = fa_kernel_table(i), i
    return name


def get_isa():
    """The name of the ISA whose kernels are in use."""
    return fa_isa_name(_isa).decode()


def set_num_threads(n):
    """Use up to `n` threads (n >= 1) for large arrays; results do not depend on n."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"set_num_threads: n must be an int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    _num_threads = int(n)


def get_num_threads():
    """The number of threads large arrays are split across."""
    return _num_threads


def pool_workers():
    """Threads the parallel pool has started so far."""
    return fa_parallel_workers()


def get_thresholds():
    """(nogil_min, parallel_min): sizes from which the GIL is released / threads are used."""
    return _nogil_min, _parallel_min


def set_thresholds(nogil_min=None, parallel_min=None):
    """Tune the size thresholds (for measurement; see get_thresholds)."""
    global _nogil_min, _parallel_min
    if nogil_min is not None:
        _nogil_min = max(0, int(nogil_min))
    if parallel_min is not None:
        _parallel_min = max(0, int(parallel_min))


# ------------------------------------------------------------------ running a kernel

cdef inline void _invoke(fa_kernel k, Py_ssize_t n, char *x, char *g, char *out,
                         const fa_params *p, Py_ssize_t itemsize, int cost):
    """Run kernel k; `cost` weighs an element (1: a compare or two, 4: an exp and a division),
    so expensive kernels release the GIL and go parallel on smaller arrays."""
    cdef int nt = _num_threads
    if n * cost < _nogil_min:
        k(<size_t>n, x, g, out, p)
        return
    with nogil:
        if nt > 1 and n * cost >= _parallel_min:
            fa_parallel_run(k, <size_t>n, x, g, out, p, <size_t>itemsize, nt)
        else:
            k(<size_t>n, x, g, out, p)


cdef inline int _dtype_index(cnp.ndarray a) noexcept:
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return FA_F32
    if t == cnp.NPY_FLOAT64:
        return FA_F64
    return -1


cdef inline int _layout(cnp.ndarray a) noexcept:
    """LAYOUT_C and/or LAYOUT_F for an aligned native-endian contiguous array, else 0."""
    cdef int flags = cnp.PyArray_FLAGS(a)
    cdef int lay = 0
    if not (flags & cnp.NPY_ARRAY_ALIGNED) or not cnp.PyArray_ISNOTSWAPPED(a):
        return 0
    if flags & cnp.NPY_ARRAY_C_CONTIGUOUS:
        lay |= LAYOUT_C
    if flags & cnp.NPY_ARRAY_F_CONTIGUOUS:
        lay |= LAYOUT_F
    return lay


cdef inline bint _same_or_disjoint(char *a, char *b, Py_ssize_t nbytes) noexcept:
    return a == b or a + nbytes <= b or b + nbytes <= a


cdef object _fast(int fn, int mode, object a, object b, object out, const fa_params *p,
                  int cost):
    """The result, or None when the arguments need the generic path."""
    cdef cnp.ndarray xa, ga, oa
    cdef int dt, lay
    cdef char *gptr = NULL
    cdef char *xptr
    cdef char *optr
    cdef fa_kernel k
    cdef Py_ssize_t n, itemsize
    if type(a) is not cnp.ndarray:
        return None
    xa = <cnp.ndarray>a
    dt = _dtype_index(xa)
    if dt < 0:
        return None
    lay = _layout(xa)
    if lay == 0:
        return None
    if b is not None:
        if type(b) is not cnp.ndarray:
            return None
        ga = <cnp.ndarray>b
        if _dtype_index(ga) != dt or not cnp.PyArray_SAMESHAPE(xa, ga):
            return None
        lay &= _layout(ga)
        if lay == 0:
            return None
        gptr = <char *>cnp.PyArray_DATA(ga)
    k = _table[(fn * FA_NUM_MODES + mode) * FA_NUM_DTYPES + dt]
    if k == NULL:
        return None
    n = cnp.PyArray_SIZE(xa)
    itemsize = 4 if dt == FA_F32 else 8
    xptr = <char *>cnp.PyArray_DATA(xa)
    if out is None:
        oa = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(xa), cnp.PyArray_DIMS(xa), cnp.PyArray_TYPE(xa),
                               0 if lay & LAYOUT_C else 1)
        _invoke(k, n, xptr, gptr, <char *>cnp.PyArray_DATA(oa), p, itemsize, cost)
        if cnp.PyArray_NDIM(oa) == 0:
            return oa[()]
        return oa
    if type(out) is not cnp.ndarray:
        return None
    oa = <cnp.ndarray>out
    if (_dtype_index(oa) != dt or not (lay & _layout(oa)) or not cnp.PyArray_ISWRITEABLE(oa)
            or not cnp.PyArray_SAMESHAPE(xa, oa)):
        return None
    optr = <char *>cnp.PyArray_DATA(oa)
    if not _same_or_disjoint(optr, xptr, n * itemsize):
        return None
    if gptr != NULL and not _same_or_disjoint(optr, gptr, n * itemsize):
        return None
    _invoke(k, n, xptr, gptr, optr, p, itemsize, cost)
    return out


def _check_out(str caller, out, tuple shape, rdt):
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{caller}: out must be a numpy.ndarray, not {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"{caller}: out has shape {out.shape}, but the result has shape {shape}")
    if not out.flags.writeable:
        raise ValueError(f"{caller}: out is read-only")
    if not np.can_cast(rdt, out.dtype, casting="same_kind"):
        raise TypeError(f"{caller}: cannot cast the {rdt} result to out's dtype {out.dtype} "
                        f"with casting='same_kind'")


cdef bint _aliases_exactly(out, arr):
    """True when out and arr are the same elements in the same order (safe to run in place)."""
    return (out.__array_interface__["data"][0] == arr.__array_interface__["data"][0]
            and out.strides == arr.strides and out.dtype == arr.dtype)


cdef object _generic(str caller, int fn, int mode, object a, object b, object out,
                     const fa_params *p, int cost):
    cdef str aname = "y" if mode == FA_BACKWARD_FROM_Y else "x"
    xa = _dtypes.as_input(a, aname)
    if b is None:
        rdt = _dtypes.result_dtype(xa.dtype)
        shape = xa.shape
    else:
        ga = _dtypes.as_input(b, "g")
        rdt = np.result_type(_dtypes.result_dtype(xa.dtype), _dtypes.result_dtype(ga.dtype))
        try:
            shape = np.broadcast_shapes(xa.shape, ga.shape)
        except ValueError:
            raise ValueError(f"{caller}: g with shape {ga.shape} and {aname} with shape "
                             f"{xa.shape} cannot be broadcast together") from None
    cdt = _dtypes.compute_dtype(rdt)
    if out is not None:
        _check_out(caller, out, shape, rdt)
    cdef int dt = FA_F32 if cdt == _dtypes.F32 else FA_F64
    cdef fa_kernel k = _table[(fn * FA_NUM_MODES + mode) * FA_NUM_DTYPES + dt]
    if k == NULL:
        raise TypeError(f"{caller}: this mode is not available for this function")

    inputs = []
    for arr in ((xa,) if b is None else (xa, ga)):
        if arr.shape != shape:
            arr = np.broadcast_to(arr, shape)
        inputs.append(np.require(arr, dtype=cdt, requirements=["C", "A"]))

    direct = (out is not None and out.dtype == cdt and out.flags.c_contiguous
              and out.flags.aligned and out.dtype.isnative)
    if direct:
        for arr in inputs:
            if np.may_share_memory(out, arr) and not _aliases_exactly(out, arr):
                direct = False
    target = out if direct else np.empty(shape, dtype=cdt)

    cdef cnp.ndarray xc = inputs[0]
    cdef cnp.ndarray tc = target
    cdef cnp.ndarray gc
    cdef char *gptr = NULL
    if b is not None:
        gc = inputs[1]
        gptr = <char *>cnp.PyArray_DATA(gc)
    _invoke(k, cnp.PyArray_SIZE(tc), <char *>cnp.PyArray_DATA(xc), gptr,
            <char *>cnp.PyArray_DATA(tc), p, 4 if dt == FA_F32 else 8, cost)

    if out is None:
        res = target if rdt == cdt else target.astype(rdt)
        return res if res.ndim else res[()]
    if not direct:
        np.copyto(out, target, casting="same_kind")
    return out


# ------------------------------------------------------------------ the function objects

cdef enum:
    RULE_LT = 0
    RULE_LE = 1
    RULE_GE0 = 2
    RULE_NE0 = 3
    MAX_RULES = 4

cdef struct rule_t:
    int kind, a, b

_RULE_CODES = {"lt": RULE_LT, "le": RULE_LE, "ge0": RULE_GE0, "ne0": RULE_NE0}


cdef class Activation:
    """An activation function and its derivatives, like a NumPy ufunc object.

    f(x, out=None, **params)             f(x); out may be x itself (in place)
    f.inplace(x, **params)               f(x) written into x; returns x
    f.grad(x, out=None, **params)        f'(x)
    f.backward(g, x=x, out=None, ...)    g * f'(x) in one pass (out may be g)
    f.backward(g, y=y, out=None, ...)    g * f'(x) from y = f(x), where f.from_y
    f.reference(x, **params)             the pure-NumPy reference (and reference_grad)
    """

    cdef void *_vectorcall  # see fa_enable_vectorcall
    cdef readonly str name
    cdef readonly object spec
    cdef int _fn
    cdef int _cost
    cdef fa_params _defaults
    cdef bint _defaults_complete
    cdef dict _slots  # parameter name -> slot in fa_params
    cdef int _nrules
    cdef rule_t _rules[MAX_RULES]

    def __init__(self, spec):
        names = function_names()
        if spec.name not in names:
            raise ImportError(f"the C kernels have no function {spec.name!r}")
        if len(spec.params) > FA_MAX_PARAMS or len(spec.rules) > MAX_RULES:
            raise ImportError(f"{spec.name}: too many parameters or rules for the C side")
        self.name = spec.name
        self.spec = spec
        self._fn = names.index(spec.name)
        self._cost = spec.cost
        self._slots = {n: i for i, n in enumerate(spec.param_names)}
        self._nrules = len(spec.rules)
        for i, rule in enumerate(spec.rules):
            self._rules[i].kind = _RULE_CODES[rule.kind]
            self._rules[i].a = self._slots[rule.a]
            self._rules[i].b = self._slots[rule.b] if rule.b is not None else -1
        memset(&self._defaults, 0, sizeof(fa_params))
        self._defaults_complete = False
        self._vectorcall = <void *>_activation_vectorcall
        cls = type(self)
        fa_enable_vectorcall(<PyTypeObject *>cls,
                             <Py_ssize_t>(<char *>&self._vectorcall - <char *><PyObject *>self))
        try:
            values = spec.resolve({}, spec.name)
        except TypeError:  # a required parameter
            return
        for i, v in enumerate(values):
            self._defaults.v[i] = v
        self._defaults_complete = True

    cdef inline bint _take_param(self, object key, object value, fa_params *p):
        """Store a plain float/int keyword parameter in p; False for anything else (an unknown
        name, another type, NaN), which Spec.resolve then reports."""
        cdef double v
        slot = self._slots.get(key)
        if slot is None or self.spec.params[<int>slot].choices:  # a string: Spec.resolve maps it
            return False
        if type(value) is float:
            v = PyFloat_AS_DOUBLE(value)
        elif type(value) is int and -(1 << 53) <= value <= (1 << 53):  # exact in a double
            v = <double>value
        else:
            return False
        if isnan(v):
            return False
        p.v[<int>slot] = v
        return True

    cdef inline bint _rules_hold(self, const fa_params *p):
        cdef int i
        cdef double a, b
        for i in range(self._nrules):
            a = p.v[self._rules[i].a]
            b = p.v[self._rules[i].b] if self._rules[i].b >= 0 else 0.0
            if self._rules[i].kind == RULE_LT:
                if not a < b:
                    return False
            elif self._rules[i].kind == RULE_LE:
                if not a <= b:
                    return False
            elif self._rules[i].kind == RULE_GE0:
                if not a >= 0:
                    return False
            elif not a != 0:
                return False
        return True

    cdef int _params(self, dict given, fa_params *p, str method) except -1:
        """Fill p from keyword arguments: plain floats/ints and the declarative rules are
        checked here; anything unusual goes to Spec.resolve for the error message."""
        cdef Py_ssize_t seen = 0
        if not given and self._defaults_complete:
            p[0] = self._defaults
            return 0
        p[0] = self._defaults
        for key, value in given.items():
            if not self._take_param(key, value, p):
                break
            seen += 1
        # every keyword taken here, and every required parameter among them
        if (seen == len(given) and (self._defaults_complete or seen == len(self._slots))
                and self._rules_hold(p)):
            return 0
        values = self.spec.resolve(given, self.name + method)  # raises the right error
        memset(p, 0, sizeof(fa_params))
        for i, v in enumerate(values):
            p.v[i] = v
        return 0

    def __call__(self, x, out=None, **params):
        cdef fa_params p
        self._params(params, &p, "")
        r = _fast(self._fn, FA_FORWARD, x, None, out, &p, self._cost)
        if r is None:
            r = _generic(self.name, self._fn, FA_FORWARD, x, None, out, &p, self._cost)
        return r

    def inplace(self, x, **params):
        """Compute f(x) into x (a writable float ndarray) and return x."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self.name}.inplace: x must be a numpy.ndarray, "
                            f"not {type(x).__name__}")
        if x.dtype.kind != "f":
            raise TypeError(f"{self.name}.inplace: x must have a float dtype to hold the "
                            f"result, not {x.dtype}")
        if not x.flags.writeable:
            raise ValueError(f"{self.name}.inplace: x is read-only")
        return self(x, out=x, **params)

    def grad(self, x, out=None, **params):
        """f'(x) as an array."""
        cdef fa_params p
        self._params(params, &p, ".grad")
        r = _fast(self._fn, FA_GRAD, x, None, out, &p, self._cost)
        if r is None:
            r = _generic(self.name + ".grad", self._fn, FA_GRAD, x, None, out, &p, self._cost)
        return r

    def backward(self, g, x=None, *, y=None, out=None, **params):
        """g * f'(x) in one fused pass, from x= or (where from_y) from the output y=."""
        cdef fa_params p
        cdef int mode
        self._params(params, &p, ".backward")
        if (x is None) == (y is None):
            raise TypeError(f"{self.name}.backward() needs exactly one of x= or y=")
        if y is not None:
            if not self.spec.from_y:
                raise TypeError(f"{self.name}.backward(): the derivative of {self.name} is "
                                f"not available from y; pass x=")
            mode, a = FA_BACKWARD_FROM_Y, y
        else:
            mode, a = FA_BACKWARD, x
        if g is None:
            raise TypeError(f"{self.name}.backward(): g must be array_like, not None")
        r = _fast(self._fn, mode, a, g, out, &p, self._cost)
        if r is None:
            r = _generic(self.name + ".backward", self._fn, mode, a, g, out, &p, self._cost)
        return r

    def reference(self, x, **params):
        """f(x) by the pure-NumPy reference (fastact.reference)."""
        return self.spec.reference(x, **params)

    def reference_grad(self, x, **params):
        """f'(x) by the pure-NumPy reference (fastact.reference)."""
        return self.spec.reference_grad(x, **params)

    @property
    def aliases(self):
        return self.spec.aliases

    @property
    def from_y(self):
        """True when backward accepts y= (the derivative is a function of the output)."""
        return self.spec.from_y

    @property
    def params(self):
        """The parameters and their defaults (None for a required one)."""
        return {q.name: (None if q.default is REQUIRED else q.default) for q in self.spec.params}

    def __repr__(self):
        return f"<fastact function {self.name}>"

    def __reduce__(self):
        return (_lookup, (self.name,))


def _lookup(name):
    from . import get
    return get(name)


cdef object _activation_vectorcall(object callable, PyObject **args, size_t nargsf,
                                   PyObject *kwnames):
    """f(x), f(x, o), f(x, out=o) and f(x, out=o, param=value, ...) with plain float
    parameters go straight to the fast path without building a kwargs dict; every other call
    goes through __call__."""
    cdef Activation self = <Activation>callable
    cdef Py_ssize_t nargs = PyVectorcall_NARGS(nargsf)
    cdef Py_ssize_t nkw = 0 if kwnames == NULL else PyTuple_GET_SIZE(<object>kwnames)
    cdef Py_ssize_t i, taken = 0
    cdef object out = None
    cdef fa_params p
    if not 1 <= nargs <= 2:
        return _call_general(self, args, nargs, kwnames)
    if nargs == 2:
        out = <object>args[1]
    p = self._defaults
    for i in range(nkw):
        key = (<object>kwnames)[i]
        if key == "out" and nargs == 1:
            out = <object>args[nargs + i]
        elif self._take_param(key, <object>args[nargs + i], &p):
            taken += 1
        else:
            return _call_general(self, args, nargs, kwnames)
    if not (self._defaults_complete or taken == len(self._slots)) or not self._rules_hold(&p):
        return _call_general(self, args, nargs, kwnames)
    r = _fast(self._fn, FA_FORWARD, <object>args[0], None, out, &p, self._cost)
    if r is not None:
        return r
    return _call_general(self, args, nargs, kwnames)


cdef object _call_general(Activation self, PyObject **args, Py_ssize_t nargs, PyObject *kwnames):
    cdef Py_ssize_t i
    pos = tuple([<object>args[i] for i in range(nargs)])
    kw = {}
    if kwnames != NULL:
        for i in range(PyTuple_GET_SIZE(<object>kwnames)):
            kw[(<object>kwnames)[i]] = <object>args[nargs + i]
    return self.__call__(*pos, **kw)


# ------------------------------------------------------------------ structured functions
include "_structured.pxi"
