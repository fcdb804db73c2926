"""Lazy evaluation of fastact's non-ufunc functions on dask arrays.

Elementwise functions need none of this: their NumPy ufuncs dispatch through
``__array_ufunc__``, so ``fastact.gelu(dask_array)`` is already a lazy dask array.  Functions
that reduce along an axis (softmax and friends) or take array operands that broadcast against
the input (prelu's per-channel weight) call these helpers when ``is_dask(x)``::

    def softmax(x, axis=-1, out=None):
        if _dask.is_dask(x):
            return _dask.along_axis(softmax, (x,), axis)
        ...

dask is imported only when a dask array is passed.
"""


def is_dask(obj):
    """Whether `obj` is a dask array (checked without importing dask)."""
    return type(obj).__module__.startswith("dask.") and hasattr(obj, "map_blocks")


def result_dtype(arrays):
    """fastact's result dtype for these operands: floats kept, bool and integers float64."""
    import numpy as np

    dts = [a.dtype if a.dtype.kind == "f" else np.dtype(np.float64) for a in arrays]
    return np.result_type(*dts)


def axis_backward(g, a, axis, f, from_y):
    """Block function: an axis function's backward from y (from_y) or from x."""
    return f.backward(g, y=a, axis=axis) if from_y else f.backward(g, x=a, axis=axis)


def channel_method(*blocks, axis, f, method, params):
    """Block function: a per-channel function's method on blocks holding every channel."""
    del axis  # the blocks hold the whole channel axis; the method knows where it is
    if method == "backward":
        return f.backward(blocks[0], x=blocks[1], **params)
    return getattr(f, method)(blocks[0], **params)


def _meta(x, dtype):
    import numpy as np

    return np.empty((0,) * x.ndim, dtype=dtype or x.dtype)


def along_axis(func, arrays, axis, dtype=None, **kwargs):
    """func(*arrays, axis=axis, **kwargs), lazily, for a shape-preserving `func` that needs a
    whole axis at once.  The arrays (same shape; dask arrays or array_likes) are rechunked so
    that `axis` is a single chunk (an axis split across chunks is merged; the other axes keep
    the first array's chunks) and func maps over the blocks, one task per block."""
    import dask.array as da

    first = da.asarray(arrays[0])
    ax = axis % first.ndim if first.ndim else 0
    chunks = list(first.chunks)
    if first.ndim:
        chunks[ax] = (first.shape[ax],)
    blocks = [da.asarray(a).rechunk(tuple(chunks)) for a in arrays]
    return da.map_blocks(func, *blocks, axis=axis, dtype=dtype or first.dtype,
                         meta=_meta(first, dtype or first.dtype), **kwargs)


def with_operands(func, x, operands, dtype=None, **kwargs):
    """func(x, *operands, **kwargs), lazily, for an elementwise `func` whose operands broadcast
    against x (prelu's weight shaped to broadcast along the channel axis): each operand is
    broadcast to x's shape and chunks, so block i of x meets block i of every operand."""
    import dask.array as da

    x = da.asarray(x)
    ops = [da.broadcast_to(da.asarray(o), x.shape).rechunk(x.chunks) for o in operands]
    return da.map_blocks(func, x, *ops, dtype=dtype or x.dtype, meta=_meta(x, dtype or x.dtype),
                         **kwargs)
