#!/usr/bin/env bash
# The whole extension (Cython module, dispatcher, thread pool and every ISA's kernels) built with
# a sanitizer and driven from Python by pytest, the sanitizer runtime preloaded into the
# interpreter.
#
#   tools/sanitize_ext.sh asan [pytest args]   # AddressSanitizer + UBSan (make asan)
#   tools/sanitize_ext.sh tsan [pytest args]   # ThreadSanitizer (make tsan)
#
# The build is a copy of the tree in build/san-<mode>, so the regular build in src/ is left
# alone; PYTHONPATH puts the sanitized package first (checked before the tests run).  Default
# pytest args: the whole suite for asan, the threaded tests for tsan.  PY: the interpreter
# (default .venv/bin/python); CC: the C compiler (gcc: its runtimes are found with
# -print-file-name).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: tools/sanitize_ext.sh asan|tsan [pytest args]}
shift
PY=${PY:-.venv/bin/python}
CC=${CC:-gcc}
dest=build/san-$mode
root=$PWD

case $mode in
  asan)
    flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
    runtime=$($CC -print-file-name=libasan.so)
    # detect_leaks=0: CPython itself keeps memory to exit (tests/test_memory.py measures leaks);
    # PYTHONMALLOC=malloc: Python objects on the heap ASan watches, not in pymalloc arenas
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=1:strict_init_order=1:detect_stack_use_after_return=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    export PYTHONMALLOC=malloc
    [ $# -gt 0 ] || set -- tests -q -x -p no:cacheprovider
    ;;
  tsan)
    flags="-fsanitize=thread -fno-omit-frame-pointer -g"
    runtime=$($CC -print-file-name=libtsan.so)
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0}
    [ $# -gt 0 ] || set -- tests/test_concurrency.py tests/test_kernels.py -q -x -p no:cacheprovider -k "thread or concurren or parallel or gil"
    ;;
  *) echo "unknown mode $mode (asan or tsan)" >&2; exit 2 ;;
esac
[ -f "$runtime" ] || { echo "no $mode runtime for $CC ($runtime)" >&2; exit 1; }
# libstdc++ preloaded too: the interpreter does not link it, so the runtime's __cxa_throw
# interceptor finds no real function at start-up and aborts at the first C++ exception
# (matplotlib's ft2font throws one on import: "CHECK failed ... real___cxa_throw")
cxx=$($CC -print-file-name=libstdc++.so.6)
[ -f "$cxx" ] && runtime="$runtime $cxx"

# copy the sources (tracked and new files, not build products) and build in place
mkdir -p "$dest"
stamp="$dest/.flags"
rm -rf "${dest:?}/csrc" "$dest/src" "$dest/tests" "$dest/tools" "$dest/bench" "$dest/examples" \
    "$dest/docs"
extra=()  # what some tests read besides the package (the asv suite, the example, the docs)
for d in bench examples docs; do [ -d "$d" ] && extra+=("$d"); done
tar -c --exclude='*.so' --exclude='_core.c' --exclude='__pycache__' --exclude='*.egg-info' \
    --exclude='.asv' csrc src tests tools "${extra[@]}" setup.py pyproject.toml README.md \
    | tar -x -C "$dest"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$flags" ] || rm -rf "$dest/build"
echo "$flags" > "$stamp"
(cd "$dest" && CC=$CC CFLAGS="$flags" LDFLAGS="$flags" "$root/$PY" setup.py -q build_ext --inplace \
    > build.log 2>&1) || { tail -40 "$dest/build.log" >&2; exit 1; }

# setarch -R: TSan (and ASan's shadow) refuse some high-entropy address layouts
norand=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then
  norand=(setarch "$(uname -m)" -R)
fi
# the tests thin their large samples and loop counts under a sanitizer (tests/conftest.py)
export FASTACT_SANITIZER=$mode
# the shared oracle the tree's tests find next to the clone (tests/conftest.py:
# shared_golden_path), which the copy in build/ is too deep to find
for g in "$root/../shared/data/golden.json" "$root/../../shared/data/golden.json"; do
  [ -n "${FASTACT_SHARED_GOLDEN:-}" ] || [ ! -f "$g" ] || export FASTACT_SHARED_GOLDEN=$g
done
export PYTHONPATH=$root/$dest/src${PYTHONPATH:+:$PYTHONPATH}
LD_PRELOAD=$runtime "${norand[@]}" "$root/$PY" -c \
  "import fastact, sys; f = fastact.__file__; sys.exit(0 if f.startswith('$root/$dest/') else 'not the sanitized build: ' + f)"
echo "[$mode] pytest $* (fastact from $dest)"
cd "$dest"
LD_PRELOAD=$runtime timeout 3000 "${norand[@]}" "$root/$PY" -m pytest "$@"
