"""The textbook side: `python -m fastact info`, `plot`, `docs --choosing` and the files they
generate (docs/choosing.md must equal the generator's output)."""
import pathlib

import pytest

import fastact
from fastact import _catalogue, _plot
from fastact.__main__ import main

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", fastact.functions())
def test_info_card(name, capsys):
    assert main(["info", name]) == 0
    text = capsys.readouterr().out
    f = fastact.get(name)
    assert text.startswith(name)
    for needle in (f.spec.formula, f.spec.derivative, f.info.range, f.info.monotonic,
                   f.info.smoothness, f.info.when, "* f(x)"):
        assert needle in text, needle
    plot_rows = [ln for ln in text.splitlines() if "*" in ln and "f(x)" not in ln]
    assert len(plot_rows) >= 2  # the curve spans several rows of the text plot


def test_info_unknown_name():
    with pytest.raises(SystemExit, match="no function 'nope'"):
        main(["info", "nope"])


def test_terminal_plot_marks_kinks():
    lines = _plot.terminal("relu6")
    marks = lines[-3][8:]
    assert [i for i, c in enumerate(marks) if c == "^"] == [30, 60]  # kinks at 0 and 6
    assert any("*" in ln for ln in lines)


def test_choosing_md_is_generated():
    """docs/choosing.md is the output of `python -m fastact docs --choosing`."""
    path = ROOT / "docs" / "choosing.md"
    assert path.read_text() == _catalogue.choosing_markdown(), \
        "regenerate: python -m fastact docs --choosing > docs/choosing.md"
    text = path.read_text()
    for topic in ("vanishing", "dead unit", "self-normalising", "transformers", "softmax"):
        assert topic in text


def test_plot_writes_an_image(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "g.png"
    assert main(["plot", "relu", "sigmoid", "hardswish", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_curves_blank_jumps_only():
    x, y, d, kinks, _ = _plot.curves("step")
    assert kinks == (0.0,)
    bx, by = _plot._broken(x, y, kinks)
    assert (by != by).sum() == 1  # f jumps at 0: blanked there only
    _, bd = _plot._broken(x, _plot.curves("sigmoid")[2], ())
    assert not (bd != bd).any()
