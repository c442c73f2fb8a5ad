# The two commands: `make demo` and `make test` (see README.md).
PY := $(shell sh scripts/find-python)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck install bench clean

$(VPY):
	@test -n "$(PY)" || { echo "no Python >= 3.11 found"; exit 1; }
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rustybt demo

lint: $(STAMP)
	$(VENV)/bin/ruff check rustybt tests benchmarks examples
	$(VENV)/bin/mypy

test: $(STAMP) lint
	$(VPY) -m pytest -q -n 2 --dist loadgroup --cov --cov-report=term:skip-covered --cov-fail-under=90 --durations=10

bench: $(STAMP)
	$(VPY) benchmarks/history.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
