# The structured functions (csrc/fa_structured.h): softmax, log_softmax and softmin along any
# axis, glu, and prelu, mpelu and rrelu with array-valued parameters and extra outputs.
# Included at the end of _core.pyx: it shares its ISA selection, thread settings, GIL/thread
# thresholds (_nogil_min, fa_parallel_min) and dtype rules.
#
# One call path serves all seven: an argument is brought to the compute dtype, native and
# aligned, contiguous in *some* axis order (C, F, channels-last... are taken as they are; other
# layouts are copied once), and seen as a 3-D view (outer, len, inner) around the axis (or the
# channel axis); the result is allocated in the same memory order, so the kernel runs on the
# view without transposing anything.
from libc.stdint cimport uint64_t
import numbers

from . import _dask
from . import _reference_structured as _sref
from ._registry import STRUCTURED_SPECS, ChannelParam

cdef extern from "fa_structured.h" nogil:
    ctypedef struct fa_struct_call:
        size_t outer, len, inner
        const void *x
        const void *g
        void *out
        const void *w[2]
        void *aux
        double *dw[2]
        double v[2]
        uint64_t seed
        int training
    ctypedef void (*fa_struct_kernel)(const fa_struct_call *c, size_t o0, size_t o1, size_t i0,
                                      size_t i1) noexcept nogil
    enum:
        FA_NUM_STRUCTURED
    const char *fa_structured_name(int fn)
    const fa_struct_kernel *fa_structured_table(int isa)
    void fa_struct_run(fa_struct_kernel kernel, const fa_struct_call *c, int nthreads,
                       size_t col_block)

cdef size_t _ST_COL_BLOCK = 128  # columns per parallel block (a multiple of a cache line)


# out= checks of the structured call path (the elementwise functions leave them to NumPy)
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


def structured_names():
    """The structured functions the C kernels implement, in table order."""
    return [fa_structured_name(i).decode() for i in range(FA_NUM_STRUCTURED)]


cdef fa_struct_kernel _st_kernel(int fn, int mode, int dt) noexcept:
    cdef const fa_struct_kernel *t = fa_structured_table(_isa)
    if t == NULL:
        return NULL
    return t[(fn * FA_NUM_MODES + mode) * FA_NUM_DTYPES + dt]


cdef void _st_invoke(fa_struct_kernel k, fa_struct_call *c, Py_ssize_t n, int cost):
    """Run k over the whole view: as _invoke, by rows or column blocks across threads."""
    cdef int nt = fa_num_threads
    if c.outer == 0 or c.inner == 0 or c.len == 0:
        return
    if n * cost < _nogil_min:
        k(c, 0, c.outer, 0, c.inner)
        return
    if n * cost < fa_parallel_min:
        nt = 1
    with nogil:
        fa_struct_run(k, c, nt, _ST_COL_BLOCK)


cdef inline int _st_dtype(object dt):
    return FA_F32 if dt == _dtypes.F32 else FA_F64


def _memory_order(a):
    """The axes of `a` from slowest to fastest in memory when `a` is contiguous in that order
    (size-1 axes anywhere), else None."""
    shape, strides = a.shape, a.strides
    perm = sorted(range(a.ndim), key=lambda i: -strides[i])
    expected = a.itemsize
    for ax in reversed(perm):
        if shape[ax] == 1:
            continue
        if strides[ax] != expected:
            return None
        expected *= shape[ax]
    return perm


def _prepared(arr, cdt):
    """arr in the compute dtype, native, aligned and contiguous in some axis order (a view when
    it already is), and that order."""
    if arr.dtype != cdt or not arr.flags.aligned:
        arr = arr.astype(cdt, order="K")
    perm = _memory_order(arr)
    if perm is None:
        arr = np.ascontiguousarray(arr)
        perm = list(range(arr.ndim))
    return arr, perm


def _empty_in_order(shape, perm, dtype):
    """An empty array of `shape` laid out in memory order `perm`."""
    mem = np.empty([shape[p] for p in perm], dtype=dtype)
    return mem.transpose(np.argsort(perm))


def _view3(shape, perm, group):
    """(outer, len, inner) of the view of an array of `shape` in memory order `perm` with k
    running over the axes `group` (sorted), or None when those axes are not adjacent in
    memory in their logical order."""
    core = [ax for ax in group if shape[ax] != 1]
    size = 1
    for s in shape:
        size *= s
    if not core:
        return size, 1, 1
    order = [ax for ax in perm if shape[ax] != 1]
    pos = [order.index(ax) for ax in core]
    if pos != list(range(pos[0], pos[0] + len(pos))):
        return None
    outer = inner = length = 1
    for ax in order[:pos[0]]:
        outer *= shape[ax]
    for ax in order[pos[len(pos) - 1] + 1:]:
        inner *= shape[ax]
    for ax in core:
        length *= shape[ax]
    return outer, length, inner


def _usable_out(out, a, cdt):
    """Whether the kernel may write into `out` directly: a's dtype and layout, and a itself
    or disjoint from it."""
    return (out is not None and out.dtype == cdt and out.strides == a.strides
            and out.flags.aligned and out.dtype.isnative
            and (not np.may_share_memory(out, a) or _aliases_exactly(out, a)))


def _finish(target, out, rdt):
    if out is None:
        res = target if target.dtype == rdt else target.astype(rdt)
        return res if res.ndim else res[()]
    if target is not out:
        np.copyto(out, target, casting="same_kind")
    return out


cdef class StructuredActivation:
    """Common part of the structured function objects (softmax family, glu, prelu, mpelu,
    rrelu): the registry entry, the kernel index, lookup and the references."""

    cdef readonly str name
    cdef readonly object spec
    cdef int _fn
    cdef int _cost

    def __init__(self, spec):
        names = structured_names()
        if spec.name not in names:
            raise ImportError(f"the C kernels have no structured function {spec.name!r}")
        self.name = spec.name
        self.spec = spec
        self._fn = names.index(spec.name)
        self._cost = spec.cost

    @property
    def aliases(self):
        return self.spec.aliases

    @property
    def from_y(self):
        """True when backward accepts y= (the softmax family)."""
        return self.spec.from_y

    @property
    def params(self):
        """The parameters and their defaults (None for a required one)."""
        return {q.name: (None if q.default is REQUIRED else q.default) for q in self.spec.params}

    def __repr__(self):
        return f"<fastact function {self.name}>"

    def __reduce__(self):
        return (_lookup, (self.name,))

    cdef _run(self, int mode, a, g, target, dims, w0=None, w1=None, dw0=None, dw1=None,
              aux=None, double v0=0, double v1=0, uint64_t seed=0, int training=0):
        """Run the kernel of `mode` on prepared arrays (a: x or y; g; target; per-channel
        w0/w1 and double accumulators dw0/dw1; rrelu's slopes aux) seen as `dims`."""
        cdef fa_struct_call c
        cdef cnp.ndarray arr
        memset(&c, 0, sizeof(fa_struct_call))
        c.outer, c.len, c.inner = dims[0], dims[1], dims[2]
        cdef int dt = _st_dtype(a.dtype)
        cdef fa_struct_kernel k = _st_kernel(self._fn, mode, dt)
        if k == NULL:
            raise TypeError(f"{self.name}: this mode is not available")
        arr = a
        c.x = cnp.PyArray_DATA(arr)
        arr = target
        c.out = cnp.PyArray_DATA(arr)
        if g is not None:
            arr = g
            c.g = cnp.PyArray_DATA(arr)
        if w0 is not None:
            arr = w0
            c.w[0] = cnp.PyArray_DATA(arr)
        if w1 is not None:
            arr = w1
            c.w[1] = cnp.PyArray_DATA(arr)
        if dw0 is not None:
            arr = dw0
            c.dw[0] = <double *>cnp.PyArray_DATA(arr)
        if dw1 is not None:
            arr = dw1
            c.dw[1] = <double *>cnp.PyArray_DATA(arr)
        if aux is not None:
            arr = aux
            c.aux = cnp.PyArray_DATA(arr)
        c.v[0], c.v[1] = v0, v1
        c.seed = seed
        c.training = training
        _st_invoke(k, &c, cnp.PyArray_SIZE(<cnp.ndarray>a), self._cost)


cdef inline bint _plain_c(object x):
    """An exact float32/float64 ndarray, C-contiguous, aligned, native (the fast path)."""
    cdef cnp.ndarray a
    cdef int dt
    if type(x) is not cnp.ndarray:
        return False
    a = <cnp.ndarray>x
    dt = _dtype_index(a)  # float16 too for the elementwise kernels; not for these
    return (dt == FA_F32 or dt == FA_F64) and (_layout(a) & LAYOUT_C) != 0


# ------------------------------------------------------------------ softmax family

cdef class AxisActivation(StructuredActivation):
    """A function along an axis, like scipy.special.softmax.

    f(x, axis=-1, out=None)                   axis: an int, a tuple of ints or None (all axes)
    f.inplace(x, axis=-1)                     f(x) written into x; returns x
    f.backward(g, y=y, out=None, axis=-1)     the gradient from the output y (out may be g)
    f.backward(g, x=x, out=None, axis=-1)     the same from x (computes y first)
    f.reference(x, axis=-1)                   the pure-NumPy reference (reference_backward)
    """

    cdef object _fast(self, int mode, x, g, out, axis):
        """The fast path: x (or y), g and out C-contiguous float arrays of one dtype and shape
        along one int axis, out new, or x or g itself, or apart from both; else None (the
        general path then checks and converts)."""
        cdef cnp.ndarray xa, ga, oa
        cdef Py_ssize_t ax, nd, i, outer = 1, inner = 1, nbytes
        cdef int dt
        cdef char *optr
        if type(axis) is not int or not _plain_c(x):
            return None
        xa = <cnp.ndarray>x
        nd = cnp.PyArray_NDIM(xa)
        ax = axis
        if not -nd <= ax < nd:
            return None
        if ax < 0:
            ax += nd
        dt = _dtype_index(xa)
        if g is not None:
            if not _plain_c(g):
                return None
            ga = <cnp.ndarray>g
            if _dtype_index(ga) != dt or not cnp.PyArray_SAMESHAPE(xa, ga):
                return None
        if out is None:
            oa = cnp.PyArray_EMPTY(nd, cnp.PyArray_DIMS(xa), cnp.PyArray_TYPE(xa), 0)
        else:
            if not _plain_c(out):
                return None
            oa = <cnp.ndarray>out
            nbytes = cnp.PyArray_NBYTES(xa)
            optr = <char *>cnp.PyArray_DATA(oa)
            if (_dtype_index(oa) != dt or not cnp.PyArray_ISWRITEABLE(oa)
                    or not cnp.PyArray_SAMESHAPE(xa, oa)
                    or not _same_or_disjoint(optr, <char *>cnp.PyArray_DATA(xa), nbytes)
                    or (g is not None and not _same_or_disjoint(
                        optr, <char *>cnp.PyArray_DATA(ga), nbytes))):
                return None
        for i in range(ax):
            outer *= cnp.PyArray_DIMS(xa)[i]
        for i in range(ax + 1, nd):
            inner *= cnp.PyArray_DIMS(xa)[i]
        self._run(mode, xa, g, oa, (outer, cnp.PyArray_DIMS(xa)[ax], inner))
        return oa

    def __call__(self, x, axis=-1, out=None):
        if out is None and type(axis) is int and _dask.is_dask(x):
            return _dask.along_axis(self, (x,), axis, dtype=_dask.result_dtype((x,)))
        r = self._fast(FA_FORWARD, x, None, out, axis)
        if r is not None:
            return r
        return self._general(FA_FORWARD, x, None, out, axis, self.name)

    def inplace(self, x, axis=-1):
        """Compute f(x) along `axis` into x (a writable float ndarray) and return x."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self.name}.inplace: x must be a numpy.ndarray, "
                            f"not {type(x).__name__}")
        if x.dtype.kind != "f":
            raise TypeError(f"{self.name}.inplace: x must have a float dtype to hold the "
                            f"result, not {x.dtype}")
        return self(x, axis=axis, out=x)

    def backward(self, g, x=None, *, y=None, out=None, axis=-1):
        """The input gradient (the Jacobian-vector product) from y = f(x) (or from x)."""
        caller = self.name + ".backward"
        if (x is None) == (y is None):
            raise TypeError(f"{caller}() needs exactly one of x= or y=")
        a = x if y is None else y
        if out is None and type(axis) is int and (_dask.is_dask(g) or _dask.is_dask(a)):
            return _dask.along_axis(_dask.axis_backward, (g, a), axis, f=self,
                                    from_y=y is not None, dtype=_dask.result_dtype((g, a)))
        if g is None:
            raise TypeError(f"{caller}(): g must be array_like, not None")
        if y is None:
            xa = _dtypes.as_input(x, "x")
            _sref.normalize_axes(axis, xa.ndim, caller)
            cdt = _dtypes.compute_dtype(_dtypes.result_dtype(xa.dtype))
            y = self(xa.astype(cdt, copy=False), axis=axis)
            r = self._fast(FA_BACKWARD_FROM_Y, y, g, out, axis)
            if r is None:
                r = self._general(FA_BACKWARD_FROM_Y, y, g, out, axis, caller)
            if out is None:  # y was computed in cdt: the result keeps x's (and g's) dtype
                rdt = np.result_type(_dtypes.result_dtype(xa.dtype),
                                     _dtypes.result_dtype(np.asarray(g).dtype))
                if r.dtype != rdt:
                    r = r.astype(rdt)
            return r
        r = self._fast(FA_BACKWARD_FROM_Y, y, g, out, axis)
        if r is not None:
            return r
        return self._general(FA_BACKWARD_FROM_Y, y, g, out, axis, caller)

    cdef _general(self, int mode, a, g, out, axis, str caller):
        aname = "y" if mode == FA_BACKWARD_FROM_Y else "x"
        xa = _dtypes.as_input(a, aname)
        rdt = _dtypes.result_dtype(xa.dtype)
        shape = xa.shape
        if g is not None:
            ga = _dtypes.as_input(g, "g")
            rdt = np.result_type(rdt, _dtypes.result_dtype(ga.dtype))
            try:
                shape = np.broadcast_shapes(xa.shape, ga.shape)
            except ValueError:
                raise ValueError(f"{caller}: g with shape {ga.shape} and {aname} with shape "
                                 f"{xa.shape} cannot be broadcast together") from None
        axes = _sref.normalize_axes(axis, len(shape), caller)
        if out is not None:
            _check_out(caller, out, shape, rdt)
        cdt = _dtypes.compute_dtype(rdt)
        if xa.shape != shape:
            xa = np.broadcast_to(xa, shape)
        xa, perm = _prepared(xa, cdt)
        if g is not None:
            if ga.shape != shape:
                ga = np.broadcast_to(ga, shape)
            ga = ga.astype(cdt, copy=False)
            if ga.strides != xa.strides or not ga.flags.aligned:
                ga = _empty_in_order(shape, perm, cdt)
                np.copyto(ga, np.broadcast_to(_dtypes.as_input(g, "g"), shape), casting="unsafe")
        else:
            ga = None
        dims = _view3(shape, perm, axes)
        if dims is None:  # the axes are not adjacent in memory: move them last, in C order
            n = len(axes)
            moved = [np.ascontiguousarray(np.moveaxis(v, axes, range(-n, 0)))
                     for v in ((xa,) if ga is None else (xa, ga))]
            tmp = np.empty_like(moved[0])
            length = 1
            for ax in axes:
                length *= shape[ax]
            self._run(mode, moved[0], None if ga is None else moved[1], tmp,
                      (tmp.size // length if length else 0, length, 1))
            return _finish(np.moveaxis(tmp, range(-n, 0), axes), out, rdt)
        if _usable_out(out, xa, cdt) and (ga is None or not np.may_share_memory(out, ga)
                                          or _aliases_exactly(out, ga)):
            target = out
        else:
            target = _empty_in_order(shape, perm, cdt)
        self._run(mode, xa, ga, target, dims)
        return _finish(target, out, rdt)

    def reference(self, x, axis=-1):
        """f(x) along `axis` by the pure-NumPy reference."""
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        r = getattr(_sref, self.name)(xa.astype(_dtypes.compute_dtype(rdt)), axis).astype(rdt)
        return r if r.ndim else r[()]

    def reference_backward(self, g, y, axis=-1):
        """The gradient from y by the pure-NumPy reference."""
        ya = _dtypes.as_input(y, "y")
        rdt = np.result_type(_dtypes.result_dtype(ya.dtype),
                             _dtypes.result_dtype(np.asarray(g).dtype))
        cdt = _dtypes.compute_dtype(rdt)
        r = getattr(_sref, self.name + "_backward")(np.asarray(g, cdt), ya.astype(cdt), axis)
        return r.astype(rdt)


# ------------------------------------------------------------------ glu

cdef class HalvesActivation(StructuredActivation):
    """glu: the first half of x along `axis` times the sigmoid of the second half.

    f(x, axis=-1, out=None)                   out has x's shape with the axis halved
    f.backward(g, x=x, out=None, axis=-1)     the gradient of the whole input (x's shape)
    f.reference(x, axis=-1)                   the pure-NumPy reference (reference_backward)
    """

    cdef _setup(self, x, axis, str caller):
        xa = _dtypes.as_input(x, "x")
        ax = _sref.glu_axis(axis, xa.ndim, caller)
        if xa.shape[ax] % 2:
            raise ValueError(f"{caller}: x has an odd length {xa.shape[ax]} along axis {axis}; "
                             f"glu halves it")
        half = xa.shape[:ax] + (xa.shape[ax] // 2,) + xa.shape[ax + 1:]
        return xa, ax, half

    def __call__(self, x, axis=-1, out=None):
        caller = self.name
        xa, ax, half = self._setup(x, axis, caller)
        rdt = _dtypes.result_dtype(xa.dtype)
        if out is not None:
            _check_out(caller, out, half, rdt)
        cdt = _dtypes.compute_dtype(rdt)
        xa, perm = _prepared(xa, cdt)
        dims = _view3(xa.shape, perm, (ax,))
        target = _empty_in_order(half, perm, cdt)
        if out is not None and out.dtype == cdt and out.strides == target.strides \
                and out.flags.aligned and out.dtype.isnative and not np.may_share_memory(out, xa):
            target = out
        self._run(FA_FORWARD, xa, None, target, dims)
        return _finish(target, out, rdt)

    def backward(self, g, x=None, *, out=None, axis=-1):
        """The gradient of the whole input: g * sigmoid(b) for a, g * a * sigmoid'(b) for b."""
        caller = self.name + ".backward"
        if x is None:
            raise TypeError(f"{caller}() needs x= (glu has no gradient from y)")
        if g is None:
            raise TypeError(f"{caller}(): g must be array_like, not None")
        xa, ax, half = self._setup(x, axis, caller)
        ga = _dtypes.as_input(g, "g")
        rdt = np.result_type(_dtypes.result_dtype(xa.dtype), _dtypes.result_dtype(ga.dtype))
        try:
            np.broadcast_shapes(ga.shape, half)
            ok = np.broadcast_shapes(ga.shape, half) == half
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{caller}: g with shape {ga.shape} does not broadcast to glu's "
                             f"output shape {half}")
        if out is not None:
            _check_out(caller, out, xa.shape, rdt)
        cdt = _dtypes.compute_dtype(rdt)
        xa, perm = _prepared(xa, cdt)
        dims = _view3(xa.shape, perm, (ax,))
        gc = _empty_in_order(half, perm, cdt)
        np.copyto(gc, np.broadcast_to(ga, half), casting="unsafe")
        target = out if _usable_out(out, xa, cdt) else _empty_in_order(xa.shape, perm, cdt)
        self._run(FA_BACKWARD, xa, gc, target, dims)
        return _finish(target, out, rdt)

    def reference(self, x, axis=-1):
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        return _sref.glu(xa.astype(_dtypes.compute_dtype(rdt)), axis).astype(rdt)

    def reference_backward(self, g, x, axis=-1):
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        cdt = _dtypes.compute_dtype(rdt)
        return _sref.glu_backward(np.asarray(g, cdt), xa.astype(cdt), axis).astype(rdt)


# ------------------------------------------------------------------ per-channel parameters

def _channel_dims(shape):
    """The channel axis of an array of `shape` (None: one channel) and the channel count."""
    if len(shape) >= 2:
        return 1, shape[1]
    return None, 1


def _channel_param(value, name, nchan, cdt, caller):
    """A scalar or 1-D per-channel parameter as `nchan` contiguous values of cdt."""
    try:
        arr = np.asarray(value)
    except Exception:
        arr = None
    if arr is None or arr.dtype.kind not in "biuf" or arr.dtype == np.bool_:
        raise TypeError(f"{caller}(): parameter {name!r} must be a real number or a 1-D array "
                        f"of them, not {type(value).__name__}")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, nchan)):
        raise ValueError(f"{caller}(): parameter {name!r} must be a scalar or have length 1 or "
                         f"{nchan} (the channels, axis 1 of x), got shape {arr.shape}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(f"{caller}(): parameter {name!r} contains NaN")
    return np.ascontiguousarray(np.broadcast_to(arr.astype(cdt).reshape(-1), (nchan,))), arr


cdef class ChannelActivation(StructuredActivation):
    """A function with per-channel learnable parameters (channel axis 1, as in PyTorch).

    f(x, out=None, **params)                 params: scalars or 1-D arrays, one per channel
    f.inplace(x, **params)                   f(x) written into x; returns x
    f.grad(x, out=None, **params)            d f / d x
    f.backward(g, x=x, out=None, param_grads=False, **params)
        g * f'(x); with param_grads=True the tuple (g * f'(x), {name: gradient}) with each
        parameter's gradient shaped like that parameter (a sum over all but the channel axis,
        reduced inside the same pass)
    """

    cdef _resolve(self, dict given, shape, cdt, str caller):
        for key in given:
            if key not in self.spec.param_names:
                raise TypeError(f"{caller}() got an unexpected keyword argument {key!r} "
                                f"(parameters: {', '.join(self.spec.param_names)})")
        _, nchan = _channel_dims(shape)
        arrays, originals = [], []
        for p in self.spec.params:
            if p.name in given:
                v = given[p.name]
            elif p.default is REQUIRED:
                raise TypeError(f"{caller}() missing required keyword argument {p.name!r}")
            else:
                v = p.default
            a, orig = _channel_param(v, p.name, nchan, cdt, caller)
            arrays.append(a)
            originals.append(orig)
        # (the given values: with zero channels the per-channel arrays are empty)
        if self.name == "mpelu" and (np.asarray(originals[1]) < 0).any():
            raise ValueError(f"{caller}(): parameter 'beta' must be >= 0")
        return arrays, originals

    cdef _apply(self, int mode, x, g, out, dict params, str caller, bint param_grads=False):
        aname = "x"
        xa = _dtypes.as_input(x, aname)
        rdt = _dtypes.result_dtype(xa.dtype)
        shape = xa.shape
        if g is not None:
            ga = _dtypes.as_input(g, "g")
            rdt = np.result_type(rdt, _dtypes.result_dtype(ga.dtype))
            try:
                shape = np.broadcast_shapes(xa.shape, ga.shape)
            except ValueError:
                raise ValueError(f"{caller}: g with shape {ga.shape} and x with shape "
                                 f"{xa.shape} cannot be broadcast together") from None
        cdt = _dtypes.compute_dtype(rdt)
        if g is not None and shape != xa.shape:
            raise ValueError(f"{caller}: g with shape {ga.shape} would broadcast x of shape "
                             f"{xa.shape}; the parameter gradients need x's shape")
        ws, originals = self._resolve(params, shape, cdt, caller)
        if out is not None:
            _check_out(caller, out, shape, rdt)
        xa, perm = _prepared(xa, cdt)
        ax, nchan = _channel_dims(shape)
        dims = _view3(shape, perm, (ax,)) if ax is not None else (1, 1, xa.size)
        if ax is not None and shape[ax] == 1:
            dims = (1, 1, xa.size)
        gc = None
        if g is not None:
            gc = ga.astype(cdt, copy=False)
            if gc.shape != shape:
                gc = np.broadcast_to(gc, shape)
            if gc.strides != xa.strides or not gc.flags.aligned or not gc.dtype.isnative:
                gc = _empty_in_order(shape, perm, cdt)
                np.copyto(gc, np.broadcast_to(ga, shape), casting="unsafe")
        if _usable_out(out, xa, cdt) and (gc is None or not np.may_share_memory(out, gc)
                                          or _aliases_exactly(out, gc)):
            target = out
        else:
            target = _empty_in_order(shape, perm, cdt)
        dws = [np.zeros(nchan) for _ in ws] if param_grads else [None, None]
        self._run(mode, xa, gc, target, dims, ws[0], ws[1] if len(ws) > 1 else None,
                  dws[0], dws[1] if len(dws) > 1 else None)
        res = _finish(target, out, rdt)
        if not param_grads:
            return res
        grads = {}
        for p, dw, orig in zip(self.spec.params, dws, originals):
            if orig.ndim == 0:
                grads[p.name] = rdt.type(dw.sum())
            elif orig.size == 1 and nchan != 1:
                grads[p.name] = np.array([dw.sum()], dtype=rdt)
            else:
                grads[p.name] = dw.astype(rdt)
        return res, grads

    cdef object _lazy(self, str method, tuple arrays, dict params):
        """A lazy dask array when an operand is one: blocks hold every channel (axis 1)."""
        return _dask.along_axis(_dask.channel_method, arrays,
                                1 if getattr(arrays[len(arrays) - 1], "ndim", 0) >= 2 else 0,
                                f=self, method=method, params=params,
                                dtype=_dask.result_dtype(arrays))

    def __call__(self, x, out=None, **params):
        if out is None and _dask.is_dask(x):
            return self._lazy("__call__", (x,), params)
        return self._apply(FA_FORWARD, x, None, out, params, self.name)

    def inplace(self, x, **params):
        """Compute f(x) into x (a writable float ndarray) and return x."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self.name}.inplace: x must be a numpy.ndarray, "
                            f"not {type(x).__name__}")
        if x.dtype.kind != "f":
            raise TypeError(f"{self.name}.inplace: x must have a float dtype to hold the "
                            f"result, not {x.dtype}")
        return self(x, out=x, **params)

    def grad(self, x, out=None, **params):
        """d f / d x as an array."""
        if out is None and _dask.is_dask(x):
            return self._lazy("grad", (x,), params)
        return self._apply(FA_GRAD, x, None, out, params, self.name + ".grad")

    def backward(self, g, x=None, *, out=None, param_grads=False, **params):
        """g * f'(x) in one pass; with param_grads=True, (that, {param: gradient})."""
        caller = self.name + ".backward"
        if x is None:
            raise TypeError(f"{caller}() needs x=")
        if g is None:
            raise TypeError(f"{caller}(): g must be array_like, not None")
        if out is None and not param_grads and (_dask.is_dask(x) or _dask.is_dask(g)):
            return self._lazy("backward", (g, x), params)
        return self._apply(FA_BACKWARD, x, g, out, params, caller, bool(param_grads))

    def reference(self, x, **params):
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        r = getattr(_sref, self.name)(xa.astype(_dtypes.compute_dtype(rdt)), **params)
        return r.astype(rdt)

    def reference_grad(self, x, **params):
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        r = getattr(_sref, self.name + "_grad")(xa.astype(_dtypes.compute_dtype(rdt)), **params)
        return r.astype(rdt)

    def reference_backward(self, g, x, **params):
        """(g * f'(x), {param: gradient}) by the pure-NumPy reference."""
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        cdt = _dtypes.compute_dtype(rdt)
        gx, grads = getattr(_sref, self.name + "_backward")(np.asarray(g, cdt), xa.astype(cdt),
                                                             **params)
        return gx.astype(rdt), grads


# ------------------------------------------------------------------ rrelu

def _stream_key(generator):
    """The 64-bit key of rrelu's random stream from a numpy.random.Generator (one draw), a
    seed (int or SeedSequence) or None (fresh OS entropy)."""
    if isinstance(generator, np.random.Generator):
        return int(generator.integers(0, 2**64, dtype=np.uint64))
    if generator is None or isinstance(generator, (int, np.integer, np.random.SeedSequence)):
        if isinstance(generator, (bool, np.bool_)):
            raise TypeError("rrelu(): generator must be a numpy.random.Generator, an int seed "
                            "or None, not bool")
        if isinstance(generator, (int, np.integer)) and generator < 0:
            raise ValueError("rrelu(): a seed must be >= 0")
        ss = generator if isinstance(generator, np.random.SeedSequence) else \
            np.random.SeedSequence(None if generator is None else int(generator))
        lo, hi = (int(v) for v in ss.generate_state(2, np.uint32))
        return lo | (hi << 32)
    raise TypeError(f"rrelu(): generator must be a numpy.random.Generator, an int seed or "
                    f"None, not {type(generator).__name__}")


cdef class RandomActivation(StructuredActivation):
    """rrelu: leaky ReLU with a random slope per element in training.

    f(x, out=None, *, lower=1/8, upper=1/3, training=False, generator=None, slopes=None)
        training=True draws one slope per element from U(lower, upper): a counter-based stream
        keyed by `generator` (a numpy.random.Generator, one draw of which makes the key; an int
        seed; or None for fresh entropy).  The same key gives the same slopes for any thread
        count and layout.  `slopes=`, an array of x's shape, receives the drawn slopes for
        backward; one of a narrower float dtype holds them rounded, and the forward pass then
        uses them as rounded (so backward(slopes=) matches it).  training=False is leaky_relu
        with slope (lower + upper) / 2.
    f.grad(x, out=None, *, slopes=None, lower=..., upper=...)
    f.backward(g, x=x, out=None, *, slopes=None, lower=..., upper=..., training=False)
        g * f'(x) with the slopes of the forward pass (required when training=True)
    """

    cdef tuple _bounds(self, dict given, str caller):
        for key in given:
            if key not in ("lower", "upper"):
                raise TypeError(f"{caller}() got an unexpected keyword argument {key!r} "
                                f"(parameters: lower, upper, training, generator, slopes)")
        vals = []
        for p in self.spec.params:
            v = given.get(p.name, p.default)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
                raise TypeError(f"{caller}(): parameter {p.name!r} must be a real number, "
                                f"not {type(v).__name__}")
            v = float(v)
            if v != v:
                raise ValueError(f"{caller}(): parameter {p.name!r} is NaN")
            vals.append(v)
        if not vals[0] <= vals[1]:
            raise ValueError(f"{caller}(): lower must be less than or equal to upper "
                             f"(got lower={vals[0]!r}, upper={vals[1]!r})")
        return tuple(vals)

    cdef _apply(self, int mode, x, g, out, slopes, bint training, generator, dict params,
                str caller):
        lower, upper = self._bounds(params, caller)
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        shape = xa.shape
        if g is not None:
            ga = _dtypes.as_input(g, "g")
            rdt = np.result_type(rdt, _dtypes.result_dtype(ga.dtype))
            try:
                shape = np.broadcast_shapes(xa.shape, ga.shape)
            except ValueError:
                raise ValueError(f"{caller}: g with shape {ga.shape} and x with shape "
                                 f"{xa.shape} cannot be broadcast together") from None
        cdt = _dtypes.compute_dtype(rdt)
        if out is not None:
            _check_out(caller, out, shape, rdt)
        sl = None
        if slopes is not None:
            if not isinstance(slopes, np.ndarray):
                raise TypeError(f"{caller}: slopes must be a numpy.ndarray, "
                                f"not {type(slopes).__name__}")
            if slopes.shape != shape:
                raise ValueError(f"{caller}: slopes has shape {slopes.shape}, x has {shape}")
            if slopes.dtype.kind != "f":
                raise TypeError(f"{caller}: slopes must have a float dtype, not {slopes.dtype}")
            if mode == FA_FORWARD:
                if not training:
                    raise ValueError(f"{caller}: slopes= receives the slopes drawn in training; "
                                     f"pass training=True")
                if not slopes.flags.writeable:
                    raise ValueError(f"{caller}: slopes is read-only")
            else:
                sl = np.require(np.broadcast_to(slopes, shape), cdt, "CA")
        elif mode != FA_FORWARD and training:
            raise ValueError(f"{caller}: in training the gradient needs the slopes of the "
                             f"forward pass (slopes=)")
        # the element index keys the random stream: C order whatever the layout
        xc = np.require(np.broadcast_to(xa, shape), cdt, "CA")  # C order, aligned
        gc = None if g is None else np.require(np.broadcast_to(ga, shape), cdt, "CA")
        key = _stream_key(generator) if (mode == FA_FORWARD and training) else 0
        if out is not None and out.dtype == cdt and out.flags.c_contiguous and \
                out.flags.aligned and out.dtype.isnative and \
                all(not np.may_share_memory(out, v) or _aliases_exactly(out, v)
                    for v in (xc, gc) if v is not None):
            target = out
        else:
            target = np.empty(shape, cdt)
        aux = None
        narrow = False  # slopes= rounds the drawn slopes: y must use them as stored
        if mode == FA_FORWARD and slopes is not None:
            narrow = not np.can_cast(cdt, slopes.dtype, casting="safe")
            if slopes.dtype == cdt and slopes.flags.c_contiguous and slopes.flags.aligned \
                    and slopes.dtype.isnative and not any(
                        np.may_share_memory(slopes, v) for v in (xc, target)):
                aux = slopes
            else:
                aux = np.empty(shape, cdt)
        dims = (1, 1, xc.size)
        self._run(mode, xc, gc, np.empty(shape, cdt) if narrow else target, dims, sl, None,
                  None, None, aux, lower, upper, <uint64_t>key, training)
        if aux is not None and aux is not slopes:
            np.copyto(slopes, aux, casting="unsafe")
        if narrow:
            # y from the rounded slopes, so that backward(slopes=) and the forward agree:
            # x * f'(x) is x if x >= 0 else a x, by the same rounding as the forward kernel
            self._run(FA_BACKWARD, xc, xc, target, dims, np.require(slopes, cdt, "CA"),
                      None, None, None, None, lower, upper)
        return _finish(target, out, rdt)

    def __call__(self, x, out=None, *, training=False, generator=None, slopes=None, **params):
        return self._apply(FA_FORWARD, x, None, out, slopes, bool(training), generator, params,
                           self.name)

    def inplace(self, x, *, training=False, generator=None, slopes=None, **params):
        """Compute f(x) into x (a writable float ndarray) and return x."""
        if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
            raise TypeError(f"{self.name}.inplace: x must be a float numpy.ndarray")
        return self(x, out=x, training=training, generator=generator, slopes=slopes, **params)

    def grad(self, x, out=None, *, slopes=None, training=False, **params):
        """f'(x): 1 for x >= 0, else the slope (the forward pass's `slopes`, or the eval one)."""
        return self._apply(FA_GRAD, x, None, out, slopes, bool(training), None, params,
                           self.name + ".grad")

    def backward(self, g, x=None, *, out=None, slopes=None, training=False, **params):
        """g * f'(x), with the forward pass's slopes when it ran in training."""
        caller = self.name + ".backward"
        if x is None:
            raise TypeError(f"{caller}() needs x=")
        if g is None:
            raise TypeError(f"{caller}(): g must be array_like, not None")
        return self._apply(FA_BACKWARD, x, g, out, slopes, bool(training), None, params, caller)

    def reference(self, x, *, slopes=None, **params):
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        lower, upper = self._bounds(params, "reference.rrelu")
        return _sref.rrelu(xa.astype(_dtypes.compute_dtype(rdt)), lower, upper,
                           slopes).astype(rdt)

    def reference_grad(self, x, *, slopes=None, **params):
        xa = _dtypes.as_input(x, "x")
        rdt = _dtypes.result_dtype(xa.dtype)
        lower, upper = self._bounds(params, "reference.rrelu_grad")
        return _sref.rrelu_grad(xa.astype(_dtypes.compute_dtype(rdt)), lower, upper,
                                slopes).astype(rdt)


STRUCTURED_CLASSES = {"axis": AxisActivation, "halves": HalvesActivation,
                      "channel": ChannelActivation, "random": RandomActivation}
