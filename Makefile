# The habits: `make tour`, `make test`, `make lint`, `make bench`, `make docs`; before a release,
# `make package` (the distributions, installed and imported, and the lowest versions).
# Each target makes its own virtual environment (.venv) from pyproject.toml first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: tour test lint typecheck unit bench docs clean test-local-server \
	dist packaging lowest package

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

tour: $(STAMP)
	$(PY) examples/tour.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q -n 2

test: lint typecheck unit

# Record the local-server cassettes from a real model server, then replay them and compare.
LOCAL := MIXROUTE_CASSETTE_SOURCE=local-server MIXROUTE_API_KEY=local-server-key \
	MIXROUTE_BASE_URL=http://127.0.0.1:8765/v1
test-local-server: $(STAMP)
	$(PY) scripts/local_server.py install
	$(PY) scripts/local_server.py start
	$(LOCAL) $(PY) -m pytest -q -m local_server --record-mode=all; \
		status=$$?; $(PY) scripts/local_server.py stop; exit $$status
	$(PY) -m pytest -q -m local_server

# The sdist and the wheel, built as a release would build them, and checked for PyPI.
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

# uv makes the throwaway environments: the machine's own Python, never a downloaded one.
UV := UV_PYTHON_DOWNLOADS=never $(PY) -m uv

# The built wheel installed into fresh environments (plain and each extra), every public
# import path tried, and PYPI.md's examples run against a local stand-in for the gateway.
packaging: dist
	MIXROUTE_DIST_DIR=dist $(PY) -m pytest -q -n 2 --dist loadgroup -m packaging tests/packaging

# The tests at the lowest versions pyproject.toml allows: each direct dependency at its
# floor, the rest at their newest, in fresh environments. The core's tests run with
# `[test-core]` alone, where httpx, httpcore, pydantic and aiohttp can reach their floors
# (the frameworks' own requirements lift them); the rest run with `[test]`.
LOWEST := build/lowest
# Of tests/core, one test needs both frameworks: it runs in the second environment.
CORE_NEEDS_FRAMEWORKS := tests/core/test_package.py::test_importing_the_packages_does_not_load_the_http_stack
CORE_RUN_ALONE := $(filter-out tests/core/test_package.py,$(wildcard tests/core/test_*.py))
lowest: $(STAMP)
	rm -rf $(LOWEST)
	$(UV) venv --quiet --python $(PY) $(LOWEST)/core
	$(UV) pip install --quiet --python $(LOWEST)/core/bin/python --resolution lowest-direct \
		-e '.[test-core]'
	$(LOWEST)/core/bin/python -m pytest -q -n 2 tests/core tests/testing/test_vcr_kit.py \
		--deselect $(CORE_NEEDS_FRAMEWORKS)
	$(UV) venv --quiet --python $(PY) $(LOWEST)/all
	$(UV) pip install --quiet --python $(LOWEST)/all/bin/python --resolution lowest-direct \
		-e '.[test]'
	$(LOWEST)/all/bin/python -m pytest -q -n 2 -m "not packaging" \
		$(addprefix --ignore=,$(CORE_RUN_ALONE))

package: dist packaging lowest

# The benchmark, then its results committed beside the charts drawn from them (docs/benchmarks/).
bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) -m benchmarks.run
	cp benchmarks/results/latest.json docs/benchmarks/results.json
	$(PY) -m benchmarks.charts docs/benchmarks/results.json

# The documentation site, built strictly into site/: a warning, a broken link or anchor, or a
# reference to a name the code no longer has fails it. It never runs a benchmark.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .local-server .pytest_cache .mypy_cache .ruff_cache .hypothesis benchmarks/results dist build site
