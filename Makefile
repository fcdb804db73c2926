# fastact: `make test` and `make bench` do all setup on a fresh machine (a local venv in .venv).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEPS   := $(VENV)/.deps-stamp
BUILT  := $(VENV)/.build-stamp
SOURCES := $(wildcard csrc/*.c csrc/*.h csrc/*.inc src/fastact/*.pyx src/fastact/*.pxi) setup.py pyproject.toml

.PHONY: all build test test-isa bench bench-full accuracy accuracy-exhaustive peers asv sanitize golden clean fuzz asan tsan sanitize-ci memcheck test-slow bench-gil test-aarch64

all: test

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS): $(PY) Makefile
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check "setuptools>=64" wheel "Cython>=3" "numpy>=2" \
		pytest hypothesis pytest-benchmark scipy matplotlib scikit-learn
	touch $@

$(BUILT): $(DEPS) $(SOURCES)
	$(PY) -m pip install -q --disable-pip-version-check --no-build-isolation -e .
	touch $@

build: $(BUILT)

test: $(BUILT)
	bash tools/sanitize.sh
	$(PY) -m pytest -q tests -m "not slow"
	$(MAKE) --no-print-directory sanitize-ci

# the main job: ns/element of fastact vs the NumPy reference (and peers, where installed)
bench: $(BUILT)
	$(PY) -m fastact bench

# everything, with the peers (PyTorch, ONNX Runtime, numexpr, SciPy) installed first
bench-full: peers
	$(PY) -m fastact bench --peers
	$(PY) -m pytest -q bench --benchmark-only

peers: $(DEPS)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0 onnxruntime onnx numexpr scipy asv

accuracy: $(BUILT)
	$(PY) -m fastact accuracy

accuracy-exhaustive: $(BUILT)
	$(PY) -m fastact accuracy --exhaustive

asv: peers
	$(VENV)/bin/asv run --quick --python=same --show-stderr

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

fuzz: $(BUILT) $(VENV)/.atheris-stamp
	mkdir -p build/fuzz/corpus
	$(PY) tools/fuzz.py -max_total_time=$(SECONDS) -timeout=30 -rss_limit_mb=4096 \
		-artifact_prefix=build/fuzz/ -print_final_stats=1 build/fuzz/corpus

# the extension built with ASan+UBSan / TSan, driven by pytest (tools/sanitize_ext.sh): the
# whole suite (asan) or the threaded tests (tsan); sanitize-ci is the fast subset `make test` runs
asan: $(DEPS)
	bash tools/sanitize_ext.sh asan tests -q -x -p no:cacheprovider -m "not slow"

tsan: $(DEPS)
	bash tools/sanitize_ext.sh tsan

sanitize-ci: $(DEPS)
	bash tools/sanitize_ext.sh asan tests/test_refusals.py tests/test_fuzz_smoke.py \
		tests/test_api.py -q -x -p no:cacheprovider -k "not any_layout and not _env and not cli"
	FASTACT_CONCURRENCY_ROUNDS=1 bash tools/sanitize_ext.sh tsan tests/test_concurrency.py \
		-q -x -p no:cacheprovider

# 10^5 calls of every method of every function: no leak, refcounts unchanged (a few minutes)
memcheck: $(BUILT)
	FASTACT_LEAK_CALLS=100000 $(PY) -m pytest -q tests/test_memory.py

# huge arrays (> 2^31 elements; skipped when the memory is not there)
test-slow: $(BUILT)
	$(PY) -m pytest -q tests -m slow -rs

# two Python threads on two cores vs one (the GIL is released in the kernels)
bench-gil: $(BUILT)
	$(PY) tools/gil_bench.py

# the portable kernels and tests/c cross-compiled for aarch64 and run under qemu-user
test-aarch64:
	bash tools/test_aarch64.sh
