# fastact: `make test` and `make bench` do all setup on a fresh machine (a local venv in .venv).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEPS   := $(VENV)/.deps-stamp
BUILT  := $(VENV)/.build-stamp
SOURCES := $(wildcard csrc/*.c csrc/*.h csrc/*.inc src/fastact/*.pyx src/fastact/*.pxi) setup.py pyproject.toml

.PHONY: all build test test-isa bench bench-full bench-compare bench-baseline performance accuracy \
	accuracy-exhaustive accuracy-docs prove-rounding peers asv asv-deps asv-check sanitize golden clean fuzz asan tsan sanitize-ci \
	memcheck test-slow bench-gil test-aarch64
N ?= 10

all: test

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS): $(PY) Makefile
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check "setuptools>=64" wheel "Cython>=3" "numpy>=2" \
		pytest hypothesis pytest-benchmark scipy matplotlib scikit-learn \
		ml_dtypes dask distributed
	touch $@

$(BUILT): $(DEPS) $(SOURCES)
	$(PY) -m pip install -q --disable-pip-version-check --no-build-isolation -e .
	touch $@

build: $(BUILT)

test: $(BUILT)
	bash tools/sanitize.sh
	$(PY) -m pytest -q tests -m "not slow"
	$(MAKE) --no-print-directory sanitize-ci

# the main job: ns/element of fastact vs idiomatic NumPy/SciPy, the copy roofline, speedups
bench: $(BUILT)
	$(PY) -m fastact bench
	$(PY) -m fastact bench-structured

# everything, with the peers (PyTorch, ONNX Runtime, OpenVINO, JAX, numexpr) installed first
bench-full: peers
	$(PY) -m fastact bench --peers
	$(PY) -m fastact bench-structured
	$(PY) -m pytest -q bench --benchmark-only

# speedups over idiomatic NumPy vs a saved pytest-benchmark baseline (the first run saves it);
# fails when any falls more than 20% below; bench-baseline saves a new baseline
bench-compare: $(BUILT)
	$(PY) tools/bench_compare.py

bench-baseline: $(BUILT)
	$(PY) tools/bench_compare.py --save

# docs/performance.md: one full run with the peers, 1 thread pinned to one core
performance: peers
	taskset -c 1 $(PY) -m fastact bench --peers --threads 1 --n 100000,1000000 --repeat 15 --budget-ms 1 \
		--markdown docs/performance.md

peers: $(DEPS)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0 onnxruntime onnx openvino \
		jax numexpr asv virtualenv

accuracy: $(BUILT)
	$(PY) -m fastact accuracy

accuracy-exhaustive: $(BUILT)
	$(PY) -m fastact accuracy --exhaustive

# docs/accuracy.md: the exhaustive table, with the command, the machine and the date (about
# 56 CPU-minutes: half an hour on 2 idle cores, the chunks on every CPU; --jobs N to change)
accuracy-docs: $(BUILT)
	nice $(PY) -m fastact accuracy --exhaustive --markdown docs/accuracy.md

# the proof that float32 leaky_relu, hard_sigmoid and hardswish are correctly rounded
# (all 2^32 inputs, every ISA; long: tens of minutes a function)
prove-rounding: $(BUILT)
	nice $(PY) tools/check_rounding.py

# asv history: the last N commits of main's first-parent line (default 10; `make asv N=5`;
# a clone without a local main gets one from origin/main: asv.conf.json names the branch),
# each built in its own virtualenv
# (asv.conf.json's matrix) and run on a quick subset (ASV_COMMIT_BENCH: the speed ratios over
# NumPy of every function, forward and backward, measured in one process); then HEAD in the
# dev venv on the whole suite (ASV_HEAD_BENCH); then the dashboard (.asv/html) made
# self-contained (tools/asv_offline.py: Debian's copies of jQuery, Flot, Bootstrap,
# stupidtable and md5 instead of asv's CDN links).  --quick: one sample per benchmark (the
# track_ ratios take minima of interleaved samples themselves).  Commits already measured are
# skipped; the builds compile through ccache, so a commit that changes no C or Cython source
# rebuilds in seconds (a full build: ~3-5 minutes on a busy 2-core machine).  The HEAD run:
# asv refuses a range with --python=same and would otherwise run once per branch head of
# asv.conf.json (main and HEAD), saving both under HEAD's hash; --steps 1 runs it once.
ASV := $(VENV)/bin/asv
ASV_COMMIT_BENCH ?= ^activations\.Ratios\.
ASV_HEAD_BENCH ?= .
ASV_PACKAGES := libjs-jquery libjs-bootstrap libghc-js-flot-data libjs-jquery-stupidtable \
	node-blueimp-md5 ccache

asv-deps:
	dpkg -s $(ASV_PACKAGES) >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq $(ASV_PACKAGES))

asv: peers asv-deps
	$(ASV) machine --yes >/dev/null
	git rev-parse -q --verify main >/dev/null || git branch main origin/main
	mkdir -p build && git rev-list --first-parent --max-count=$(N) main > build/asv-commits.txt
	CC="ccache $${CC:-cc}" nice -n 10 $(ASV) run --quick --show-stderr --skip-existing-commits \
		--bench '$(ASV_COMMIT_BENCH)' HASHFILE:build/asv-commits.txt
	nice -n 10 $(ASV) run --quick --python=same --show-stderr --bench '$(ASV_HEAD_BENCH)' \
		--set-commit-hash $$(git rev-parse HEAD) --steps 1
	$(ASV) publish
	$(PY) tools/asv_offline.py .asv/html

# the published dashboard in headless Chromium (Debian's chromium + chromium-driver, Selenium):
# screenshots in build/, fails on a JS console error, a missing graph, an empty series (a
# benchmark no run measured; a parameter row that failed and has no value in any run) or a
# graph without history; ASV_CHECK_ARGS=--allow-not-run after a make asv on benchmark subsets
asv-check: $(DEPS) asv-deps
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	$(PY) -m pip install -q --disable-pip-version-check selenium
	$(PY) tools/asv_check.py --html .asv/html --out build $(ASV_CHECK_ARGS)

# regenerate the exact oracle tests/data/golden.json (mpmath; the tests only read the file)
golden: $(DEPS)
	$(PY) -m pip install -q --disable-pip-version-check mpmath
	$(PY) tools/gen_golden.py

# the C kernels alone under AddressSanitizer + UBSan (also part of `make test`)
sanitize:
	bash tools/sanitize.sh

clean:
	rm -rf build src/fastact/_core.c src/fastact/*.so $(BUILT)

# ---------------------------------------------------------------- hardening (tools/, tests/)
# coverage-guided fuzzing of the public API for SECONDS seconds (corpus kept in build/fuzz)
SECONDS ?= 60
$(VENV)/.atheris-stamp: $(DEPS)
	$(PY) -m pip install -q --disable-pip-version-check atheris
	touch $@

# Wrong answers and wrong refusals are written to build/fuzz/findings.txt (each kind once, with
# the input: `python tools/fuzz.py --replay HEX`) and the run goes on; a crash or a hang stops
# it with its input in build/fuzz/ (KEEP_GOING= makes any finding stop it)
KEEP_GOING ?= build/fuzz/findings.txt
fuzz: $(BUILT) $(VENV)/.atheris-stamp
	mkdir -p build/fuzz/corpus
	FASTACT_FUZZ_KEEP_GOING=$(KEEP_GOING) $(PY) tools/fuzz.py -max_total_time=$(SECONDS) \
		-timeout=30 -rss_limit_mb=4096 -artifact_prefix=build/fuzz/ -print_final_stats=1 \
		build/fuzz/corpus

# the extension built with ASan+UBSan / TSan, driven by pytest (tools/sanitize_ext.sh): the
# whole suite (asan) or the threaded tests (tsan); sanitize-ci is the fast subset `make test` runs
asan: $(DEPS)
	bash tools/sanitize_ext.sh asan tests -q -rs -p no:cacheprovider -m "not slow" --durations=15

tsan: $(DEPS)
	bash tools/sanitize_ext.sh tsan

sanitize-ci: $(DEPS)
	bash tools/sanitize_ext.sh asan tests/test_refusals.py tests/test_fuzz_smoke.py \
		tests/test_api.py -q -x -p no:cacheprovider -k "not any_layout and not _env and not cli"
	FASTACT_CONCURRENCY_ROUNDS=1 bash tools/sanitize_ext.sh tsan tests/test_concurrency.py \
		-q -x -p no:cacheprovider

# 10^5 calls of every method of every function: no leak, refcounts unchanged (~25 minutes;
# build/memcheck.tsv: function, call, calls, traced and RSS growth in bytes, method)
memcheck: $(BUILT)
	mkdir -p build && rm -f build/memcheck.tsv
	FASTACT_LEAK_CALLS=100000 FASTACT_LEAK_REPORT=build/memcheck.tsv $(PY) -m pytest -q tests/test_memory.py
	$(PY) -c "r = [l.rstrip('\n').split('\t') for l in open('build/memcheck.tsv')]; \
		print(len(r), 'calls of', len({(x[0], x[5]) for x in r}), 'methods of', len({x[0] for x in r}), \
		'functions, 10^5 each: max traced growth', max(int(x[3]) for x in r), \
		'bytes, max RSS growth', max(int(x[4]) for x in r), 'bytes (build/memcheck.tsv)')"

# huge arrays (> 2^31 elements; skipped when the memory is not there)
test-slow: $(BUILT)
	$(PY) -m pytest -q tests -m slow -rs

# two Python threads on two cores vs one (the GIL is released in the kernels)
bench-gil: $(BUILT)
	$(PY) tools/gil_bench.py

# the portable kernels and tests/c cross-compiled for aarch64 and run under qemu-user
test-aarch64:
	bash tools/test_aarch64.sh
