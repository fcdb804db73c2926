# fastact: `make test` and `make bench` do all setup on a fresh machine (a local venv in .venv).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEPS   := $(VENV)/.deps-stamp
BUILT  := $(VENV)/.build-stamp
SOURCES := $(wildcard csrc/*.c csrc/*.h csrc/*.inc src/fastact/*.pyx src/fastact/*.pxi) setup.py pyproject.toml

.PHONY: all build test test-isa bench bench-full accuracy accuracy-exhaustive peers asv sanitize golden clean

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
	$(PY) -m pytest -q tests

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
