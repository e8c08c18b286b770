# pumpurs — `make help` lists the targets.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   ?= data/demo-national
SEED   ?= 1
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
KERNEL := $(VENV)/share/jupyter/kernels/pumpurs/kernel.json
# JupyterLab refuses to start as root unless told: a container runs as root.
ROOT_OK := $(if $(filter 0,$(shell id -u)),--allow-root)
# The API reference: the analyst's front door and the library layers under it.
API_MODULES := pumpurs pumpurs.api pumpurs.present.styler pumpurs.present.frames pumpurs.core pumpurs.sources pumpurs.report

.DEFAULT_GOAL := help
.PHONY: help install deps system-deps reports demo test lint format bench lab docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# The named kernel "PuMPuRS" for notebooks opened in JupyterLab; the batch keeps python3.
$(KERNEL): $(STAMP)
	$(PY) -m ipykernel install --sys-prefix --name pumpurs --display-name PuMPuRS >/dev/null

install: $(STAMP) $(KERNEL) ## create .venv, install the project and the PuMPuRS kernel into it

$(DEMO)/expected_findings.csv: $(STAMP)
	$(VENV)/bin/pumpurs demo-data $(DEMO) --scale national --seed $(SEED)

demo: $(DEMO)/expected_findings.csv ## write the national demo data set to data/demo-national

reports: demo ## install, then run the main job on the national demo data
	$(VENV)/bin/pumpurs validate $(DEMO)
	$(VENV)/bin/pumpurs run $(DEMO) --all --workers $(WORKERS) --out reports

deps: ## install the system packages the tests need (Debian, as root): Chromium, poppler-utils, fonts, PostgreSQL
	tools/system-deps install

# Before anything is installed: what is missing is installed (root with apt-get), or the
# test run stops at once saying what to run; never half the suite red.
system-deps:
	@VENV=$(VENV) tools/system-deps ensure

test: system-deps $(STAMP) ## install what is missing (system packages as root, the venv), then run the test suite
	$(PY) -m pytest -n 2 -q

lint: $(STAMP) ## ruff (lint, format) and mypy (types)
	$(VENV)/bin/ruff check lib tests benchmarks notebooks tools
	$(VENV)/bin/ruff format --check lib tests benchmarks tools
	$(VENV)/bin/mypy

format: $(STAMP) ## ruff format and fix
	$(VENV)/bin/ruff format lib tests benchmarks tools
	$(VENV)/bin/ruff check --fix lib tests benchmarks tools

lab: $(KERNEL) ## JupyterLab on the project's venv and its PuMPuRS kernel, opened in notebooks/
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_OK)

docs: $(STAMP) ## the API reference from the docstrings, into docs/api/ (open docs/api/index.html)
	rm -rf docs/api
	$(VENV)/bin/pdoc --docformat markdown --output-directory docs/api $(API_MODULES)

bench: $(STAMP) ## run the benchmarks, a few minutes (numbers go in docs/performance.md)
	$(PY) benchmarks/bench_load.py
	$(PY) benchmarks/bench_check.py
	$(PY) benchmarks/bench_batch.py --period 2021-H1
	$(PY) benchmarks/bench_cache.py
	$(PY) benchmarks/bench_hostile.py
	$(PY) benchmarks/bench_database.py

clean: ## remove generated data and reports (keeps .venv)
	rm -rf data reports/*/
