# The two commands: `make demo` and `make test` (see README.md).
PY := $(shell sh scripts/find-python)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck install gate bench clean

$(VPY):
	@test -n "$(PY)" || { echo "no Python >= 3.11 found"; exit 1; }
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip

# uv installs the same versions as pip in ~65 s where pip takes ~2 min 10 s (fresh venv, 2 cores);
# pip installs them if uv cannot. --compile-bytecode as pip does: these machines set
# PYTHONDONTWRITEBYTECODE, so without .pyc files every process (each CLI test) compiles what it
# imports, and the tests took 566 s instead of 460.
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install -q uv && \
		$(VPY) -m uv pip install -q --compile-bytecode --python $(VPY) -e '.[dev]' \
		|| $(VPY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rustybt demo

lint: $(STAMP)
	$(VENV)/bin/ruff check rustybt tests benchmarks examples
	$(VENV)/bin/mypy

# the regression gate (~10-25 s): optimized vs baseline speedups against benchmarks/gate_baseline.json
gate: $(STAMP)
	$(VPY) benchmarks/gate.py

test: $(STAMP) lint gate
	$(VPY) -m pytest -q -n 2 --dist loadgroup --cov --cov-report=term:skip-covered --cov-fail-under=90 --durations=10

# the production-scale suite; writes docs/performance/characteristics.md (BENCH_ARGS=--quick: < 5 min)
bench: $(STAMP)
	$(VPY) benchmarks/suite.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
