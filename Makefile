# cloudlet: `make run` starts a local cloud, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test venv lint bench clean

$(BIN)/cloudlet: pyproject.toml
	PYTHON=$(PYTHON) bash scripts/system-deps.sh venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

venv: $(BIN)/cloudlet

run: venv
	bash scripts/system-deps.sh run || echo 'warning: without bubblewrap, Lambda functions cannot run'
	$(BIN)/cloudlet up

test:
	bash scripts/test.sh

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python bench/sqs.py

clean:
	rm -rf $(VENV) .cloudlet .pytest_cache .ruff_cache
