"""Concurrency: many Python threads calling fastact at once, while others change the thread
count; a fork in the middle of it.  Results must equal the serial ones bit for bit (README,
"Threads").  `make tsan` runs this file with the extension built under ThreadSanitizer."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastact
from fastact import _core
from fastact._registry import SPECS

from conftest import params_for, same_bits

WORKERS = 8
CHANGERS = 2
ROUNDS = int(os.environ.get("FASTACT_CONCURRENCY_ROUNDS", "6"))


def _tasks():
    """(name, callable) pairs covering every function and method, on sizes below and above the
    GIL/parallel thresholds, C and strided layouts, out= and new arrays."""
    rng = np.random.default_rng(7)
    tasks = []
    for k, spec in enumerate(SPECS):
        f = fastact.get(spec.name)
        p = params_for(spec)
        for n, dt in ((50_000, np.float32), (3_000, np.float64), (70_001, np.float64)):
            x = (rng.standard_normal(n) * 5).astype(dt)
            g = rng.standard_normal(n).astype(dt)
            x.flags.writeable = g.flags.writeable = False
            tasks.append((f"{spec.name}({n})", lambda f=f, x=x, p=p: f(x, **p)))
            tasks.append((f"{spec.name}.grad({n})", lambda f=f, x=x, p=p: f.grad(x, **p)))
            tasks.append((f"{spec.name}.backward({n})",
                          lambda f=f, x=x, g=g, p=p: f.backward(g, x=x, **p)))
            tasks.append((f"{spec.name}(out=, {n})",
                          lambda f=f, x=x, p=p: f(x, out=np.empty_like(x), **p)))
            tasks.append((f"{spec.name} strided({n})", lambda f=f, x=x, p=p: f(x[::-3], **p)))
            if spec.from_y:
                tasks.append((f"{spec.name}.backward(y=, {n})",
                              lambda f=f, x=x, g=g, p=p: f.backward(g, y=x, **p)))
        if k % 3 == 0:
            x = (rng.standard_normal((300, 257)) * 4).astype(np.float32)
            tasks.append((f"{spec.name}.inplace 2-d",
                          lambda f=f, x=x, p=p: f.inplace(np.array(x, order="F"), **p)))
    return tasks


def test_threads_calling_while_others_change_set_num_threads(threads):
    tasks = _tasks()
    with np.errstate(all="ignore"):
        fastact.set_num_threads(1)
        serial = [np.array(call()) for _, call in tasks]
    fastact.set_num_threads(2)
    # low thresholds: small arrays use the pool and release the GIL too
    _core.set_thresholds(nogil_min=1024, parallel_min=4096)
    errors, stop = [], threading.Event()
    start = threading.Barrier(WORKERS + CHANGERS)

    def worker(w):
        start.wait()
        try:
            with np.errstate(all="ignore"):
                for r in range(ROUNDS):
                    for i in range(len(tasks)):
                        j = (i * 7 + w * 13 + r) % len(tasks)  # each thread its own order
                        got = tasks[j][1]()
                        if not same_bits(np.array(got), serial[j]):
                            errors.append(f"thread {w}: {tasks[j][0]} differs from the serial run")
        except BaseException as e:  # noqa: BLE001
            errors.append(f"thread {w}: {e!r}")

    def changer(c):
        start.wait()
        k = c
        while not stop.is_set():
            fastact.set_num_threads(1 + k % 4)
            k += 1
            stop.wait(0.0005)

    ws = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    cs = [threading.Thread(target=changer, args=(c,)) for c in range(CHANGERS)]
    for t in ws + cs:
        t.start()
    for t in ws:
        t.join(timeout=600)
    stop.set()
    for t in cs:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in ws + cs), "a thread hung"
    assert not errors, errors[:10]
    assert fastact.get_num_threads() in (1, 2, 3, 4)


def test_pool_used_concurrently_from_many_callers(threads):
    """Large calls from several threads at once (each call may or may not get the pool) all
    finish with exact results."""
    x = np.linspace(-30, 30, 200_003, dtype=np.float32)
    want = fastact.sigmoid(x)
    fastact.set_num_threads(3)
    outs = [np.empty_like(x) for _ in range(6)]
    bad = []

    def run(o):
        for _ in range(20):
            fastact.sigmoid(x, out=o)
            if not same_bits(o, want):
                bad.append(1)

    ts = [threading.Thread(target=run, args=(o,)) for o in outs]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in ts) and not bad


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.skipif("libtsan" in os.environ.get("LD_PRELOAD", ""),
                    reason="ThreadSanitizer does not support threads after a multi-threaded fork")
def test_fork_while_the_pool_is_busy():
    """A child forked while other threads are inside parallel calls gets a working pool (no
    lost lock, no waiting for workers that do not exist in the child)."""
    code = r"""
import os, sys, threading, numpy as np, fastact
fastact.set_num_threads(2)
x = np.linspace(-5, 5, 300_000)
want = fastact.tanh(x)
stop = threading.Event()
def busy():
    while not stop.is_set():
        fastact.tanh(x)
ts = [threading.Thread(target=busy) for _ in range(3)]
for t in ts: t.start()
for _ in range(20):
    pid = os.fork()
    if pid == 0:
        ok = all(np.array_equal(fastact.tanh(x), want) for _ in range(3))
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        print("child status", status); stop.set(); sys.exit(1)
stop.set()
for t in ts: t.join()
print("ok")
"""
    r = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), (r.stdout, r.stderr)
