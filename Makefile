# Two commands on a fresh machine:  `make study` (the mini study end to end) and `make test`.
# Set-up is part of both: a virtual environment in .venv with the project installed.
# TORCH pins the CPU wheel for the development machines; on a GPU cluster pass e.g.
# `make setup TORCH="torch>=2.4"` to get the CUDA build instead.

VENV ?= .venv
PYTHON ?= python3
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
RUN := PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: setup study smoke test test-fast lint format floors

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# The mini study end to end, then its HTML report (every table and figure, and report/summary.md).
study: setup
	$(RUN) snakemake
	$(RUN) snakemake --report results/mini/report.html

smoke: setup
	$(RUN) snakemake --configfile config/smoke.yaml

test: setup
	$(RUN) python -m pytest

# Unit tests only (tests/unit; nothing marked integration: no Snakemake study, no subprocess
# fine-tune or benchmark script), one worker per core, a test file's tests on one worker so its
# module fixtures are built once: the quick loop while editing.
test-fast: setup
	$(RUN) python -m pytest -m "not integration" -n auto --dist loadfile

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) snakemake --lint
	$(RUN) lint-imports

# The declared version floors of transformers, accelerate and peft really run the code.
floors: setup
	$(RUN) python .ci/check_floors.py

format: setup
	$(RUN) ruff check --fix .
	$(RUN) ruff format .
