# Two commands: `make train` (set up, then the main job) and `make test` (set up, then the tests).
PYTHON ?= python3
VENV   ?= .venv
# The torch requirement, installed before the project (which asks only for torch>=2.2). On this
# project's machines pip takes the CPU build from local disk. For another build, e.g. CUDA:
#   make clean && make train TORCH='torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126'
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup train test test-fast lint bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

train: $(STAMP)
	$(BIN)/cbow-torch fit --config configs/default.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)  # while developing: the tests not marked slow
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean:  # the environment and the runs; the id cache stays in ~/.cache/cbow_torch
	rm -rf $(VENV) runs
