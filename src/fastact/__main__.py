"""python -m fastact {bench,accuracy,config}: the command-line tools of fastact."""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fastact",
        description="fastact: fast, exactly specified activation functions for CPU.",
        epilog="Environment: FASTACT_ISA=baseline|avx2|avx512 forces a kernel set; "
               "FASTACT_NUM_THREADS sets the thread count.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from . import _bench

    p_bench = sub.add_parser(
        "bench", help="speed table: fastact vs the NumPy reference (and peers)",
        description=_bench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_arguments(p_bench)

    from . import _bench_structured

    p_bst = sub.add_parser(
        "bench-structured", help="speed of softmax, log_softmax, prelu, rrelu vs peers and copy",
        description=_bench_structured.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench_structured.add_arguments(p_bst)

    p_acc = sub.add_parser(
        "accuracy", help="max ULP error of every kernel vs a wider reference",
        description="Max error in ULPs of each function's value and derivative: float32 "
                    "against the reference formula in float64, float64 against it in "
                    "np.longdouble. Exits 1 if any bound the registry states is exceeded.")
    p_acc.add_argument("functions", nargs="*", help="function names (default: all)")
    p_acc.add_argument("--exhaustive", action="store_true",
                       help="float32: all 2^32 inputs (minutes per function) instead of a sample")
    p_acc.add_argument("--dtype", choices=("float32", "float64"), action="append",
                       help="restrict to a dtype (repeatable)")
    p_acc.add_argument("--isa", help="use this ISA's kernels (default: the best this CPU runs)")

    sub.add_parser("config", help="print version, ISA paths, compiler, flags and threads")
    sub.add_parser("docs", help="print the markdown table of functions (from the registry)")

    args = parser.parse_args(argv)
    import fastact

    if args.command == "bench":
        return _bench.run(args) or 0
    if args.command == "bench-structured":
        return _bench_structured.run(args) or 0
    if args.command == "accuracy":
        from . import _accuracy, _core

        if args.isa:
            _core.set_isa(args.isa)
        names = [fastact.get(n).name for n in args.functions] or None
        print(f"fastact {fastact.__version__}, kernels: {_core.get_isa()}")
        ok = _accuracy.table(names, tuple(args.dtype or ("float32", "float64")),
                             exhaustive=args.exhaustive)
        return 0 if ok else 1
    if args.command == "docs":
        from ._registry import markdown_table, structured_markdown_table

        print(markdown_table())
        print()
        print(structured_markdown_table())
        return 0
    if args.command == "config":
        fastact.show_config()
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
