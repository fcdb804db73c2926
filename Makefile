# fastact: `make test` and `make bench` do all setup on a fresh machine (a local venv in .venv).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEPS   := $(VENV)/.deps-stamp
BUILT  := $(VENV)/.build-stamp
SOURCES := $(wildcard csrc/*.c csrc/*.h csrc/*.inc src/fastact/*.pyx src/fastact/*.pxi) setup.py pyproject.toml

.PHONY: all build test test-isa bench bench-full bench-compare bench-baseline performance accuracy \
	accuracy-exhaustive peers asv asv-check sanitize golden clean
N ?= 10

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
	$(PY) -m pytest -q tests

# the main job: ns/element of fastact vs idiomatic NumPy/SciPy, the copy roofline, speedups
bench: $(BUILT)
	$(PY) -m fastact bench

# everything, with the peers (PyTorch, ONNX Runtime, OpenVINO, JAX, numexpr) installed first
bench-full: peers
	$(PY) -m fastact bench --peers
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

# asv history: the last N commits of main (default 10; `make asv N=5`), each built in its own
# virtualenv, then HEAD in the dev venv, then the dashboard (.asv/html); --quick: one sample
# per benchmark (the track_ ratios take medians themselves)
ASV := $(VENV)/bin/asv
asv: peers
	$(ASV) machine --yes >/dev/null
	mkdir -p build && git rev-list --max-count=$(N) main > build/asv-commits.txt
	nice -n 10 $(ASV) run --quick --show-stderr --skip-existing-commits HASHFILE:build/asv-commits.txt
	nice -n 10 $(ASV) run --quick --python=same --show-stderr \
		--set-commit-hash $$(git rev-parse HEAD)
	$(ASV) publish

# the published dashboard in headless Chromium (Debian's chromium + chromium-driver, Selenium):
# screenshots in build/, fails on a JS console error, a missing graph or an empty series
asv-check: $(DEPS)
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	$(PY) -m pip install -q --disable-pip-version-check selenium
	$(PY) tools/asv_check.py --html .asv/html --out build

# regenerate the exact oracle tests/data/golden.json (mpmath; the tests only read the file)
golden: $(DEPS)
	$(PY) -m pip install -q --disable-pip-version-check mpmath
	$(PY) tools/gen_golden.py

# the C kernels alone under AddressSanitizer + UBSan (also part of `make test`)
sanitize:
	bash tools/sanitize.sh

clean:
	rm -rf build src/fastact/_core.c src/fastact/*.so $(BUILT)
