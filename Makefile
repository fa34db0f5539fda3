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

.PHONY: install run app tune test browser bench quality quality-tables lambda clean

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

# bench/QUALITY.md: `make quality-tables` reprints every table from bench/results/ (seconds);
# `make quality` measures everything again first (about two hours on 2 cores; needs ../shared/data).
QUALITY_BEFORE := --config bench/configs/defaults-before-2026-12.toml
quality: $(STAMP)
	$(BIN)/python bench/quality.py --corpora bbc generated --runs 3 --json bench/results/quality-defaults.json
	$(BIN)/python bench/quality.py --corpora 20ng --runs 3 --json bench/results/quality-20ng.json
	$(BIN)/python bench/quality.py --corpora bbc generated 20ng --runs 3 --models ours $(QUALITY_BEFORE) \
	  --label "ours, defaults before 2026-12" --json bench/results/quality-before.json
	$(BIN)/python bench/quality.py --corpora bbc --runs 3 --models ours --config bench/configs/tuned-bbc-all-models.toml \
	  --label "ours on tfidf-svd, tuned for BBC" --json bench/results/quality-tfidf.json
	$(BIN)/python bench/levers.py --json bench/results/levers.json
	$(BIN)/python bench/keywords.py --json bench/results/keywords.json
	$(BIN)/python bench/drilldown.py --json bench/results/drilldown.json
	rm -f bench/results/effort.json
	$(BIN)/python bench/effort.py $(QUALITY_BEFORE) --label "defaults before 2026-12" --json bench/results/effort.json
	$(BIN)/python bench/effort.py --json bench/results/effort.json
	$(BIN)/python bench/labels.py --json bench/results/labels.json
	$(BIN)/python bench/effort.py --config bench/configs/drilldown-40.toml --label "drilldown.docs_per_subtopic = 40" \
	  --json bench/results/effort.json
	$(BIN)/python bench/effort.py --config bench/configs/drilldown-90.toml --label "drilldown.docs_per_subtopic = 90" \
	  --json bench/results/effort.json
	$(BIN)/python bench/effort.py --config bench/configs/umap-neighbours-30.toml --label "layer.umap_n_neighbors = 30" \
	  --json bench/results/effort.json
	$(BIN)/python bench/effort.py --config bench/configs/umap-components-5.toml --label "layer.umap_n_components = 5" \
	  --json bench/results/effort.json
	$(BIN)/python bench/embeddings.py --json bench/results/embeddings.json
	$(BIN)/python bench/sampling.py --json bench/results/sampling.json
	$(MAKE) --no-print-directory quality-tables

quality-tables: $(STAMP)
	$(BIN)/python bench/tables.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .streamlit test-artifacts
