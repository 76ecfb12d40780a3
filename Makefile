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

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name satprofit --display-name "Python (satprofit)" >/dev/null
	@touch $(STAMP)

.PHONY: help venv demo sample test test-all bench lint format clean
help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and install satprofit with its dev extras (automatic)

demo: $(STAMP) ## the main job on the embedded default: simulate, validate, estimate every question
	$(VENV)/bin/satprofit simulate $(SAMPLE) $(SAMPLE_ARGS)
	@echo
	$(VENV)/bin/satprofit validate $(SAMPLE)
	@echo
	$(VENV)/bin/satprofit estimate $(SAMPLE)

sample: demo ## regenerate data/sample (same as demo)

test: $(STAMP) ## fast test suite (what CI runs)
	$(PY) -m pytest -q

test-all: $(STAMP) ## every test, slow ones included
	$(PY) -m pytest -q -m "slow or not slow"

bench: $(STAMP) ## benchmarks against named baselines (installs the bench extra)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_features.py
	$(PY) benchmarks/bench_causal.py

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

format: $(STAMP) ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks

clean: ## remove caches (keeps .venv)
	rm -rf .pytest_cache .ruff_cache build dist src/*.egg-info
