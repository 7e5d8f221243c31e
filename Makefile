# The two commands that matter: `make demo` (main job on the embedded default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-quick lint format bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tenderwatch demo

# Pytest runs 3 workers on 2 cores, and mypy (about 25 s from a cold cache) beside them: the
# end-to-end tests wait on servers and subprocesses, and the third worker and mypy fill that wait
# (2026-12-04, before the crawl launcher: pytest alone 4 min 12 s on 2 workers, 3 min 46 s on 3;
# 4 workers were slower than 2). mypy's report is printed after pytest's, and either failing fails the target.
test: $(STAMP)
	$(BIN)/ruff check .
	@mkdir -p var; $(BIN)/mypy > var/mypy.log 2>&1 & typing=$$!; \
	$(BIN)/pytest -n 3 --dist worksteal; tests=$$?; \
	wait $$typing; typed=$$?; echo "== mypy"; cat var/mypy.log; \
	test $$tests -eq 0 && test $$typed -eq 0

# The inner loop: everything but the end-to-end tests marked slow (subprocesses, servers, kills);
# `make test` (what CI runs) still runs them all.
test-quick: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist worksteal -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
