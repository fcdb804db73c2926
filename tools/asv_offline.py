"""Make a published asv dashboard self-contained: no CDN links, local copies of its libraries.

    python tools/asv_offline.py [.asv/html]

asv's index.html loads jQuery, Flot (and its time, selection and categories plugins),
Bootstrap, stupidtable and blueimp-md5 from public CDNs; a machine without internet access
(this project's) then shows asv's "external dependencies failed to load" page.  This copies
Debian's packaged copies into HTML/vendor/ and points the <script>/<link> tags at them
(`make asv-deps` installs the packages; `make asv` runs this after `asv publish`):

    libjs-jquery               jQuery 3.6 (asv pins 3.3.1; the API it uses is unchanged)
    libghc-js-flot-data        Flot 0.8.3 and its plugins: the version asv pins
    libjs-bootstrap            Bootstrap 3.4.1 js, css and fonts (asv pins 3.1.1)
    libjs-jquery-stupidtable   stupidtable 1.1.3 (asv pins 1.0.1)
    node-blueimp-md5           blueimp-md5 2.19.0: the version asv pins

flot-orderbars has no Debian package: its tag is dropped.  It only offsets side-by-side bars
in the graph page's "x axis = a parameter" bar mode, which then draws them overlapping.

The summary grid's tiles draw lines only, so a benchmark measured at a single commit (one
that only the HEAD run covers) shows an empty tile: summarygrid.js is patched to draw each
point as well.

Idempotent; exits 1 naming what is missing when a library has no local copy, or when any
http(s) script or stylesheet reference remains.
"""
from __future__ import annotations

import pathlib
import re
import shutil
import sys

# the basename of asv's CDN URL -> (local file, where it goes under vendor/)
LOCAL = {
    "jquery-3.3.1.min.js": ("/usr/share/javascript/jquery/jquery.min.js", "jquery.min.js"),
    "jquery.flot.min.js": ("/usr/share/haskell-js-flot/jquery.flot.min.js", None),
    "jquery.flot.time.min.js": ("/usr/share/haskell-js-flot/jquery.flot.time.min.js", None),
    "jquery.flot.selection.min.js": ("/usr/share/haskell-js-flot/jquery.flot.selection.min.js",
                                     None),
    "jquery.flot.categories.min.js": (
        "/usr/share/haskell-js-flot/jquery.flot.categories.min.js", None),
    "stupidtable.min.js": ("/usr/share/javascript/jquery-stupidtable/stupidtable.min.js", None),
    "md5.min.js": ("/usr/share/javascript/blueimp-md5/md5.min.js", None),
    "bootstrap.min.js": ("/usr/share/javascript/bootstrap/js/bootstrap.min.js",
                         "bootstrap/js/bootstrap.min.js"),
    "bootstrap.min.css": ("/usr/share/javascript/bootstrap/css/bootstrap.min.css",
                          "bootstrap/css/bootstrap.min.css"),
}
DROPPED = {"jquery.flot.orderBars.js"}
FONTS = pathlib.Path("/usr/share/javascript/bootstrap/fonts")  # bootstrap.css: ../fonts/
PACKAGES = ("libjs-jquery libjs-bootstrap libghc-js-flot-data libjs-jquery-stupidtable "
            "node-blueimp-md5")

_TAG = re.compile(r"<(script|link)\b[^>]*?(?:src|href)=\"(https?://[^\"]+)\"[^>]*>"
                  r"(?:\s*</script>)?", re.S)


def _copy(src, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pathlib.Path(src).resolve(), dest)


_TILE_SERIES = "shadowSize: 0"
_TILE_POINTS = "points: {show: true, radius: 2, fill: true}, " + _TILE_SERIES


def _tile_points(root):
    """Draw the points of the summary tiles too; a problem when asv's script has changed."""
    grid = root / "summarygrid.js"
    text = grid.read_text() if grid.is_file() else ""
    if _TILE_POINTS in text:
        return []
    if text.count(_TILE_SERIES) != 1:
        return [f"{grid}: no single '{_TILE_SERIES}' to add the tiles' points to"]
    grid.write_text(text.replace(_TILE_SERIES, _TILE_POINTS))
    return []


def make_offline(html):
    """Rewrite every .html page under `html`; return a list of problems (empty: done)."""
    root = pathlib.Path(html)
    vendor = root / "vendor"
    problems = []
    missing = sorted({src for src, _ in LOCAL.values() if not pathlib.Path(src).is_file()})
    if missing or not FONTS.is_dir():
        return [f"no local copy of {', '.join(missing) or FONTS}: "
                f"apt-get install {PACKAGES} (make asv-deps)"]

    def local(match):
        kind, url = match.group(1), match.group(2)
        base = url.rsplit("/", 1)[-1]
        if base in DROPPED:
            return f"<!-- {base}: no local copy (tools/asv_offline.py) -->"
        if base not in LOCAL:
            problems.append(f"{url}: no local copy known")
            return match.group(0)
        src, rel = LOCAL[base]
        rel = "vendor/" + (rel or base)
        _copy(src, root / rel)
        if kind == "link":
            return f'<link rel="stylesheet" href="{rel}">'
        return f'<script src="{rel}" onerror="js_load_failure()"></script>'

    for page in sorted(root.glob("*.html")):
        text = page.read_text()
        new = _TAG.sub(local, text)
        if new != text:
            page.write_text(new)
        problems += [f"{page.name}: still loads {u}" for u in
                     re.findall(r"(?:src|href)=\"(https?://[^\"]+\.(?:js|css))\"", new)]
    for font in FONTS.iterdir():
        _copy(font, vendor / "bootstrap" / "fonts" / font.name)
    return problems + _tile_points(root)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    html = argv[0] if argv else ".asv/html"
    if not (pathlib.Path(html) / "index.html").is_file():
        print(f"asv_offline: {html}/index.html missing: run `asv publish` first")
        return 1
    problems = make_offline(html)
    for p in problems:
        print("asv_offline:", p)
    if not problems:
        print(f"asv_offline: {html} loads only local files (vendor/)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
