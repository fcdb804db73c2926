"""Pictures of the functions: the gallery (`python -m fastact plot`) and the terminal plot of
`python -m fastact info NAME`.  Both evaluate fastact itself (f and f.grad) at the catalogue's
parameters, on [-6, 6], and mark the kinks the catalogue lists."""
from __future__ import annotations

import numpy as np

LO, HI = -6.0, 6.0


def curves(name, n=1201):
    """(x, f(x), f'(x), kinks, label) of function `name` on [-6, 6], evaluated by fastact.
    Functions along an axis are shown on two-element rows: softmax([x, 0])[0] and the like,
    glu([x, x]) = x sigmoid(x); their derivative is a central difference."""
    import fastact
    from . import _catalogue

    f = fastact.get(name)
    prop = _catalogue.CATALOGUE.get(f.name)
    p = _catalogue.params_for(f.name, f.spec) if prop else {}
    x = np.linspace(LO, HI, n)
    kinks = tuple(k for k in (prop.kinks if prop else ()) if LO <= k <= HI)
    if prop is None or prop.elementwise:
        x = np.unique(np.concatenate([x, kinks]))  # each kink on the grid, so it is exact
        return x, f(x, **p), f.grad(x, **p), kinks, f.name
    pair = np.stack([x, x], -1) if f.name == "glu" else np.stack([x, np.zeros_like(x)], -1)
    y = np.asarray(f(pair, **p))[..., 0]
    label = f"{f.name}([x, x])" if f.name == "glu" else f"{f.name}([x, 0])[0]"
    return x, y, np.gradient(y, x), kinks, label


def _broken(x, y, kinks):
    """(x, y) with y blanked (NaN) at each kink where y jumps, so that a line plot does not
    join the two sides of a discontinuity (the kink's own value is marked separately)."""
    y = np.array(y, dtype=float)
    scale = np.nanmax(np.abs(y[np.isfinite(y)])) if np.isfinite(y).any() else 1.0
    for k in kinks:
        i = int(np.searchsorted(x, k))
        if i < len(x) and x[i] == k and len(x) > 2:
            left, right = y[max(i - 1, 0)], y[min(i + 1, len(x) - 1)]
            if i in (0, len(x) - 1):  # a kink at the edge: compare with its one neighbour
                left = right = y[1] if i == 0 else y[-2]
                right = y[i] if i else left
            if abs(right - left) > 0.05 * scale + 1e-9:
                y[i] = np.nan
    return x, y


def gallery(names, path, columns=None):
    """Draw every function in `names` with its derivative on [-6, 6] in a grid, kinks marked,
    into `path` (PNG, SVG, PDF: by its extension).  Needs matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("plot needs matplotlib, which is not installed: pip install matplotlib")
    cols = columns or min(5, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.5 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        x, y, d, kinks, label = curves(name)
        with np.errstate(all="ignore"):
            lim = np.nanmax(np.abs(np.concatenate([y[np.isfinite(y)], d[np.isfinite(d)]])))
        ax.axhline(0, color="0.7", lw=0.6)
        ax.axvline(0, color="0.7", lw=0.6)
        ax.plot(*_broken(x, y, kinks), color="C0", lw=1.8, label="f(x)")
        ax.plot(*_broken(x, d, kinks), color="C3", lw=1.2, ls="--", label="f'(x)")
        for k in kinks:
            ax.axvline(k, color="C2", lw=0.8, ls=":")
            ax.plot([k], [np.interp(k, x, y)], "o", ms=4, mfc="white", mec="C2", zorder=3)
        ax.set_xlim(LO, HI)
        top = min(lim, 8.0) * 1.1 + 0.1
        ax.set_ylim(max(-top, np.nanmin(np.concatenate([y, d])) - 0.3), top)
        ax.set_title(label, fontsize=10)
        ax.tick_params(labelsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color="C2", ls=":", marker="o", mfc="white", ms=4))
    labels.append("kink")
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False)
    fig.suptitle("fastact: f(x) and f'(x) on [-6, 6]  (python -m fastact plot)", fontsize=12)
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def terminal(name, width=61, height=15):
    """Lines of a small text plot of f ('*') and f' ('.') on [-6, 6]; kinks as '^' marks on
    a row under the plot."""
    x, y, d, kinks, _ = curves(name, n=width * 4)
    finite = np.concatenate([y[np.isfinite(y)], d[np.isfinite(d)]])
    lo, hi = max(finite.min(), -8.0), min(finite.max(), 8.0)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    grid = [[" "] * width for _ in range(height)]

    def row(v):
        return int(round((hi - v) / (hi - lo) * (height - 1)))

    zero = row(0.0)
    for c in range(width):
        grid[zero][c] = "-"
    marks = [" "] * width
    for k in kinks:
        marks[int(round((k - x[0]) / (x[-1] - x[0]) * (width - 1)))] = "^"
    for values, mark in ((d, "."), (y, "*")):
        for xi, v in zip(x, values):
            if np.isfinite(v) and lo <= v <= hi:
                c = int(round((xi - x[0]) / (x[-1] - x[0]) * (width - 1)))
                grid[row(v)][c] = mark
    labels = {0: f"{hi:7.3g} ", zero: f"{0:7.3g} ", height - 1: f"{lo:7.3g} "}
    lines = [labels.get(r, " " * 8) + "".join(g) for r, g in enumerate(grid)]
    if kinks:
        lines.append(" " * 8 + "".join(marks).rstrip())
    lines.append(" " * 8 + f"{x[0]:<.3g}".ljust(width // 2)
                 + f"{x[-1]:>.3g}".rjust(width - width // 2))
    lines.append(" " * 8 + "* f(x)   . f'(x)" + ("   ^ kink" if kinks else ""))
    return lines
