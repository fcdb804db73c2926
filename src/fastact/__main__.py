"""python -m fastact {bench,accuracy,info,plot,config,docs}: the command-line tools of fastact."""
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
        description="Every function of the registry: exact (piecewise-linear) ones must equal "
                    "their reference bit for bit; smooth ones are measured in ULPs, float32 "
                    "against the reference formula in float64, float64 against it in "
                    "np.longdouble. Exits 1 if any bound the registry states is exceeded.")
    p_acc.add_argument("functions", nargs="*", help="function names (default: all)")
    p_acc.add_argument("--exhaustive", action="store_true",
                       help="float32: all 2^32 inputs, float64: 2^24 random inputs, instead of a "
                            "sample (about 56 CPU-minutes for all functions: half an hour on 2 "
                            "idle cores; per function from 10 s for relu to 4 min for sin)")
    p_acc.add_argument("--markdown", metavar="FILE",
                       help="also write the table as markdown (docs/accuracy.md) with the command, "
                            "the machine and the date")
    p_acc.add_argument("--update", action="store_true",
                       help="with --markdown: replace the rows of the functions measured in that "
                            "existing document (written by this tool on the same inputs), keep "
                            "the others, and name this run in its header")
    p_acc.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p_acc.add_argument("--dtype", choices=("float32", "float64"), action="append",
                       help="restrict to a dtype (repeatable)")
    p_acc.add_argument("--isa", help="use this ISA's kernels (default: the best this CPU runs)")
    p_acc.add_argument("--jobs", "-j", type=int, metavar="N",
                       help="worker threads measuring chunks of inputs at once (default: the "
                            "number of CPUs); the results do not depend on it")

    p_info = sub.add_parser(
        "info", help="a card: formula, derivative, parameters, properties and a text plot",
        description="Print a function's card: its formula and derivative, parameters, the "
                    "properties of fastact.catalogue() (range, monotonicity, zero-centred, "
                    "smoothness, saturation, when to use it) and a small plot of f and f' on "
                    "[-6, 6].")
    p_info.add_argument("name", help="function name or alias")

    p_plot = sub.add_parser(
        "plot", help="draw functions and their derivatives on [-6, 6] into an image",
        description="Draw a grid of functions (default: all) with their derivatives on "
                    "[-6, 6], kinks marked, evaluated by fastact. Needs matplotlib. The "
                    "README's gallery is `python -m fastact plot -o docs/gallery.png`.")
    p_plot.add_argument("names", nargs="*", help="function names (default: all)")
    p_plot.add_argument("-o", "--output", default="fastact-functions.png",
                        help="image file (PNG, SVG or PDF; default fastact-functions.png)")
    p_plot.add_argument("--columns", type=int, help="panels per row (default 5)")

    sub.add_parser("config", help="print version, ISA paths, compiler, flags and threads")
    p_docs = sub.add_parser("docs", help="print the markdown table of functions (from the "
                                         "registry), or with --choosing docs/choosing.md")
    p_docs.add_argument("--choosing", action="store_true",
                        help="print docs/choosing.md, the guide generated from the catalogue")

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
        if args.update and not args.markdown:
            p_acc.error("--update needs --markdown FILE")
        if args.jobs is not None and args.jobs < 1:
            p_acc.error(f"--jobs must be at least 1, got {args.jobs}")
        names = [fastact.get(n).name for n in args.functions] or None
        print(f"fastact {fastact.__version__}, kernels: {_core.get_isa()}")
        command = "python -m fastact " + " ".join(argv if argv is not None else sys.argv[1:])
        ok = _accuracy.table(names, tuple(args.dtype or ("float32", "float64")),
                             exhaustive=args.exhaustive, progress=not args.no_progress,
                             markdown=args.markdown, command=command.strip(), jobs=args.jobs,
                             update=args.update)
        return 0 if ok else 1
    if args.command == "docs":
        if args.choosing:
            from ._catalogue import choosing_markdown

            print(choosing_markdown(), end="")
            return 0
        from ._registry import markdown_table, structured_markdown_table

        print(markdown_table())
        print()
        print(structured_markdown_table())
        return 0
    if args.command in ("info", "plot"):
        from . import _catalogue, _plot

        try:
            funcs = [fastact.get(n) for n in ([args.name] if args.command == "info"
                                              else args.names)]
        except ValueError as exc:
            raise SystemExit(f"{args.command}: {exc}") from None
        if args.command == "info":
            print(_catalogue.card(funcs[0]))
            return 0
        names = [f.name for f in funcs] or fastact.functions()
        print(f"wrote {_plot.gallery(names, args.output, args.columns)}")
        return 0
    if args.command == "config":
        fastact.show_config()
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
