"""ns/element of fastact on non-contiguous layouts and in float16, relative to the same
function on a contiguous float32 array (issue 7's table; `python -m fastact bench` prints it
too, after the per-call table).

    taskset -c 1 python bench/layouts.py [--function sigmoid] [--repeat 15]

One thread; process CPU time (a shared machine's steal time is not counted), the rows
interleaved in one process, medians.  Targets: views >= 0.8x the contiguous speed, float16
<= 1.2x the float32 cost.  See fastact._bench._layouts.
"""
import argparse

from fastact import _bench


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--function", default=_bench.LAYOUT_FUNCTION)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    _bench._layouts(args.repeat, args.function)


if __name__ == "__main__":
    main()
