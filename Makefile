# One dev loop: `make test` sets up .venv, then lint + tests + evals.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: setup run test lint unit evals bench browser clean

$(BIN)/lodestone: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -qq -c constraints.txt torch==2.13.0
	$(BIN)/pip install -qq -c constraints.txt -e '.[dev]'
	touch $(BIN)/lodestone

setup: $(BIN)/lodestone

browser: setup
	@command -v chromium >/dev/null && [ -d /usr/share/fonts/truetype/noto ] || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null)

run: setup
	$(BIN)/lodestone index build
	$(BIN)/lodestone web

lint: setup
	$(BIN)/ruff check assistant tests evals bench

unit: setup browser
	$(BIN)/pytest -q

evals: setup
	$(BIN)/lodestone index build
	$(BIN)/lodestone eval --gate

test: lint unit evals

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf index data .pytest_cache evals/report
