# The habits: `make tour`, `make test`, `make lint`, `make bench`.
# Each target makes its own virtual environment (.venv) from pyproject.toml first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: tour test lint typecheck unit bench clean test-local-server

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

bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .local-server .pytest_cache .mypy_cache .ruff_cache .hypothesis benchmarks/results
