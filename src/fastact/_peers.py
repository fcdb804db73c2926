"""The peers fastact is measured against: PyTorch (CPU), ONNX Runtime, OpenVINO, JAX (CPU) and
numexpr, each optional (skipped when not importable).

``call(peer, name, kind, x, g, y, params, threads)`` returns a zero-argument callable that
computes, with that peer, the forward f(x) (``kind="forward"``) or the backward g * f'(x)
(``kind="backward"``; torch's autograd kernels such as ``aten.threshold_backward`` and JAX's
``vjp``; the kernels that take the forward output, like ``aten.sigmoid_backward``, are the
``"backward_y"`` kind and get ``y``), with the output preallocated wherever the peer allows
(``out=`` / I/O binding).  ``None``: the peer has no such operation.  The bench checks every
result against fastact's reference and drops a peer whose float64 is computed in float32.
"""
from __future__ import annotations

import importlib
import os

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

PEERS = ("torch", "onnxruntime", "openvino", "jax", "numexpr")
_MODULES = {"torch": ("torch",), "onnxruntime": ("onnxruntime", "onnx"),
            "openvino": ("openvino",), "jax": ("jax",), "numexpr": ("numexpr",)}


def module(peer, threads=1):
    """The peer's main module; ImportError when it (or what it needs) is missing."""
    if peer == "jax" and "jax" not in importlib.sys.modules:
        # one XLA thread unless asked otherwise; must be set before jax is imported
        if threads == 1:
            os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                               "intra_op_parallelism_threads=1")
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    mods = [importlib.import_module(m) for m in _MODULES[peer]]
    if peer == "jax":
        mods[0].config.update("jax_enable_x64", True)
    return mods[0]


def version(peer):
    return getattr(module(peer), "__version__", "?")


# ------------------------------------------------------------------ PyTorch

def _torch_table(torch, p):
    A = torch.ops.aten
    s = p.get("negative_slope", 0.01)
    lam = p.get("lambd", 0.5)
    alpha = p.get("alpha", 1.0)
    approx = p.get("approximate", "none")
    omega = p.get("omega", 1.0)

    def scaled(t):
        return t if omega == 1.0 else t * omega

    fwd = {
        "identity": lambda t, o: o.copy_(t),
        "relu": lambda t, o: A.relu.out(t, out=o) if hasattr(A.relu, "out") else torch.relu(t),
        "relu6": lambda t, o: A.hardtanh.out(t, 0.0, 6.0, out=o),
        "leaky_relu": lambda t, o: A.leaky_relu.out(t, s, out=o),
        "hardtanh": lambda t, o: A.hardtanh.out(t, p["min_val"], p["max_val"], out=o),
        "hard_sigmoid": lambda t, o: A.hardsigmoid.out(t, out=o),
        "hardswish": lambda t, o: A.hardswish.out(t, out=o),
        "hardshrink": lambda t, o: A.hardshrink.out(t, lam, out=o),
        "softshrink": lambda t, o: A.softshrink.out(t, lam, out=o),
        "threshold": lambda t, o: A.threshold.out(t, p["threshold"], p["value"], out=o),
        "step": lambda t, o: A.heaviside.out(t, torch.tensor(p["at_zero"], dtype=t.dtype), out=o),
        "sigmoid": lambda t, o: A.sigmoid.out(t, out=o),
        "tanh": lambda t, o: A.tanh.out(t, out=o),
        "log_sigmoid": lambda t, o: A.log_sigmoid_forward.output(
            t, output=o, buffer=torch.empty(0, dtype=t.dtype)),
        "softsign": lambda t, o: torch.div(t, torch.abs(t).add_(1), out=o),
        "tanhshrink": lambda t, o: torch.sub(t, torch.tanh(t), out=o),
        "elu": lambda t, o: A.elu.out(t, alpha, 1, 1, out=o),
        "selu": lambda t, o: A.elu.out(t, SELU_ALPHA, SELU_SCALE, 1, out=o),
        "celu": lambda t, o: A.elu.out(t, alpha, 1, 1 / alpha, out=o),
        "softplus": lambda t, o: A.softplus.out(t, p.get("beta", 1.0), p.get("threshold", 20.0),
                                                out=o),
        "silu": (lambda t, o: A.silu.out(t, out=o)) if p.get("beta", 1.0) == 1.0 else None,
        "gelu": lambda t, o: A.gelu.out(t, approximate=approx, out=o),
        "mish": lambda t, o: A.mish.out(t, out=o),
        "exponential": lambda t, o: A.exp.out(t, out=o),
        "square": lambda t, o: torch.mul(t, t, out=o),
        "signed_square": lambda t, o: torch.mul(t, torch.abs(t), out=o),
        "sin": lambda t, o: A.sin.out(scaled(t), out=o),
        "cos": lambda t, o: A.cos.out(scaled(t), out=o),
        "softmax": lambda t, o: A._softmax.out(t, -1, False, out=o),
        "log_softmax": lambda t, o: A._log_softmax.out(t, -1, False, out=o),
    }
    # g * f'(x) by the kernel torch's autograd runs, fed what autograd saves (x)
    bwd = {
        "identity": lambda gt, t, o: o.copy_(gt),
        "relu": lambda gt, t, o: A.threshold_backward.grad_input(gt, t, 0.0, grad_input=o),
        "relu6": lambda gt, t, o: A.hardtanh_backward.grad_input(gt, t, 0.0, 6.0, grad_input=o),
        "leaky_relu": lambda gt, t, o: A.leaky_relu_backward.grad_input(gt, t, s, False,
                                                                        grad_input=o),
        "hardtanh": lambda gt, t, o: A.hardtanh_backward.grad_input(
            gt, t, p["min_val"], p["max_val"], grad_input=o),
        "hard_sigmoid": lambda gt, t, o: A.hardsigmoid_backward.grad_input(gt, t, grad_input=o),
        "hardswish": lambda gt, t, o: A.hardswish_backward.out(gt, t, out=o),
        "hardshrink": lambda gt, t, o: A.hardshrink_backward.grad_input(gt, t, lam,
                                                                        grad_input=o),
        "softshrink": lambda gt, t, o: A.softshrink_backward.grad_input(gt, t, lam,
                                                                        grad_input=o),
        "threshold": lambda gt, t, o: A.threshold_backward.grad_input(gt, t, p["threshold"],
                                                                      grad_input=o),
        "log_sigmoid": _torch_log_sigmoid_backward(torch),
        "elu": lambda gt, t, o: A.elu_backward.grad_input(gt, alpha, 1, 1, False, t,
                                                          grad_input=o),
        "selu": lambda gt, t, o: A.elu_backward.grad_input(gt, SELU_ALPHA, SELU_SCALE, 1, False,
                                                           t, grad_input=o),
        "celu": lambda gt, t, o: A.elu_backward.grad_input(gt, alpha, 1, 1 / alpha, False, t,
                                                           grad_input=o),
        "softplus": lambda gt, t, o: A.softplus_backward.grad_input(
            gt, t, p.get("beta", 1.0), p.get("threshold", 20.0), grad_input=o),
        "silu": (lambda gt, t, o: A.silu_backward.grad_input(gt, t, grad_input=o))
        if p.get("beta", 1.0) == 1.0 else None,
        "gelu": lambda gt, t, o: A.gelu_backward.grad_input(gt, t, approximate=approx,
                                                            grad_input=o),
        "mish": lambda gt, t, o: A.mish_backward(gt, t),
    }
    # the kernels autograd feeds the forward output y
    bwd_y = {
        "relu": lambda gt, yt, o: A.threshold_backward.grad_input(gt, yt, 0.0, grad_input=o),
        "sigmoid": lambda gt, yt, o: A.sigmoid_backward.grad_input(gt, yt, grad_input=o),
        "tanh": lambda gt, yt, o: A.tanh_backward.grad_input(gt, yt, grad_input=o),
        "elu": lambda gt, yt, o: A.elu_backward.grad_input(gt, alpha, 1, 1, True, yt,
                                                           grad_input=o),
        "exponential": lambda gt, yt, o: torch.mul(gt, yt, out=o),
    }
    return fwd, bwd, bwd_y


def _torch_log_sigmoid_backward(torch):
    buffers = {}

    def run(gt, t, o):
        key = id(t)
        if key not in buffers:  # the buffer autograd saves from the forward
            buffers[key] = torch.ops.aten.log_sigmoid_forward(t)[1]
        return torch.ops.aten.log_sigmoid_backward.grad_input(gt, t, buffers[key], grad_input=o)
    return run


def _torch_call(torch, name, kind, x, g, y, p, threads):
    torch.set_num_threads(threads)
    fwd, bwd, bwd_y = _torch_table(torch, p)
    t, o = torch.from_numpy(x), torch.from_numpy(np.empty_like(x))
    if kind == "forward":
        op = fwd.get(name)
        if op is None:
            return None

        def run():
            op(t, o)
            return o.numpy()
        return run
    gt = torch.from_numpy(g)
    if kind == "backward":
        op = bwd.get(name)
        return None if op is None else (lambda: _tensor_numpy(op(gt, t, o)))
    op = bwd_y.get(name)
    yt = torch.from_numpy(y)
    return None if op is None else (lambda: _tensor_numpy(op(gt, yt, o)))


def _tensor_numpy(t):
    return t.numpy()


# ------------------------------------------------------------------ ONNX Runtime

def _onnx_node(name, p):
    """(op, attributes, constant inputs, opset) of the one ONNX node computing `name`."""
    simple = {"identity": "Identity", "relu": "Relu", "hardswish": "HardSwish",
              "sigmoid": "Sigmoid", "tanh": "Tanh", "softsign": "Softsign", "exponential": "Exp",
              "mish": "Mish", "selu": "Selu"}
    if name in simple:
        attrs = {"alpha": SELU_ALPHA, "gamma": SELU_SCALE} if name == "selu" else {}
        return simple[name], attrs, [], 18
    if name in ("sin", "cos") and p.get("omega", 1.0) == 1.0:
        return name.capitalize(), {}, [], 18
    if name == "softplus" and p.get("beta", 1.0) == 1.0:
        return "Softplus", {}, [], 18
    return {
        "relu6": lambda: ("Clip", {}, [0.0, 6.0], 18),
        "hardtanh": lambda: ("Clip", {}, [p["min_val"], p["max_val"]], 18),
        "leaky_relu": lambda: ("LeakyRelu", {"alpha": p["negative_slope"]}, [], 18),
        "hard_sigmoid": lambda: ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}, [], 18),
        "hardshrink": lambda: ("Shrink", {"lambd": p["lambd"], "bias": 0.0}, [], 18),
        "softshrink": lambda: ("Shrink", {"lambd": p["lambd"], "bias": p["lambd"]}, [], 18),
        "elu": lambda: ("Elu", {"alpha": p.get("alpha", 1.0)}, [], 18),
        "celu": lambda: ("Celu", {"alpha": p.get("alpha", 1.0)}, [], 18),
        "gelu": lambda: ("Gelu", {"approximate": p.get("approximate", "none")}, [], 20),
        "softmax": lambda: ("Softmax", {"axis": -1}, [], 18),
        "log_softmax": lambda: ("LogSoftmax", {"axis": -1}, [], 18),
    }.get(name, lambda: None)()


def _onnxruntime_call(ort, name, kind, x, g, y, p, threads):
    node = _onnx_node(name, p) if kind == "forward" else None
    if node is None:
        return None
    from onnx import helper, numpy_helper

    op, attrs, consts, opset = node
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    inits = [numpy_helper.from_array(np.array(c, x.dtype), f"c{i}")
             for i, c in enumerate(consts)]
    graph = helper.make_graph(
        [helper.make_node(op, ["x"] + [c.name for c in inits], ["y"], **attrs)], name,
        [helper.make_tensor_value_info("x", elem, list(x.shape))],
        [helper.make_tensor_value_info("y", elem, list(x.shape))], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 9)  # what this onnxruntime reads
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.log_severity_level = 3
    # its default spin-waiting workers starve fastact's threads when the two are measured in
    # turn; without spinning onnxruntime itself is as fast here
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    o = np.empty_like(x)
    io = sess.io_binding()  # the output written into a preallocated array (out=)
    io.bind_cpu_input("x", x)
    io.bind_output("y", "cpu", 0, x.dtype, list(x.shape), o.ctypes.data)

    def run():
        sess.run_with_iobinding(io)
        return o
    return run


# ------------------------------------------------------------------ OpenVINO

def _openvino_node(ops, name, p, param, dtype):
    def const(v):
        return ops.constant(np.array(v, dtype))

    omega = p.get("omega", 1.0)
    table = {
        "relu": lambda: ops.relu(param),
        "relu6": lambda: ops.clamp(param, 0.0, 6.0),
        "leaky_relu": lambda: ops.prelu(param, const([p["negative_slope"]])),
        "hardtanh": lambda: ops.clamp(param, p["min_val"], p["max_val"]),
        "hard_sigmoid": lambda: ops.hsigmoid(param),
        "hardswish": lambda: ops.hswish(param),
        "sigmoid": lambda: ops.sigmoid(param),
        "tanh": lambda: ops.tanh(param),
        "softsign": lambda: ops.softsign(param),
        "elu": lambda: ops.elu(param, p.get("alpha", 1.0)),
        "selu": lambda: ops.selu(param, const([SELU_ALPHA]), const([SELU_SCALE])),
        "softplus": (lambda: ops.softplus(param)) if p.get("beta", 1.0) == 1.0 else None,
        "silu": lambda: ops.swish(param, const(p.get("beta", 1.0))),
        "gelu": lambda: ops.gelu(param, "tanh" if p.get("approximate") == "tanh" else "erf"),
        "mish": lambda: ops.mish(param),
        "exponential": lambda: ops.exp(param),
        "square": lambda: ops.multiply(param, param),
        "signed_square": lambda: ops.multiply(param, ops.abs(param)),
        "sin": (lambda: ops.sin(param)) if omega == 1.0 else None,
        "cos": (lambda: ops.cos(param)) if omega == 1.0 else None,
        "softmax": lambda: ops.softmax(param, -1),
        "log_softmax": lambda: ops.log_softmax(param, -1),
    }
    make = table.get(name)
    return None if make is None else make()


def _openvino_call(ov, name, kind, x, g, y, p, threads):
    if kind != "forward":
        return None
    import openvino.opset13 as ops

    param = ops.parameter(list(x.shape), x.dtype, name="x")
    node = _openvino_node(ops, name, p, param, x.dtype)
    if node is None:
        return None
    model = ov.Model([node], [param], name)
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                      "NUM_STREAMS": 1})
    request = compiled.create_infer_request()
    o = np.empty_like(x)
    request.set_input_tensor(ov.Tensor(x, shared_memory=True))
    request.set_output_tensor(ov.Tensor(o, shared_memory=True))

    def run():
        request.infer()
        return o
    return run


# ------------------------------------------------------------------ JAX

def _jax_function(jax, name, p):
    jnp, nn = jax.numpy, jax.nn
    lam, omega = p.get("lambd", 0.5), p.get("omega", 1.0)
    table = {
        "relu": nn.relu, "relu6": nn.relu6,
        "leaky_relu": lambda x: nn.leaky_relu(x, p["negative_slope"]),
        "hardtanh": lambda x: jnp.clip(x, p["min_val"], p["max_val"]),
        "hard_sigmoid": nn.hard_sigmoid, "hardswish": nn.hard_swish,
        "hardshrink": lambda x: jnp.where(jnp.abs(x) > lam, x, 0),
        "softshrink": lambda x: jnp.where(x > lam, x - lam, jnp.where(x < -lam, x + lam, 0)),
        "threshold": lambda x: jnp.where(x > p["threshold"], x, p["value"]),
        "sigmoid": nn.sigmoid, "tanh": jnp.tanh, "log_sigmoid": nn.log_sigmoid,
        "softsign": nn.soft_sign, "tanhshrink": lambda x: x - jnp.tanh(x),
        "elu": lambda x: nn.elu(x, p.get("alpha", 1.0)), "selu": nn.selu,
        "celu": lambda x: nn.celu(x, p.get("alpha", 1.0)),
        "softplus": (nn.softplus if p.get("beta", 1.0) == 1.0 else None),
        "silu": lambda x: x * nn.sigmoid(p.get("beta", 1.0) * x),
        "gelu": lambda x: nn.gelu(x, approximate=p.get("approximate", "none") == "tanh"),
        "mish": getattr(nn, "mish", None),
        "exponential": jnp.exp, "square": jnp.square,
        "signed_square": lambda x: x * jnp.abs(x),
        "sin": lambda x: jnp.sin(omega * x), "cos": lambda x: jnp.cos(omega * x),
        "softmax": nn.softmax, "log_softmax": nn.log_softmax,
    }
    return table.get(name)


def _jax_call(jax, name, kind, x, g, y, p, threads):
    fn = _jax_function(jax, name, p)
    if fn is None or kind == "backward_y":
        return None
    xd = jax.device_put(x)
    if kind == "forward":
        f = jax.jit(fn)
        return lambda: f(xd).block_until_ready()
    gd = jax.device_put(g)
    b = jax.jit(lambda x, g: jax.vjp(fn, x)[1](g)[0])
    return lambda: b(xd, gd).block_until_ready()


# ------------------------------------------------------------------ numexpr

_NUMEXPR = {  # float literals would promote float32 to float64: parameters are variables
    "identity": "x",
    "relu": "where(x > 0, x, 0)",
    "relu6": "where(x > 0, where(x < 6, x, 6), 0)",
    "leaky_relu": "where(x > 0, x, x * negative_slope)",
    "hardtanh": "where(x < min_val, min_val, where(x > max_val, max_val, x))",
    "hard_sigmoid": "where(x <= -3, 0, where(x >= 3, 1, (x + 3) / 6))",
    "hardswish": "where(x <= -3, 0, where(x >= 3, x, x * (x + 3) / 6))",
    "hardshrink": "where(abs(x) > lambd, x, 0)",
    "softshrink": "where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0))",
    "threshold": "where(x > threshold, x, value)",
    "step": "where(x > 0, 1, where(x < 0, 0, at_zero))",
    "sigmoid": "1 / (1 + exp(-x))",
    "tanh": "tanh(x)",
    "softsign": "x / (1 + abs(x))",
    "tanhshrink": "x - tanh(x)",
    "exponential": "exp(x)",
    "square": "x * x",
    "signed_square": "x * abs(x)",
}


def _numexpr_call(ne, name, kind, x, g, y, p, threads):
    if kind != "forward" or name not in _NUMEXPR:
        return None
    ne.set_num_threads(threads)
    o = np.empty_like(x)
    env = {"x": x, **{k: x.dtype.type(v) for k, v in p.items() if isinstance(v, float)}}
    expr = _NUMEXPR[name]
    return lambda: ne.evaluate(expr, local_dict=env, out=o)


_BUILDERS = {"torch": _torch_call, "onnxruntime": _onnxruntime_call, "openvino": _openvino_call,
             "jax": _jax_call, "numexpr": _numexpr_call}


def call(peer, name, kind, x, g, y, params, threads=1):
    """The peer's zero-argument callable for `kind` of function `name` (see the module doc),
    or None; ImportError when the peer is not installed."""
    return _BUILDERS[peer](module(peer, threads), name, kind, x, g, y, params, threads)


def agrees(got, want):
    """Whether a peer's result matches the reference (rtol 1e-3 in float32, 1e-6 in float64:
    peers round differently, some take float32 constants), and a float64 result was not
    computed in float32 (every value exactly a float32 where the reference's are not)."""
    got = np.asarray(got)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    rtol = 1e-3 if got.dtype == np.float32 else 1e-6
    with np.errstate(all="ignore"):
        if not np.allclose(got, want, rtol=rtol, atol=rtol * 1e-2):
            return False
        if got.dtype == np.float64:
            def in_f32(a):
                return bool(np.all(a.astype(np.float32) == a))
            if in_f32(got) and not in_f32(want):
                return False
    return True


