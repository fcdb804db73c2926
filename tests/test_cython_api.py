"""The Cython API: a small extension is compiled against the installed package in a temporary
directory (`cimport fastact`, no link against fastact) and calls every function and method on
typed memoryviews and raw pointers inside `prange` with the GIL released."""
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastact
from fastact._registry import SPECS

from conftest import params_for, same_bits

pytest.importorskip("Cython")

EXT = textwrap.dedent('''
    # cython: language_level=3, boundscheck=False, wraparound=False
    cimport fastact
    from cython.parallel cimport prange
    from libc.stdlib cimport malloc, free

    fastact.import_fastact()

    def function_id(str name):
        return fastact.function_id(name.encode())

    def views(str name, int mode, double[::1] x, double[::1] g, double[::1] out,
              double[::1] params, Py_ssize_t chunk):
        """mode over chunks of double memoryviews in prange; returns the worst return code."""
        cdef int fn = fastact.function_id(name.encode())
        cdef const double *p = &params[0] if params.shape[0] else NULL
        cdef Py_ssize_t n = x.shape[0], nchunks = (n + chunk - 1) // chunk, i, lo, hi
        cdef int worst = 0, rc
        for i in prange(nchunks, nogil=True, num_threads=2, schedule="static"):
            lo = i * chunk
            hi = min(lo + chunk, n)
            if mode == fastact.FORWARD:
                rc = fastact.forward(fn, x[lo:hi], out[lo:hi], p)
            elif mode == fastact.GRAD:
                rc = fastact.grad(fn, x[lo:hi], out[lo:hi], p)
            elif mode == fastact.BACKWARD:
                rc = fastact.backward(fn, g[lo:hi], x[lo:hi], out[lo:hi], p)
            else:
                rc = fastact.backward_from_y(fn, g[lo:hi], x[lo:hi], out[lo:hi], p)
            if rc != 0:
                worst = rc
        return worst

    def views32(str name, float[::1] x, float[::1] out):
        cdef int fn = fastact.function_id(name.encode())
        cdef int rc
        with nogil:
            rc = fastact.forward(fn, x, out)
        return rc

    def pointers(str name, int mode, int dtype, size_t n, size_t xaddr, size_t gaddr,
                 size_t oaddr, double[::1] params):
        cdef int fn = fastact.function_id(name.encode())
        cdef const double *p = &params[0] if params.shape[0] else NULL
        cdef int rc
        with nogil:
            rc = fastact.run(fn, mode, dtype, n, <const void *>xaddr, <const void *>gaddr,
                             <void *>oaddr, p)
        return rc
''')

SETUP = textwrap.dedent('''
    import sys
    from Cython.Build import cythonize
    from setuptools import Extension, setup
    omp = sys.argv.pop() == "openmp"
    flags = ["-fopenmp"] if omp else []
    setup(name="fa_capi_check", script_args=["build_ext", "--inplace", "-q"],
          ext_modules=cythonize([Extension("fa_capi_check", ["fa_capi_check.pyx"],
                                           extra_compile_args=flags + ["-O1"],
                                           extra_link_args=flags)],
                                include_path=[{include!r}], quiet=True))
''')


@pytest.fixture(scope="module")
def ext(tmp_path_factory):
    if shutil.which(os.environ.get("CC", "cc")) is None:
        pytest.skip("no C compiler")
    tmp = tmp_path_factory.mktemp("capi")
    (tmp / "fa_capi_check.pyx").write_text(EXT)
    (tmp / "setup.py").write_text(SETUP.format(include=fastact.get_include()))
    for mode in ("openmp", "serial"):  # prange runs serially without OpenMP
        r = subprocess.run([sys.executable, "setup.py", mode], cwd=tmp, capture_output=True, text=True)
        if r.returncode == 0:
            break
    assert r.returncode == 0, r.stderr[-3000:]
    so = next(p for p in tmp.iterdir() if p.name.startswith("fa_capi_check") and p.suffix in (".so", ".pyd"))
    spec = importlib.util.spec_from_file_location("fa_capi_check", so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_function_and_method_in_prange(ext):
    x = np.linspace(-8, 8, 10_001)
    g = np.linspace(2, -3, 10_001)
    for spec in SPECS:
        f = fastact.get(spec.name)
        p = params_for(spec)
        pv = np.array(spec.resolve(p, spec.name), dtype=np.float64)  # choices as their index
        want = {0: f(x, **p), 1: f.grad(x, **p), 2: f.backward(g, x=x, **p)}
        if spec.from_y:
            want[3] = f.backward(g, y=x, **p)
        for mode, w in want.items():
            out = np.full_like(x, 7.0)
            assert ext.views(spec.name, mode, x, g, out, pv, 1000) == 0, (spec.name, mode)
            assert same_bits(out, w), (spec.name, mode)
        if not spec.from_y:
            out = np.full_like(x, 7.0)
            assert ext.views(spec.name, 3, x, g, out, pv, 1000) == -1  # no kernel
            assert (out == 7.0).all()


def test_float32_views_defaults_and_errors(ext):
    x = np.linspace(-5, 5, 99, dtype=np.float32)
    out = np.empty_like(x)
    assert ext.views32("sigmoid", x, out) == 0 and same_bits(out, fastact.sigmoid(x))
    assert ext.views32("sigmoid", x, np.empty(98, np.float32)) == -3  # lengths differ
    out = np.full_like(x, 7.0)
    assert ext.views32("threshold", x, out) == -2 and (out == 7.0).all()  # required parameter
    bad = np.array([-1.0])
    assert ext.views("softshrink", 0, x.astype(np.float64), x.astype(np.float64),
                     np.empty(99), bad, 10) == -2  # lambd < 0
    assert ext.function_id("nope") == -1 and ext.function_id("tanh") >= 0


@pytest.mark.parametrize("dtype, code", [(np.float32, 0), (np.float64, 1), (np.float16, 2)])
def test_raw_pointers(ext, dtype, code):
    x = np.linspace(-6, 6, 1001).astype(dtype)
    g = np.linspace(1, -1, 1001).astype(dtype)
    out = np.empty_like(x)
    none = np.empty(0)
    assert ext.pointers("tanh", 2, code, x.size, x.ctypes.data, g.ctypes.data, out.ctypes.data, none) == 0
    assert same_bits(out, fastact.tanh.backward(g, x=x))
    pv = np.array([0.2])
    assert ext.pointers("leaky_relu", 0, code, x.size, x.ctypes.data, 0, out.ctypes.data, pv) == 0
    assert same_bits(out, fastact.leaky_relu(x, negative_slope=0.2))
