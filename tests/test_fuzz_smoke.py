"""The fuzz harness (tools/fuzz.py) on a few thousand random inputs without coverage guidance:
keeps the decoder and the oracle working in CI; `make fuzz SECONDS=N` is the real run."""
import pathlib
import sys

import numpy as np
import pytest

import fastact

TOOLS = pathlib.Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="module")
def fuzz():
    if not (TOOLS / "fuzz.py").is_file():
        pytest.skip("tools/fuzz.py not next to the tests (installed package)")
    sys.path.insert(0, str(TOOLS))
    try:
        import fuzz as harness
    finally:
        sys.path.remove(str(TOOLS))
    return harness


@pytest.mark.xfail(reason="open finding: cos.inplace with omega ~3.5 on a float16 strided "
                   "subclass view, 3 threads, is off by 3e7 ulp (under investigation)")
def test_random_inputs_meet_the_oracle(fuzz, threads):
    before = fastact._core.get_isa()
    try:
        ok, refused, found = fuzz.random_run(3000, seed=20261124, fastact=fastact)
    finally:
        fastact._core.set_isa(before)
    assert found == 0
    assert ok > 500 and refused > 500  # both verdicts are exercised


def test_oracle_catches_a_write_on_refusal(fuzz, monkeypatch):
    """A refused call that wrote into out is reported (the oracle can fail)."""
    data = bytes(range(7, 200))
    case = fuzz.Case(fuzz.Bytes(data), fastact)
    case.out = np.zeros(3)
    case.x = np.ones(3) * 1j  # refused: complex

    def call():
        case.out[0] = 1.0
        raise TypeError("refused")

    monkeypatch.setattr(case, "call", call)
    with pytest.raises(fuzz.Finding, match="wrote into out"):
        fuzz.check(case, fastact)


def test_int_parameter_beyond_float_range_is_a_value_error():
    """Fuzz finding 1: 10**400 as a parameter raised OverflowError (from float() in the
    registry and from the C conversion on the fast path)."""
    o = np.full(3, 7.0)
    for call in (lambda: fastact.leaky_relu(np.ones(3), out=o, negative_slope=10 ** 400),
                 lambda: fastact.hardtanh.grad(np.ones(3), out=o, max_val=-(10 ** 309)),
                 lambda: fastact.threshold.backward(np.ones(3), x=np.ones(3), out=o,
                                                    threshold=0.0, value=10 ** 400),
                 lambda: fastact.leaky_relu.reference(np.ones(3), negative_slope=10 ** 400)):
        with pytest.raises(ValueError, match="too large for a float"):
            call()
    assert (o == 7.0).all()
    # ints a double holds exactly, or rounds, are accepted on every path
    assert fastact.leaky_relu(np.array([-1.0]), negative_slope=2 ** 60)[0] == -(2.0 ** 60)
    assert fastact.leaky_relu(np.array([-1.0]), negative_slope=2 ** 53 + 1)[0] == -(2.0 ** 53)
