# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test bench lint clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv if missing and install the project with its dev tools

run: install  ## until the API lands: normalize a sample message with the CLI
	$(BIN)/canhgiac normalize "$$(head -n 1 data/samples/messages.jsonl | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["text"])')"

test: install  ## lint, then run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: install  ## benchmarks: normalizer, scoring, explanations (prints the figures)
	$(BIN)/python -m training.bench

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
