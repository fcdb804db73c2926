"""make bench-compare: fastact's speedups over idiomatic NumPy against a saved baseline.

Runs the pytest-benchmark suite (bench/test_bench.py), whose results carry, per function and
dtype, the speedup of fastact over the NumPy baseline measured in one process
(extra_info speedup_forward / speedup_backward: ratios, so a uniformly busy machine does not
move them).  The first run (or --save) stores the results as the baseline,
.benchmarks/baseline.json; later runs fail (exit 1) when any speedup falls more than 20%
below the baseline's.

    python tools/bench_compare.py [--save] [--tolerance 0.2]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".benchmarks" / "baseline.json"
CURRENT = ROOT / "build" / "bench-current.json"


def speedups(path):
    data = json.loads(pathlib.Path(path).read_text())
    out = {}
    for b in data["benchmarks"]:
        for key, value in b.get("extra_info", {}).items():
            if key.startswith("speedup_"):
                out[f"{b['name']} {key[len('speedup_'):]}"] = value
    return out


def compare(baseline, current, tolerance):
    """Lines of the comparison and the keys that regressed by more than `tolerance`."""
    lines, bad = [], []
    for key in sorted(baseline):
        if key not in current:
            lines.append(f"  {key:<60} {baseline[key]:8.2f}x  ->  (not measured)")
            continue
        was, now = baseline[key], current[key]
        flag = now < (1 - tolerance) * was
        bad += [key] if flag else []
        lines.append(f"  {key:<60} {was:8.2f}x  -> {now:8.2f}x  {now / was:6.2f}"
                     + ("  REGRESSED" if flag else ""))
    for key in sorted(set(current) - set(baseline)):
        lines.append(f"  {key:<60}   (new)   -> {current[key]:8.2f}x")
    return lines, bad


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", action="store_true", help="store this run as the baseline")
    parser.add_argument("--tolerance", type=float, default=0.2,
                        help="allowed fall of a speedup, as a fraction (default 0.2)")
    args = parser.parse_args(argv)
    CURRENT.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pytest", "-q", str(ROOT / "bench" / "test_bench.py"),
           "--benchmark-only", f"--benchmark-json={CURRENT}", "-p", "no:cacheprovider"]
    print("running:", " ".join(cmd), flush=True)
    if subprocess.call(cmd, cwd=ROOT) != 0:
        print("bench-compare: the benchmark run failed")
        return 1
    if args.save or not BASELINE.exists():
        BASELINE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CURRENT, BASELINE)
        print(f"bench-compare: saved the baseline {BASELINE.relative_to(ROOT)} "
              f"({len(speedups(BASELINE))} speedups); the next run compares against it")
        return 0
    lines, bad = compare(speedups(BASELINE), speedups(CURRENT), args.tolerance)
    print(f"speedup over idiomatic NumPy: baseline -> now (ratio); fail below "
          f"{1 - args.tolerance:.0%} of the baseline")
    print("\n".join(lines))
    if bad:
        print(f"bench-compare: {len(bad)} speedups fell more than {args.tolerance:.0%}: "
              + ", ".join(bad))
        return 1
    print("bench-compare: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
