# satprofit — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
# PyTensor's compiled C cache lives inside the venv: shared by tests and kernels, removed with it.
export PYTENSOR_FLAGS := base_compiledir=$(CURDIR)/$(VENV)/pytensor-cache

SAMPLE := data/sample
SAMPLE_ARGS := --clients 80 --quarters 12 --seed 20240601
DEMO_RUN := runs/demo
# the models' default sampler settings (4 chains of 1000 draws after 1000 tuning steps)
DEMO_FIT := --chains 4 --draws 1000 --tune 1000

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name satprofit --display-name "Python (satprofit)" >/dev/null
	@touch $(STAMP)

.PHONY: help venv demo sample test test-all wheel-smoke bench lint format clean
help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and install satprofit with its dev extras (automatic)

demo: $(STAMP) ## the main job on the embedded default: simulate, fit, render reports into reports/demo
	$(VENV)/bin/satprofit simulate $(SAMPLE) $(SAMPLE_ARGS)
	@echo
	$(VENV)/bin/satprofit validate $(SAMPLE)
	@echo
	$(VENV)/bin/satprofit fit $(SAMPLE) --out $(DEMO_RUN) --reuse $(DEMO_FIT)
	@echo
	$(VENV)/bin/satprofit report $(SAMPLE) --run $(DEMO_RUN) --portfolio --top 3 --out reports/demo --quiet
	@echo
	$(VENV)/bin/satprofit survey-report --out reports/demo

sample: demo ## regenerate data/sample (same as demo)

# the suite runs on every core (pytest-xdist); a module's tests stay on one worker, so its
# fixtures (a fitted run, executed notebooks) are built once
PYTEST := $(PY) -m pytest -q -n auto --dist loadscope

test: $(STAMP) ## fast test suite (CI runs it and lint)
	$(PYTEST)

test-all: $(STAMP) ## every test, slow ones included
	$(PYTEST) -m "slow or not slow"

wheel-smoke: ## build the wheel, pip install it into a clean venv, simulate/fit/report outside the repo (CI)
	PYTHON=$(PYTHON) .ci/wheel_smoke

# Benchmarks run in their own venv: the bench extra pins packages (matplotlib<3.11 for Bambi)
# that must not change the .venv the tests use.
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp
BENCH_PYTHON ?= $(shell command -v python3.11 || echo $(PYTHON))

$(BENCH_STAMP): pyproject.toml
	@test -x $(BENCH_PY) || $(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -e '.[bench,dev]'
	@touch $(BENCH_STAMP)

bench: export PYTENSOR_FLAGS := base_compiledir=$(CURDIR)/$(BENCH_VENV)/pytensor-cache
bench: $(BENCH_STAMP) ## benchmarks against named baselines, in .venv-bench (bench extra)
	$(BENCH_PY) benchmarks/bench_features.py
	$(BENCH_PY) benchmarks/bench_causal.py
	$(BENCH_PY) benchmarks/bench_bayes.py

lint: $(STAMP) ## ruff lint and format check, and the layer contracts (import-linter; CI runs it)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

format: $(STAMP) ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks

clean: ## remove caches and .venv-bench (keeps .venv)
	rm -rf .pytest_cache .ruff_cache build dist src/*.egg-info $(BENCH_VENV)
