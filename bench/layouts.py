"""ns/element of fastact on non-contiguous layouts and 16-bit dtypes, relative to the same
function on a contiguous float32 array (issue 7's table).

    taskset -c 1 python bench/layouts.py [--function sigmoid] [--repeat 15]

One thread (fastact.set_num_threads(1)); every row is the median of --repeat timings of
--inner calls each, in CPU time of this process (time.process_time: a shared machine's steal
time is not counted), the rows interleaved in one process so machine noise hits them alike.  "vs contiguous" is the
contiguous float32 time per element divided by the row's (>= 0.8 is the target for views;
float16 rows show their time relative to float32, target <= 1.2).
"""
import argparse
import time

import numpy as np

import fastact


def cases(rows, cols):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((rows, cols)) * 4).astype(np.float32)
    wide = (rng.standard_normal((rows, 2 * cols)) * 4).astype(np.float32)
    tall = (rng.standard_normal((cols, rows)) * 4).astype(np.float32)
    out = {
        f"contiguous {rows}x{cols}": a,
        f"row slice X[:, :{cols}] of {rows}x{2 * cols}": wide[:, :cols],
        "every other element X[:, ::2]": wide[:, ::2],
        "transposed X.T": tall.T,
        "negative stride X[:, ::-1]": a[:, ::-1],
        "float16 contiguous": a.astype(np.float16),
        "float16 every other element": wide.astype(np.float16)[:, ::2],
    }
    try:
        import ml_dtypes

        out["bfloat16 contiguous"] = a.astype(ml_dtypes.bfloat16)
    except ImportError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--function", default="sigmoid")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--cols", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--inner", type=int, default=10)
    args = ap.parse_args()
    fastact.set_num_threads(1)
    f = fastact.get(args.function)
    data = cases(args.rows, args.cols)
    outs = {k: np.empty(v.shape, v.dtype) for k, v in data.items()}
    times = {k: [] for k in data}
    new_times = {k: [] for k in data}
    np_times = {k: [] for k in data}
    for _ in range(args.repeat):
        for k, x in data.items():
            o = outs[k]
            t0 = time.process_time()
            for _ in range(args.inner):
                f(x, out=o)
            t1 = time.process_time()
            if x.dtype.kind == "f":
                for _ in range(args.inner):
                    np.tanh(x, out=o)
            t2 = time.process_time()
            for _ in range(args.inner):
                f(x)
            t3 = time.process_time()
            scale = 1e9 / (x.size * args.inner)
            times[k].append((t1 - t0) * scale)
            np_times[k].append((t2 - t1) * scale)
            new_times[k].append((t3 - t2) * scale)
    med = {k: float(np.median(v)) for k, v in times.items()}
    new = {k: float(np.median(v)) for k, v in new_times.items()}
    first = next(iter(data))
    print(f"{args.function}, 1 thread, ns/element (median of {args.repeat}); out= is a C-order "
          f"array, out=None lets NumPy allocate the result in the input's memory order\n")
    print("| layout | fastact, out= | vs contiguous | fastact, out=None | vs contiguous | np.tanh(out=) |")
    print("|---|---|---|---|---|---|")
    for k in data:
        npt = f"{np.median(np_times[k]):.3f}" if data[k].dtype.kind == "f" else "-"
        print(f"| {k} | {med[k]:.3f} | {med[first] / med[k]:.2f} | {new[k]:.3f} | "
              f"{new[first] / new[k]:.2f} | {npt} |")


if __name__ == "__main__":
    main()
