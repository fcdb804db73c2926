# fastact's C API for Cython: `cimport fastact` in another extension and call every
# elementwise function and method on typed memoryviews or raw pointers, with no Python object
# involved and the GIL released.
#
#     cimport fastact
#     fastact.import_fastact()                      # once, with the GIL (module init)
#     cdef int SIGMOID = fastact.function_id(b"sigmoid")
#     ...
#     with nogil:
#         fastact.forward(SIGMOID, x, out)                     # float[::1] or double[::1]
#         fastact.backward(SIGMOID, g, x, out)                 # g * f'(x)
#         fastact.run(SIGMOID, fastact.FORWARD, fastact.F32, n, px, NULL, pout, NULL)
#
# The entry points come from a capsule (fastact._core._C_API, like scipy.special's
# cython_special or NumPy's C-API table), so the extension needs no link against fastact and no
# include directory.  Every call runs on the calling thread (call it from prange to go
# parallel); parameters are `const double *` in registry order (fastact.get(name).params), or
# NULL for the defaults.  Return value: 0, or FA_ERR_NO_KERNEL (-1: no such function, mode or
# dtype, e.g. backward_from_y of a function without it), FA_ERR_PARAMS (-2: a parameter is NaN
# or breaks its rule, or NULL for a function with a required parameter), FA_ERR_SHAPE (-3:
# memoryviews of different lengths); on an error nothing is written.
cimport cython
from cython cimport floating

cdef extern from *:
    """
    /* Must match fa_c_api in fastact's csrc/fa_api.h (version and size are checked). */
    typedef struct fastact_c_api {
        int version;
        int struct_size;
        int num_functions, num_modes, num_dtypes, max_params;
        int (*function_id)(const char *name);
        const char *(*function_name)(int fn);
        int (*nparams)(int fn);
        int (*run)(int fn, int mode, int dtype, size_t n, const void *x, const void *g,
                   void *out, const double *params);
    } fastact_c_api;

    static const fastact_c_api *fastact_api = NULL;

    static int fastact_import(void)
    {
        PyObject *pkg;
        const fastact_c_api *api;
        if (fastact_api != NULL) return 0;
        pkg = PyImport_ImportModule("fastact"); /* registers every function's metadata */
        if (pkg == NULL) return -1;
        Py_DECREF(pkg);
        api = (const fastact_c_api *)PyCapsule_Import("fastact._core._C_API", 0);
        if (api == NULL) return -1;
        if (api->version != 1 || api->struct_size != (int)sizeof(fastact_c_api)) {
            PyErr_SetString(PyExc_ImportError,
                            "fastact: this extension was compiled against another version of "
                            "fastact's C API; rebuild it");
            return -1;
        }
        fastact_api = api;
        return 0;
    }

    static int fastact_function_id(const char *name) { return fastact_api->function_id(name); }
    static const char *fastact_function_name(int fn) { return fastact_api->function_name(fn); }
    static int fastact_nparams(int fn) { return fastact_api->nparams(fn); }
    static int fastact_num_functions(void) { return fastact_api->num_functions; }
    static int fastact_run(int fn, int mode, int dtype, size_t n, const void *x, const void *g,
                           void *out, const double *params)
    {
        return fastact_api->run(fn, mode, dtype, n, x, g, out, params);
    }
    """
    int fastact_import() except -1
    int function_id "fastact_function_id"(const char *name) noexcept nogil
    const char *function_name "fastact_function_name"(int fn) noexcept nogil
    int nparams "fastact_nparams"(int fn) noexcept nogil
    int num_functions "fastact_num_functions"() noexcept nogil
    int run "fastact_run"(int fn, int mode, int dtype, size_t n, const void *x, const void *g,
                          void *out, const double *params) noexcept nogil

# modes
cdef enum:
    FORWARD = 0
    GRAD = 1
    BACKWARD = 2
    BACKWARD_FROM_Y = 3

# dtypes (F16 and BF16 take uint16 storage)
cdef enum:
    F32 = 0
    F64 = 1
    F16 = 2
    BF16 = 3

# return codes
cdef enum:
    FA_OK = 0
    FA_ERR_NO_KERNEL = -1
    FA_ERR_PARAMS = -2
    FA_ERR_SHAPE = -3


cdef inline int import_fastact() except -1:
    """Load the C API (with the GIL, once per extension module, e.g. at module level)."""
    return fastact_import()


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline int _run_views(int fn, int mode, floating[::1] x, floating[::1] g, bint with_g,
                           floating[::1] out, const double *params) noexcept nogil:
    cdef Py_ssize_t n = x.shape[0]
    if out.shape[0] != n or (with_g and g.shape[0] != n):
        return FA_ERR_SHAPE
    if n == 0:
        return run(fn, mode, F32 if floating is float else F64, 0, NULL, NULL, NULL, params)
    return run(fn, mode, F32 if floating is float else F64, <size_t>n, &x[0],
               &g[0] if with_g else NULL, &out[0], params)


cdef inline int forward(int fn, floating[::1] x, floating[::1] out,
                        const double *params=NULL) noexcept nogil:
    """out = f(x)  (out may be x)."""
    return _run_views(fn, FORWARD, x, x, False, out, params)


cdef inline int grad(int fn, floating[::1] x, floating[::1] out,
                     const double *params=NULL) noexcept nogil:
    """out = f'(x)."""
    return _run_views(fn, GRAD, x, x, False, out, params)


cdef inline int backward(int fn, floating[::1] g, floating[::1] x, floating[::1] out,
                         const double *params=NULL) noexcept nogil:
    """out = g * f'(x) (out may be g or x)."""
    return _run_views(fn, BACKWARD, x, g, True, out, params)


cdef inline int backward_from_y(int fn, floating[::1] g, floating[::1] y, floating[::1] out,
                                const double *params=NULL) noexcept nogil:
    """out = g * f'(x) from y = f(x), for functions with from_y (else FA_ERR_NO_KERNEL)."""
    return _run_views(fn, BACKWARD_FROM_Y, y, g, True, out, params)
