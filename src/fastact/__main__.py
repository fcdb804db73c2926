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

    p_acc = sub.add_parser(
        "accuracy", help="max ULP error of every kernel vs a wider reference",
        description="Every function of the registry: exact (piecewise-linear) ones must equal "
                    "their reference bit for bit; smooth ones are measured in ULPs, float32 "
                    "against the reference formula in float64, float64 against it in "
                    "np.longdouble. Exits 1 if any bound the registry states is exceeded.")
    p_acc.add_argument("functions", nargs="*", help="function names (default: all)")
    p_acc.add_argument("--exhaustive", action="store_true",
                       help="float32: all 2^32 inputs (about a minute per function and dtype), "
                            "float64: 2^24 random inputs, instead of a sample")
    p_acc.add_argument("--markdown", metavar="FILE",
                       help="also write the table as markdown (docs/accuracy.md) with the command, "
                            "the machine and the date")
    p_acc.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p_acc.add_argument("--dtype", choices=("float32", "float64"), action="append",
                       help="restrict to a dtype (repeatable)")
    p_acc.add_argument("--isa", help="use this ISA's kernels (default: the best this CPU runs)")

    sub.add_parser("config", help="print version, ISA paths, compiler, flags and threads")
    sub.add_parser("docs", help="print the markdown table of functions (from the registry)")

    args = parser.parse_args(argv)
    import fastact

    if args.command == "bench":
        return _bench.run(args) or 0
    if args.command == "accuracy":
        from . import _accuracy, _core

        if args.isa:
            _core.set_isa(args.isa)
        names = [fastact.get(n).name for n in args.functions] or None
        print(f"fastact {fastact.__version__}, kernels: {_core.get_isa()}")
        command = "python -m fastact " + " ".join(argv if argv is not None else sys.argv[1:])
        ok = _accuracy.table(names, tuple(args.dtype or ("float32", "float64")),
                             exhaustive=args.exhaustive, progress=not args.no_progress,
                             markdown=args.markdown, command=command.strip())
        return 0 if ok else 1
    if args.command == "docs":
        from ._registry import markdown_table

        print(markdown_table())
        return 0
    if args.command == "config":
        fastact.show_config()
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
