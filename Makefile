# Two commands set up a fresh machine (see README):
#   make run    install into .venv, then run the local pipeline on the bundled sample data
#   make test   install into .venv (with test tools), then run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
STORE ?= ./curator-data
ARGS ?=

.PHONY: install run test bench clean

install: $(STAMP)

# torch is installed first and pinned, so pip takes the CPU build instead of a CUDA one.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/topic-curator run --store $(STORE) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
