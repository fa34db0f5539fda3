# Two commands set up a fresh machine (see README):
#   make run    install into .venv, run the local pipeline on the bundled sample, start the app
#   make test   install into .venv (test tools, the SageMaker SDK, Chromium), then run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
STORE ?= ./curator-data
PORT ?= 8501
ARGS ?=

.PHONY: install run app tune test browser bench lambda clean

install: $(STAMP)

# torch is installed first and pinned, so pip takes the CPU build instead of a CUDA one.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,sagemaker]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The sample run waits at layer 1's approval; running it again resumes it (nothing is redone).
run: $(STAMP)
	$(BIN)/topic-curator run --store $(STORE) --run-id sample $(ARGS)
	$(MAKE) --no-print-directory app

app: $(STAMP)
	mkdir -p .streamlit && cp streamlit_config.toml .streamlit/config.toml
	@echo "topic-curator app: http://127.0.0.1:$(PORT)  (store: $(STORE); Ctrl+C stops it)"
	TOPIC_CURATOR_STORE=$(STORE) $(BIN)/streamlit run app/main.py --server.port $(PORT)

# Search layer 1's parameters on the bundled sample (or ARGS='--input data.csv'); writes
# tuned-settings.toml for `topic-curator run --config tuned-settings.toml`.
tune: $(STAMP)
	$(BIN)/topic-curator tune --store $(STORE) $(ARGS)

# The browser test drives Debian's Chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium (sudo apt-get install chromium) for the browser test."; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest $(ARGS)

# The callback Lambda's zip (README, 'Runbook'): the handler and the backend modules it imports.
lambda: $(STAMP)
	$(BIN)/python -m pipeline.lambda_package --output build/callback-lambda.zip

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .streamlit test-artifacts
