# pumpurs — `make help` lists the targets.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   ?= data/demo-national
SEED   ?= 1
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.DEFAULT_GOAL := help
.PHONY: help install reports demo test lint format bench lab clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project into it

$(DEMO)/expected_findings.csv: $(STAMP)
	$(VENV)/bin/pumpurs demo-data $(DEMO) --scale national --seed $(SEED)

demo: $(DEMO)/expected_findings.csv ## write the national demo data set to data/demo-national

reports: demo ## install, then run the main job on the national demo data
	$(VENV)/bin/pumpurs validate $(DEMO)
	$(VENV)/bin/pumpurs run $(DEMO) --all --workers $(WORKERS) --out reports

test: $(STAMP) ## install, then run the test suite (needs chromium and poppler-utils: README)
	@for tool in chromium pdftoppm; do command -v $$tool >/dev/null || \
	  echo "make test: $$tool is missing; the browser and PDF-page tests will fail. Install: apt-get install chromium poppler-utils"; done
	$(PY) -m pytest -n 2 -q

lint: $(STAMP) ## ruff (lint, format) and mypy (types)
	$(VENV)/bin/ruff check lib tests benchmarks notebooks tools
	$(VENV)/bin/ruff format --check lib tests benchmarks tools
	$(VENV)/bin/mypy

format: $(STAMP) ## ruff format and fix
	$(VENV)/bin/ruff format lib tests benchmarks tools
	$(VENV)/bin/ruff check --fix lib tests benchmarks tools

lab: $(STAMP) ## JupyterLab on the project's venv and kernel, opened in notebooks/
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

bench: $(STAMP) ## run the benchmarks, a few minutes (numbers go in README.md)
	$(PY) benchmarks/bench_load.py
	$(PY) benchmarks/bench_check.py
	$(PY) benchmarks/bench_batch.py --period 2021-H1
	$(PY) benchmarks/bench_cache.py
	$(PY) benchmarks/bench_hostile.py
	$(PY) benchmarks/bench_database.py

clean: ## remove generated data and reports (keeps .venv)
	rm -rf data reports/*/
