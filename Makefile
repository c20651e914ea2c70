# semclust: every set-up step a fresh machine needs lives here.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
LS_VENV ?= .venv-labelstudio
LS_SPEC ?= label-studio==1.23.2
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install system-deps labelstudio demo test test-fast lint bench clean help

help:
	@echo "make demo    - install, then run the whole method on the bundled demo data"
	@echo "make test    - install, then run the test suite"
	@echo "make install - create $(VENV) and install semclust (idempotent)"

# The stamp depends on pyproject.toml: a second run with nothing changed takes seconds.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[all,test]"
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (never a browser download).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing Debian's chromium (browser tests)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# Label Studio in its own virtualenv: its pins differ from ours.
$(LS_VENV)/.installed:
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install -q "$(LS_SPEC)"
	touch $@

# Its first start migrates an empty database (2-4 minutes on 2 cores): done once here,
# at set-up time, so the round-trip test starts from a copy of the migrated database.
$(LS_VENV)/semclust-test-data/label_studio.sqlite3: $(LS_VENV)/.installed $(VENV)/.installed
	$(BIN)/python tests/support/labelstudio_server.py
	touch $@

labelstudio: $(LS_VENV)/semclust-test-data/label_studio.sqlite3

demo: install
	$(BIN)/semclust demo $(DEMO_ARGS)

# Chromium and Label Studio are needed by a few end-to-end tests only: if either cannot be
# installed, say so loudly and go on; those tests then skip naming the reason, or FAIL
# naming it where CI is set (a CI run never goes green without them).
test: install
	@$(MAKE) --no-print-directory system-deps || echo "WARNING: Chromium could not be installed: the browser tests will be skipped (failed under CI)"
	@$(MAKE) --no-print-directory labelstudio || echo "WARNING: $(LS_VENV) could not be built: the Label Studio round trip will be skipped (failed under CI)"
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser and not labelstudio" $(PYTEST_ARGS)

bench: install
	for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(LS_VENV) studies .pytest_cache
