# One entry point for each habit: `make demo`, `make test`, `make bench`.
# Every target sets up what it needs first (a virtualenv in .venv from the pinned files).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

REPLAY := .venv-replay
REPLAY_STAMP := $(REPLAY)/.installed

.PHONY: setup browser replay-tools demo explore test unit bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# pywb, a replay tool no one here wrote, in its own virtualenv: the tests open the WARC
# files with it (it pins libraries the crawler must not share).
$(REPLAY_STAMP): requirements-replay.txt
	$(PYTHON) -m venv $(REPLAY)
	$(REPLAY)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-replay.txt
	touch $(REPLAY_STAMP)

replay-tools: $(REPLAY_STAMP)

# Debian's Chromium, for pages that need JavaScript (and their tests); Playwright's own
# browser download is not used.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# `make demo PORT=8800` when 8725 is taken: the archive stays the same whatever the port.
demo: setup
	$(BIN)/python -m devtools.demo $(if $(PORT),--port $(PORT))

# Datasette on 127.0.0.1:8001, read-only: `make explore DB=data/blog.db` for the real archive.
DB ?= data/demo.db
explore: setup
	$(BIN)/python -m crawler.explore $(DB)

test: setup browser replay-tools
	$(BIN)/python -m pytest

# The unit tests alone, in seconds: no replica, crawl, browser or server.
unit: setup
	$(BIN)/python -m pytest -m "not e2e"

bench: setup
	$(BIN)/python -m devtools.bench

clean:
	rm -rf $(VENV) $(REPLAY) .pytest_cache data/demo.db data/demo.db-wal data/demo.db-shm
