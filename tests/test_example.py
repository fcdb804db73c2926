"""examples/mlp_digits.py, short: fastact and pure NumPy train the same MLP to the same
accuracy (scikit-learn's bundled digits; skipped when scikit-learn is not installed)."""
import importlib.util
import pathlib

import pytest

pytest.importorskip("sklearn")
PATH = pathlib.Path(__file__).resolve().parent.parent / "examples" / "mlp_digits.py"


def _example():
    spec = importlib.util.spec_from_file_location("mlp_digits", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mlp_digits_short(activation, capsys, threads):
    results = _example().main(["--activation", activation, "--epochs", "3", "--hidden", "32"])
    (acc_fa, t_fa), (acc_np, t_np) = results["fastact"], results["numpy"]
    assert acc_fa > 0.85 and acc_np > 0.85
    assert abs(acc_fa - acc_np) <= 0.01
    assert t_fa > 0 and t_np > 0
    out = capsys.readouterr().out
    assert "fastact  test accuracy" in out and "numpy    test accuracy" in out
