"""Open the published asv dashboard in headless Chromium and check that it renders.

    python tools/asv_check.py [--html .asv/html] [--results .asv/results] [--out build]

First makes the dashboard self-contained (tools/asv_offline.py: local copies of asv's
JavaScript libraries instead of its CDN links; a machine without internet access cannot load
those).  Serves the html directory on a local port (asv's pages fetch JSON, which file://
forbids), loads index.html and one benchmark's graph page (a Ratios track, else the first benchmark
with data), waits for the plot to render, and saves screenshots under --out.  Fails (exit 1)
on a JavaScript console error, a missing graph, or an empty series: a benchmark that no
run has measured (asv then writes no summary graph; a note instead with --allow-not-run), or
one parameter row with no value in any run and an error (not a skip) in one of them; also
when the opened graph has values for fewer than --min-points commits.  The results files
(--results) tell the two kinds of hole apart: asv stores NaN for a row whose setup raised
NotImplementedError (a skip: a peer without that operation, a function an old commit
lacks) and null for a row that failed; the graphs have null for both.  Needs Debian's chromium
and chromium-driver and Selenium (`make asv-check` installs them).
"""
from __future__ import annotations

import argparse
import functools
import http.server
import itertools
import json
import math
import pathlib
import re
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from asv_offline import make_offline  # noqa: E402


def _serve(root):
    quiet = type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                 {"log_message": lambda *a, **k: None})
    handler = functools.partial(quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        opts.add_argument(arg)
    opts.binary_location = "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def _points(series):
    """How many commits of a graph JSON ([[revision, value or list of values], ...]) have a
    value."""
    return sum(1 for _, v in series
               if v is not None and (not isinstance(v, list) or any(x is not None for x in v)))


def _pick_graph(root):
    """(benchmark name, graph JSON path, commits with a value) of the benchmark graph with the
    longest history, a Ratios track first."""
    index = json.loads((root / "index.json").read_text())
    best = (None, None, 0)
    for name in sorted(index["benchmarks"], key=lambda n: (".Ratios." not in n, n)):
        for path in sorted((root / "graphs").rglob(f"{name}.json")):
            n = _points(json.loads(path.read_text()))
            if n > best[2]:
                best = (name, path, n)
        if best[2] and ".Ratios." not in name and ".Ratios." in best[0]:
            break
    return best


def _rows(params):
    """The parameter rows of a benchmark, as tuples of asv's repr strings."""
    return list(itertools.product(*params)) if params else [()]


def series_status(results):
    """{benchmark: {"rows": n, "value": rows measured, "skip": rows skipped, "fail": rows
    failed}} over every results file whose benchmark version is the current one (as asv
    publish counts them); rows are matched by parameter values (a commit with fewer registry
    functions has a shorter grid)."""
    results = pathlib.Path(results)
    benchmarks = json.loads((results / "benchmarks.json").read_text())
    benchmarks.pop("version", None)
    status = {name: {"rows": len(_rows(b.get("params"))), "value": set(), "skip": set(),
                     "fail": set()} for name, b in benchmarks.items()}
    for path in results.glob("*/*.json"):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        columns = data.get("result_columns", [])
        for name, row in data.get("results", {}).items():
            if name not in status:
                continue
            r = dict(zip(columns, row))
            if r.get("version") != benchmarks[name].get("version"):
                continue
            values = r.get("result")
            values = values if isinstance(values, list) else [values]
            for key, v in zip(_rows(r.get("params")), values):
                if v is None:
                    status[name]["fail"].add(key)
                elif isinstance(v, float) and math.isnan(v):
                    status[name]["skip"].add(key)
                else:
                    status[name]["value"].add(key)
    return status


def _holes(status):
    """(problems, notes): rows failed and never measured; rows only ever skipped."""
    problems, notes = [], []
    for name, s in sorted(status.items()):
        failed = s["fail"] - s["value"]
        skipped = s["skip"] - s["value"] - s["fail"]
        if failed:
            problems.append(f"{name}: {len(failed)} of {s['rows']} rows failed and have no "
                            f"value in any run (empty series), e.g. {sorted(failed)[0]}")
        if skipped:
            notes.append(f"{name}: {len(skipped)} of {s['rows']} rows skipped in every run "
                         "(NotImplementedError)")
    return problems, notes


def _console_errors(driver):
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def _wait(driver, condition, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(condition)
        if value:
            return value
        time.sleep(0.25)
    return None


def check(html, out, min_points=2, allow_not_run=False, results=None):
    root = pathlib.Path(html)
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    problems = []
    if not (root / "index.html").is_file():
        return [f"{root}/index.html missing: run `asv publish` (make asv) first"]
    problems += make_offline(root)
    if results is not None:
        status = series_status(results)
        holes, notes = _holes(status)
        problems += holes
        measured = sum(len(v["value"]) for v in status.values())
        print(f"results: {len(status)} benchmarks, {measured} parameter rows with a value")
        for line in notes:
            print("note:", line)
    not_run = []
    with_data = {path.stem for path in (root / "graphs" / "summary").glob("*.json")}
    name, graph_json, history = _pick_graph(root)
    if name is None:
        problems.append("no benchmark has a non-empty series in graphs/")
    elif history < min_points:
        problems.append(f"{name}: values for {history} commit(s) only, fewer than {min_points}"
                        " (no history: run `make asv`)")
    server, base = _serve(root)
    driver = _driver()
    try:
        driver.get(base + "index.html")
        rows = _wait(driver, "return document.querySelectorAll("
                             "'#summarygrid .benchmark-container, .benchmark-container, "
                             "#summarygrid a').length")
        time.sleep(1.0)
        driver.save_screenshot(str(out / "asv-index.png"))
        print(f"index.html: {rows or 0} benchmark tiles; screenshot {out / 'asv-index.png'}")
        if not rows:
            problems.append("index.html shows no benchmark")
        for e in _console_errors(driver):
            m = re.search(r"/graphs/summary/([^?]+)\.json\?.* 404", e["message"])
            if m and m.group(1) not in with_data:
                not_run.append(m.group(1))
            else:
                problems.append(f"index.html console: {e['message']}")
        if not_run:
            line = (f"{len(not_run)} benchmarks have no result in any run, their summary graphs "
                    f"are missing: {', '.join(sorted(not_run))}")
            if allow_not_run:
                print("note:", line)
            else:
                problems.append(line + " (run them: make asv; or --allow-not-run)")
        if name is not None:
            # the graph page of that benchmark; its JSON has at least one non-null point
            driver.get(base + f"#{name}")
            points = _wait(driver, """
                var c = document.querySelectorAll('canvas.flot-base, .flot-base');
                if (!c.length) return 0;
                var p = (typeof $ !== 'undefined' && $.plot && window.$('#main-graph').data)
                        ? window.$('#main-graph').data('plot') : null;
                if (p) { var n = 0; p.getData().forEach(function (s) {
                    s.data.forEach(function (d) { if (d[1] !== null) n++; }); }); return n; }
                return c.length ? -1 : 0;""", timeout=45)
            time.sleep(1.5)
            shot = out / "asv-graph.png"
            driver.save_screenshot(str(shot))
            print(f"graph {name} ({graph_json.relative_to(root)}, {history} commits): "
                  f"{'canvas drawn' if points == -1 else f'{points} points plotted'};"
                  f" screenshot {shot}")
            if not points:
                problems.append(f"graph page of {name}: no plot rendered")
            problems += [f"graph page console: {e['message']}" for e in _console_errors(driver)]
    finally:
        driver.quit()
        server.shutdown()
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", default=".asv/html")
    parser.add_argument("--results", default=".asv/results",
                        help="asv's results directory (rows failed vs skipped); '' to skip")
    parser.add_argument("--out", default="build")
    parser.add_argument("--min-points", type=int, default=2,
                        help="commits the opened graph must have values for (default 2)")
    parser.add_argument("--allow-not-run", action="store_true",
                        help="a benchmark no run has measured (a subset was run) is a note, "
                             "not a failure")
    args = parser.parse_args(argv)
    problems = check(args.html, args.out, args.min_points, args.allow_not_run,
                     args.results or None)
    for p in problems:
        print("FAIL:", p)
    print("asv-check: " + ("failed" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
