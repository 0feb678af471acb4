# One entry point for each habit: `make demo`, `make test`, `make bench`.
# Every target sets up what it needs first (a virtualenv in .venv from the pinned files).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/python -m crawler.demo

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m crawler.bench

clean:
	rm -rf $(VENV) .pytest_cache data/demo.db data/demo.db-wal data/demo.db-shm
