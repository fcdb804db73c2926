# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""fastact._core: the call path from Python to the C kernels.

Two paths, one set of kernels:

* the fast path: exact ndarrays of float32/float64/float16, C- or F-contiguous, aligned,
  native byte order, out (if given) of the same dtype and layout, equal to the input or
  disjoint from it.  It reads PyArray_DATA directly (no memoryview acquisition, no copy) and
  calls the kernel, releasing the GIL and splitting across threads only when the array is
  large enough to pay.
* everything else goes to real NumPy ufuncs built from the same kernels (one per function and
  mode: f.ufunc, f.grad_ufunc, f.backward_ufunc, f.backward_from_y_ufunc).  NumPy does the
  iteration, casting, broadcasting, overlap, byte order, where=, dtype=, casting= and order=;
  the inner loop (csrc/fa_api.c) calls the kernel on contiguous runs and gathers strided ones
  into small blocks.  Objects overriding __array_ufunc__ (dask, xarray, ...) get their own
  type back.
"""
cimport numpy as cnp
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.mem cimport PyMem_Malloc
from cpython.pycapsule cimport PyCapsule_New
from cpython.object cimport PyObject, PyTypeObject
from cpython.tuple cimport PyTuple_GET_SIZE
from libc.math cimport isnan
from libc.string cimport memset

import numpy as np

from . import _dtypes  # the structured functions (_structured.pxi)
from ._registry import REQUIRED

cnp.import_array()
cnp.import_ufunc()

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
        FA_F16
        FA_BF16
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
    size_t FA_DTYPE_ITEMSIZE(int dtype)
    int FA_TABLE_INDEX(int fn, int mode, int dtype)

cdef extern from "fa_api.h" nogil:
    ctypedef struct fa_rule:
        int kind, a, b
    ctypedef struct fa_function_info:
        int nparams, defaults_complete, cost, nrules
        fa_params defaults
        fa_rule rules[4]
    ctypedef struct fa_loop:
        int fn, mode, dtype
    ctypedef struct fa_c_api:
        int version
    enum:
        FA_MAX_RULES
    fa_function_info *fa_info  # an array in C
    const fa_kernel *fa_active
    int fa_num_threads
    Py_ssize_t fa_parallel_min
    fa_loop *fa_loops  # an array in C
    const fa_c_api fa_c_api_table
    const char *FA_C_API_CAPSULE
    int fa_rules_hold(const fa_function_info *info, const fa_params *p)
    void fa_api_init()
    void fa_ufunc_loop(char **args, const Py_ssize_t *dims, const Py_ssize_t *steps, void *data)
    void fa_run_strided(fa_kernel k, Py_ssize_t n, const char *x, Py_ssize_t sx, const char *g,
                        Py_ssize_t sg, char *out, Py_ssize_t so, const fa_params *p,
                        size_t itemsize, int cost)
    void fa_prefetch_run(const char *p, Py_ssize_t stride, Py_ssize_t n, int write)

cdef extern from "numpy/arrayobject.h":
    object PyArray_NewLikeArray(cnp.ndarray prototype, cnp.NPY_ORDER order,
                                cnp.PyArray_Descr *descr, int subok)

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

fa_api_init()
# The kernel table in use (fa_active), the thread count (fa_num_threads) and the size from
# which a call goes parallel (fa_parallel_min) live in C (csrc/fa_api.c), shared with the ufunc
# loops and the C API.
cdef int _isa = -1
# Below these sizes (elements x cost) the GIL is kept / one thread is used: releasing the GIL
# costs ~0.1 us and waking a second thread a few us, more than the work they would save.
# Chosen by measurement: `python -m fastact bench --thread-scan` prints the crossovers.
cdef Py_ssize_t _nogil_min = 16384
fa_parallel_min = 32768

# The C API for other extensions (see fastact/__init__.pxd): a capsule holding fa_c_api_table.
_C_API = PyCapsule_New(<void *>&fa_c_api_table, FA_C_API_CAPSULE, NULL)

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
    global fa_active, _isa
    cdef int i
    if name is None:
        for i in range(FA_NUM_ISAS - 1, -1, -1):
            if fa_isa_compiled(i) and fa_isa_supported(i):
                fa_active, _isa = fa_kernel_table(i), i
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
    fa_active, _isa = fa_kernel_table(i), i
    return name


def get_isa():
    """The name of the ISA whose kernels are in use."""
    return fa_isa_name(_isa).decode()


def set_num_threads(n):
    """Use up to `n` threads (n >= 1) for large arrays; results do not depend on n."""
    global fa_num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"set_num_threads: n must be an int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    fa_num_threads = int(n)


def get_num_threads():
    """The number of threads large arrays are split across."""
    return fa_num_threads


def pool_workers():
    """Threads the parallel pool has started so far."""
    return fa_parallel_workers()


def get_thresholds():
    """(nogil_min, parallel_min): sizes from which the GIL is released / threads are used."""
    return _nogil_min, fa_parallel_min


def set_thresholds(nogil_min=None, parallel_min=None):
    """Tune the size thresholds (for measurement; see get_thresholds)."""
    global _nogil_min, fa_parallel_min
    if nogil_min is not None:
        _nogil_min = max(0, int(nogil_min))
    if parallel_min is not None:
        fa_parallel_min = max(0, int(parallel_min))


# ------------------------------------------------------------------ running a kernel

cdef inline void _invoke(fa_kernel k, Py_ssize_t n, char *x, char *g, char *out,
                         const fa_params *p, Py_ssize_t itemsize, int cost):
    """Run kernel k; `cost` weighs an element (1: a compare or two, 4: an exp and a division),
    so expensive kernels release the GIL and go parallel on smaller arrays."""
    cdef int nt = fa_num_threads
    if n * cost < _nogil_min:
        k(<size_t>n, x, g, out, p)
        return
    with nogil:
        if nt > 1 and n * cost >= fa_parallel_min:
            fa_parallel_run(k, <size_t>n, x, g, out, p, <size_t>itemsize, nt)
        else:
            k(<size_t>n, x, g, out, p)


cdef inline int _dtype_index(cnp.ndarray a) noexcept:
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return FA_F32
    if t == cnp.NPY_FLOAT64:
        return FA_F64
    if t == cnp.NPY_FLOAT16:
        return FA_F16
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


cdef inline bint _plain(cnp.ndarray a, int dt) noexcept:
    """An aligned, native-endian array of kernel dtype dt, of any strides."""
    return (_dtype_index(a) == dt and (cnp.PyArray_FLAGS(a) & cnp.NPY_ARRAY_ALIGNED) != 0
            and cnp.PyArray_ISNOTSWAPPED(a))


cdef bint _apart_or_same(cnp.ndarray o, cnp.ndarray a) noexcept:
    """Whether writing o element by element from a (of o's shape) is safe: the same elements
    in the same order, or no byte in common."""
    cdef int i, nd = cnp.PyArray_NDIM(o)
    cdef Py_ssize_t d, so, sa
    cdef char *olo = <char *>cnp.PyArray_DATA(o)
    cdef char *alo = <char *>cnp.PyArray_DATA(a)
    cdef char *ohi = olo + cnp.PyArray_ITEMSIZE(o)
    cdef char *ahi = alo + cnp.PyArray_ITEMSIZE(a)
    cdef bint same = olo == alo
    for i in range(nd):
        d = cnp.PyArray_DIM(o, i)
        so = cnp.PyArray_STRIDE(o, i)
        sa = cnp.PyArray_STRIDE(a, i)
        if d > 1 and so != sa:
            same = False
        if so > 0:
            ohi += so * (d - 1)
        else:
            olo += so * (d - 1)
        if sa > 0:
            ahi += sa * (d - 1)
        else:
            alo += sa * (d - 1)
    return same or ohi <= alo or ahi <= olo


cdef void _walk(cnp.NpyIter *it, cnp.NpyIter_IterNextFunc iternext, char **data,
                cnp.npy_intp *strides, cnp.npy_intp *size, fa_kernel k, int nop,
                const fa_params *p, Py_ssize_t itemsize, int cost) noexcept nogil:
    """Every inner run of the iterator through the strided runner; operands (g,) x, out.
    A sparse next run (see fa_prefetch_run) is prefetched before the current one computes."""
    cdef int ix = nop - 2, io = nop - 1
    cdef char *x
    cdef char *g = NULL
    cdef char *o
    cdef cnp.npy_intp m
    cdef bint more = True
    while more:
        m = size[0]
        x, o = data[ix], data[io]
        if nop == 3:
            g = data[0]
        more = iternext(it)
        if more:
            fa_prefetch_run(data[ix], strides[ix], size[0], 0)
            if nop == 3:
                fa_prefetch_run(data[0], strides[0], size[0], 0)
            fa_prefetch_run(data[io], strides[io], size[0], 1)
        fa_run_strided(k, m, x, strides[ix], g, strides[0] if nop == 3 else 0, o, strides[io],
                       p, itemsize, cost)


cdef object _strided(fa_kernel k, int dt, cnp.ndarray xa, object b, object out,
                     const fa_params *p, int cost):
    """The call on arrays of the kernel's dtype with any strides (row slices, every other
    element, transposed views, negative strides): NumPy's iterator, unbuffered, walks them in
    memory order and hands each inner run to the strided runner (the kernel directly on
    contiguous runs, small L1 blocks otherwise): no copy of the array.  None when the ufunc is
    needed: another dtype or byte order, unaligned data, broadcasting, or an out that
    partly overlaps an input."""
    cdef cnp.ndarray ga = None, oa
    cdef cnp.NpyIter *it
    cdef cnp.NpyIter_IterNextFunc iternext
    cdef cnp.PyArrayObject *ops[3]
    cdef cnp.npy_uint32 op_flags[3]
    cdef char **data
    cdef cnp.npy_intp *strides
    cdef cnp.npy_intp *size
    cdef Py_ssize_t n, itemsize = FA_DTYPE_ITEMSIZE(dt)
    cdef int nop = 0
    if not _plain(xa, dt):
        return None
    if b is not None:
        if type(b) is not cnp.ndarray:
            return None
        ga = <cnp.ndarray>b
        if not _plain(ga, dt) or not cnp.PyArray_SAMESHAPE(xa, ga):
            return None
    if out is None:
        oa = PyArray_NewLikeArray(xa, cnp.NPY_KEEPORDER, NULL, 0)
    else:
        if type(out) is not cnp.ndarray:
            return None
        oa = <cnp.ndarray>out
        if (not _plain(oa, dt) or not cnp.PyArray_ISWRITEABLE(oa)
                or not cnp.PyArray_SAMESHAPE(xa, oa) or not _apart_or_same(oa, xa)
                or (ga is not None and not _apart_or_same(oa, ga))):
            return None
    n = cnp.PyArray_SIZE(xa)
    if n == 0:
        return oa
    if ga is not None:  # the kernel's operand order: g, x, out
        ops[nop] = <cnp.PyArrayObject *>ga
        op_flags[nop] = cnp.NPY_ITER_READONLY
        nop += 1
    ops[nop] = <cnp.PyArrayObject *>xa
    op_flags[nop] = cnp.NPY_ITER_READONLY
    ops[nop + 1] = <cnp.PyArrayObject *>oa
    op_flags[nop + 1] = cnp.NPY_ITER_WRITEONLY
    nop += 2
    it = cnp.NpyIter_MultiNew(nop, ops, cnp.NPY_ITER_EXTERNAL_LOOP, cnp.NPY_KEEPORDER,
                              cnp.NPY_NO_CASTING, op_flags, NULL)
    try:
        iternext = cnp.NpyIter_GetIterNext(it, NULL)
        data = cnp.NpyIter_GetDataPtrArray(it)
        strides = cnp.NpyIter_GetInnerStrideArray(it)
        size = cnp.NpyIter_GetInnerLoopSizePtr(it)
        if n * cost < _nogil_min:
            _walk(it, iternext, data, strides, size, k, nop, p, itemsize, cost)
        else:
            with nogil:
                _walk(it, iternext, data, strides, size, k, nop, p, itemsize, cost)
    finally:
        cnp.NpyIter_Deallocate(it)
    return oa if out is None else out


cdef object _fast(int fn, int mode, object a, object b, object out, const fa_params *p,
                  int cost):
    """The result, or None when the arguments need the ufunc."""
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
    k = fa_active[(fn * FA_NUM_MODES + mode) * FA_NUM_DTYPES + dt]
    if k == NULL:
        return None
    lay = _layout(xa)
    if lay == 0:
        return _strided(k, dt, xa, b, out, p, cost)
    if b is not None:
        if type(b) is not cnp.ndarray:
            return None
        ga = <cnp.ndarray>b
        if _dtype_index(ga) != dt or not cnp.PyArray_SAMESHAPE(xa, ga):
            return None
        lay &= _layout(ga)
        if lay == 0:
            return _strided(k, dt, xa, b, out, p, cost)
        gptr = <char *>cnp.PyArray_DATA(ga)
    n = cnp.PyArray_SIZE(xa)
    itemsize = FA_DTYPE_ITEMSIZE(dt)
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
    if (_dtype_index(oa) != dt or not cnp.PyArray_ISWRITEABLE(oa)
            or not cnp.PyArray_SAMESHAPE(xa, oa)):
        return None
    if not (lay & _layout(oa)):
        return _strided(k, dt, xa, b, out, p, cost)
    optr = <char *>cnp.PyArray_DATA(oa)
    if not _same_or_disjoint(optr, xptr, n * itemsize):
        return None
    if gptr != NULL and not _same_or_disjoint(optr, gptr, n * itemsize):
        return None
    _invoke(k, n, xptr, gptr, optr, p, itemsize, cost)
    return out


# ------------------------------------------------------------------ the ufuncs

# ufunc loops, in NumPy's search order: float16, float32, float64 (bfloat16 added below when
# ml_dtypes is installed).  Parameters are float64 inputs in every loop.
cdef int _N_LOOPS = 3
cdef int _LOOP_DTYPES[3]
cdef char _LOOP_TYPES[3]
_LOOP_DTYPES[0] = FA_F16; _LOOP_DTYPES[1] = FA_F32; _LOOP_DTYPES[2] = FA_F64
_LOOP_TYPES[0] = cnp.NPY_FLOAT16; _LOOP_TYPES[1] = cnp.NPY_FLOAT; _LOOP_TYPES[2] = cnp.NPY_DOUBLE

_keepalive = []  # names and docstrings the ufuncs point into

MODE_NAMES = ("ufunc", "grad_ufunc", "backward_ufunc", "backward_from_y_ufunc")

try:  # bfloat16 from ml_dtypes: registered when the package is importable
    import ml_dtypes as _ml_dtypes
    BFLOAT16 = np.dtype(_ml_dtypes.bfloat16)
except ImportError:
    BFLOAT16 = None


cdef object _make_ufunc(int fn, int mode, str fname, tuple pnames):
    """The ufunc of function fn in `mode`: operands (x, *params) or (g, x|y, *params)."""
    cdef int narr = 2 if mode == FA_BACKWARD or mode == FA_BACKWARD_FROM_Y else 1
    cdef int nparams = len(pnames)
    cdef int nargs = narr + nparams + 1
    cdef int t, j
    cdef cnp.PyUFuncGenericFunction *funcs = <cnp.PyUFuncGenericFunction *>PyMem_Malloc(
        _N_LOOPS * sizeof(cnp.PyUFuncGenericFunction))
    cdef void **data = <void **>PyMem_Malloc(_N_LOOPS * sizeof(void *))
    cdef char *types = <char *>PyMem_Malloc(_N_LOOPS * nargs)
    cdef int *bf_types
    if funcs == NULL or data == NULL or types == NULL:
        raise MemoryError()
    for t in range(_N_LOOPS):
        funcs[t] = <cnp.PyUFuncGenericFunction>fa_ufunc_loop
        data[t] = &fa_loops[FA_TABLE_INDEX(fn, mode, _LOOP_DTYPES[t])]
        for j in range(nargs):
            types[t * nargs + j] = cnp.NPY_DOUBLE if narr <= j < narr + nparams else _LOOP_TYPES[t]
    arrays = ("g", "y" if mode == FA_BACKWARD_FROM_Y else "x") if narr == 2 else ("x",)
    what = ("f(x)", "f'(x)", "g * f'(x)", "g * f'(x) from y = f(x)")[mode]
    name = f"{fname}.{MODE_NAMES[mode]}".encode()
    doc = (f"{fname}.{MODE_NAMES[mode]}({', '.join(arrays + pnames)}, /, out=None, *, where=True, "
           f"casting='same_kind', order='K', dtype=None, subok=True)\n\n"
           f"{what} of fastact.{fname} as a NumPy ufunc: every operand broadcasts, parameters "
           f"included (float64; NaN where a parameter is NaN or breaks a rule).\n").encode()
    _keepalive.extend((name, doc))
    uf = cnp.PyUFunc_FromFuncAndData(funcs, data, types, _N_LOOPS, narr + nparams, 1,
                                     cnp.PyUFunc_None, name, doc, 0)
    if BFLOAT16 is not None:
        bf_types = <int *>PyMem_Malloc(nargs * sizeof(int))
        if bf_types == NULL:
            raise MemoryError()
        for j in range(nargs):
            bf_types[j] = cnp.NPY_DOUBLE if narr <= j < narr + nparams else BFLOAT16.num
        if cnp.PyUFunc_RegisterLoopForType(uf, BFLOAT16.num, <cnp.PyUFuncGenericFunction>fa_ufunc_loop,
                                          bf_types, &fa_loops[FA_TABLE_INDEX(fn, mode, FA_BF16)]) < 0:
            raise RuntimeError(f"cannot register the bfloat16 loop of {name.decode()}")
    return uf


# ufunc keywords that Activation methods pass through to the ufunc
_UFUNC_OPTIONS = frozenset(("where", "dtype", "casting", "order", "subok", "signature"))
_F64 = np.dtype(np.float64)


cdef bint _integer_input(object a):
    """Whether `a` holds bools or integers (computed in float64, unlike the bare ufuncs)."""
    dt = getattr(a, "dtype", None)
    if dt is None:
        if type(a) is float or type(a) is int:
            return False
        try:
            dt = np.asarray(a).dtype
        except Exception:
            return False
    return isinstance(dt, np.dtype) and dt.kind in "biu"


def _check_ufunc_out(str caller, tuple names, tuple arrays, out):
    """The documented refusals of out= before NumPy sees it (a refused call writes nothing):
    a result shape out cannot hold, a read-only out, a result dtype out cannot take under
    same_kind.  out has the result's shape (the bare ufuncs, f.ufunc, also broadcast inputs up to
    out's shape, as any NumPy ufunc)."""
    shapes = []
    for n, a in zip(names, arrays):
        try:
            dt = getattr(a, "dtype", None)
            if dt is None or dt != BFLOAT16:
                a = _dtypes.as_input(a, n)  # the inputs' refusals come first
            shapes.append(np.shape(a))
        except ValueError as exc:  # ragged nested sequences
            raise TypeError(f"{n} must be array_like of real numbers: {exc}") from None
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{caller}: g with shape {shapes[0]} and {names[1]} with shape "
                         f"{shapes[1]} cannot be broadcast together") from None
    oshape = np.shape(out)
    if oshape != shape:
        raise ValueError(f"{caller}: out has shape {oshape}, but the result has shape {shape}")
    if isinstance(out, np.ndarray):
        if not out.flags.writeable:
            raise ValueError(f"{caller}: out is read-only")
        try:
            rdt = np.result_type(*[_dtypes.result_dtype(_dtypes.as_input(a, n).dtype)
                                   for n, a in zip(names, arrays)])
        except TypeError:
            return  # the ufunc call names the bad input
        if not np.can_cast(rdt, out.dtype, casting="same_kind"):
            raise TypeError(f"{caller}: cannot cast the {rdt} result to out's dtype "
                            f"{out.dtype} with casting='same_kind'")


def _explain(str caller, tuple names, tuple arrays, out, exc):
    """Re-raise a ufunc's TypeError naming the argument at fault (the dtype contract's
    messages, _dtypes.as_input)."""
    for name, a in zip(names, arrays):
        dt = getattr(a, "dtype", None)
        if dt is None or dt != BFLOAT16:
            _dtypes.as_input(a, name)
    if out is not None and "output" in str(exc):
        raise TypeError(f"{caller}: cannot cast the result to out's dtype "
                        f"{getattr(out, 'dtype', '?')}: {exc}") from None
    raise exc


cdef class Activation:
    """An activation function and its derivatives, like a NumPy ufunc object.

    f(x, out=None, **params)             f(x); out may be x itself (in place)
    f.inplace(x, **params)               f(x) written into x; returns x
    f.grad(x, out=None, **params)        f'(x)
    f.backward(g, x=x, out=None, ...)    g * f'(x) in one pass (out may be g)
    f.backward(g, y=y, out=None, ...)    g * f'(x) from y = f(x), where f.from_y
    f.reference(x, **params)             the pure-NumPy reference (and reference_grad)

    Every method also takes NumPy's ufunc keywords where=, dtype=, casting=, order=, subok=.
    The NumPy ufuncs themselves, with the parameters as extra broadcastable operands:
    f.ufunc(x, *params), f.grad_ufunc(x, *params), f.backward_ufunc(g, x, *params),
    f.backward_from_y_ufunc(g, y, *params) (None unless f.from_y).
    """

    cdef void *_vectorcall  # see fa_enable_vectorcall
    cdef readonly str name
    cdef readonly object spec
    cdef int _fn
    cdef int _cost
    cdef int _nparams
    cdef fa_function_info *_info
    cdef dict _slots  # parameter name -> slot in fa_params
    cdef readonly object ufunc
    cdef readonly object grad_ufunc
    cdef readonly object backward_ufunc
    cdef readonly object backward_from_y_ufunc

    def __init__(self, spec):
        names = function_names()
        if spec.name not in names:
            raise ImportError(f"the C kernels have no function {spec.name!r}")
        if len(spec.params) > FA_MAX_PARAMS or len(spec.rules) > FA_MAX_RULES:
            raise ImportError(f"{spec.name}: too many parameters or rules for the C side")
        self.name = spec.name
        self.spec = spec
        self._fn = names.index(spec.name)
        self._cost = spec.cost
        self._nparams = len(spec.params)
        self._slots = {n: i for i, n in enumerate(spec.param_names)}
        info = &fa_info[self._fn]
        self._info = info
        memset(info, 0, sizeof(fa_function_info))
        info.nparams = self._nparams
        info.cost = spec.cost
        info.nrules = len(spec.rules)
        for i, rule in enumerate(spec.rules):
            info.rules[i].kind = _RULE_CODES[rule.kind]
            info.rules[i].a = self._slots[rule.a]
            info.rules[i].b = self._slots[rule.b] if rule.b is not None else -1
        try:
            values = spec.resolve({}, spec.name)
        except TypeError:  # a required parameter
            values = None
        if values is not None:
            for i, v in enumerate(values):
                info.defaults.v[i] = v
            info.defaults_complete = 1
        self._vectorcall = <void *>_activation_vectorcall
        cls = type(self)
        fa_enable_vectorcall(<PyTypeObject *>cls,
                             <Py_ssize_t>(<char *>&self._vectorcall - <char *><PyObject *>self))
        pnames = tuple(spec.param_names)
        self.ufunc = _make_ufunc(self._fn, FA_FORWARD, self.name, pnames)
        self.grad_ufunc = _make_ufunc(self._fn, FA_GRAD, self.name, pnames)
        self.backward_ufunc = _make_ufunc(self._fn, FA_BACKWARD, self.name, pnames)
        self.backward_from_y_ufunc = (_make_ufunc(self._fn, FA_BACKWARD_FROM_Y, self.name, pnames)
                                      if spec.from_y else None)

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

    cdef int _params(self, dict given, fa_params *p, str method) except -1:
        """Fill p from keyword arguments: plain floats/ints and the declarative rules are
        checked here; anything unusual goes to Spec.resolve for the error message."""
        cdef Py_ssize_t seen = 0
        p[0] = self._info.defaults
        if not given and self._info.defaults_complete:
            return 0
        for key, value in given.items():
            if not self._take_param(key, value, p):
                break
            seen += 1
        # every keyword taken here, and every required parameter among them
        if (seen == len(given) and (self._info.defaults_complete or seen == self._nparams)
                and fa_rules_hold(self._info, p)):
            return 0
        values = self.spec.resolve(given, self.name + method)  # raises the right error
        memset(p, 0, sizeof(fa_params))
        for i, v in enumerate(values):
            p.v[i] = v
        return 0

    cdef object _via_ufunc(self, int mode, str caller, tuple arrays, object out,
                           const fa_params *p, dict options):
        """The call as the ufunc of `mode` with the resolved parameters as operands."""
        uf = (self.ufunc, self.grad_ufunc, self.backward_ufunc, self.backward_from_y_ufunc)[mode]
        args = arrays + tuple([p.v[i] for i in range(self._nparams)])
        kw = options if options is not None else {}
        names = ("g", "y" if mode == FA_BACKWARD_FROM_Y else "x") if len(arrays) == 2 else ("x",)
        if out is not None:
            if not hasattr(out, "__array_ufunc__"):
                raise TypeError(f"{caller}: out must be a numpy.ndarray, not {type(out).__name__}")
            _check_ufunc_out(caller, names, arrays, out)
            kw["out"] = out
        if "subok" not in kw:
            for a in arrays:  # ndarray subclasses give base ndarrays, as documented
                if type(a) is not cnp.ndarray and isinstance(a, cnp.ndarray):
                    kw["subok"] = False
                    break
        if "dtype" not in kw and "signature" not in kw:
            for a in arrays:
                if _integer_input(a):  # bool and integers compute in float64
                    # (dtype= would let NumPy cast a longdouble or complex operand next to the
                    # integers down to float64: refuse those first; fuzz finding 8)
                    for name, b in zip(names, arrays):
                        if getattr(b, "dtype", None) != BFLOAT16:
                            _dtypes.as_input(b, name)
                    kw["dtype"] = _F64
                    break
        try:
            return uf(*args, **kw)
        except (TypeError, OverflowError) as exc:
            # OverflowError: NumPy converting a Python int beyond float64 next to the
            # parameter operands (fuzz finding 3: threshold(10**400)); _explain turns it into
            # the TypeError an object array gets
            _explain(caller, names, arrays, out, exc)
        except ValueError as exc:
            if "inhomogeneous" in str(exc):
                # name the ragged argument (this once read names[-1], which wraparound=False
                # turns into a read before the tuple: a segfault on every ragged list, fuzz
                # finding 4)
                bad = names[len(names) - 1]
                for name, a in zip(names, arrays):
                    try:
                        np.asarray(a)
                    except ValueError:
                        bad = name
                        break
                raise TypeError(f"{bad} must be array_like of real numbers: {exc}") from None
            if len(arrays) == 2 and "broadcast" in str(exc):
                raise ValueError(f"{caller}: g with shape {np.shape(arrays[0])} and {names[1]} "
                                 f"with shape {np.shape(arrays[1])} cannot be broadcast together"
                                 + ("" if out is None else f" into out of shape {np.shape(out)}"))
            raise

    def __call__(self, x, out=None, **params):
        cdef fa_params p
        options = _options(params)
        self._params(params, &p, "")
        if options is None:
            r = _fast(self._fn, FA_FORWARD, x, None, out, &p, self._cost)
            if r is not None:
                return r
        return self._via_ufunc(FA_FORWARD, self.name, (x,), out, &p, options)

    def inplace(self, x, **params):
        """Compute f(x) into x (a writable float ndarray) and return x."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self.name}.inplace: x must be a numpy.ndarray, "
                            f"not {type(x).__name__}")
        if x.dtype.kind != "f" and x.dtype != BFLOAT16:
            raise TypeError(f"{self.name}.inplace: x must have a float dtype to hold the "
                            f"result, not {x.dtype}")
        if not x.flags.writeable:
            raise ValueError(f"{self.name}.inplace: x is read-only")
        return self(x, out=x, **params)

    def grad(self, x, out=None, **params):
        """f'(x) as an array."""
        cdef fa_params p
        options = _options(params)
        self._params(params, &p, ".grad")
        if options is None:
            r = _fast(self._fn, FA_GRAD, x, None, out, &p, self._cost)
            if r is not None:
                return r
        return self._via_ufunc(FA_GRAD, self.name + ".grad", (x,), out, &p, options)

    def backward(self, g, x=None, *, y=None, out=None, **params):
        """g * f'(x) in one fused pass, from x= or (where from_y) from the output y=."""
        cdef fa_params p
        cdef int mode
        options = _options(params)
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
        if options is None:
            r = _fast(self._fn, mode, a, g, out, &p, self._cost)
            if r is not None:
                return r
        return self._via_ufunc(mode, self.name + ".backward", (g, a), out, &p, options)

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


_RULE_CODES = {"lt": 0, "le": 1, "ge0": 2, "ne0": 3}  # enum fa_rule_kind


cdef dict _options(dict params):
    """Pop NumPy's ufunc keywords (where=, dtype=, ...) out of params; None when there are none."""
    if not params:
        return None
    cdef dict found = None
    for key in _UFUNC_OPTIONS:
        if key in params:
            if found is None:
                found = {}
            found[key] = params.pop(key)
    return found


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
    p = self._info.defaults
    for i in range(nkw):
        key = (<object>kwnames)[i]
        if key == "out" and nargs == 1:
            out = <object>args[nargs + i]
        elif self._take_param(key, <object>args[nargs + i], &p):
            taken += 1
        else:
            return _call_general(self, args, nargs, kwnames)
    if (not (self._info.defaults_complete or taken == self._nparams)
            or not fa_rules_hold(self._info, &p)):
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
