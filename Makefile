# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test bench bench-api transfer lint clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv if missing and install the project with its dev tools

run: install  ## serve the API on http://127.0.0.1:8000 (docs at /docs) with the model in model/
	$(BIN)/canhgiac serve --host 127.0.0.1 --port 8000

test: install  ## lint, then run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: install  ## benchmarks: normalizer, scoring, explanations (prints the figures)
	$(BIN)/python -m training.bench

transfer: install  ## real-scam recall of models fitted without any real scam (4-8 min; needs ../shared)
	$(BIN)/python -m training.transfer

bench-api: install  ## load-test the API: real uvicorn (2 workers), 50 clients on loopback; prints figures
	$(BIN)/python -m training.bench_api

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
