# One image: it serves the curation app, and its entry points run the pipeline steps on SageMaker.
# Code is baked in, so a SageMaker pipeline built on this image needs no upload at run time.
FROM python:3.11-slim

# The same installs as the Makefile: torch pinned first so pip takes no CUDA wheels by accident.
# On a build machine with the PyTorch CPU wheel index, pass --build-arg TORCH_INDEX_URL=<that index>.
ARG TORCH_INDEX_URL=

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    TOPIC_CURATOR_STORE=/data

WORKDIR /opt/topic-curator

RUN pip install torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}

COPY pyproject.toml README.md ./
COPY backend ./backend
COPY pipeline ./pipeline
COPY app ./app
COPY pages ./pages
COPY streamlit_config.toml ./.streamlit/config.toml
RUN pip install . \
    && useradd --create-home --uid 1000 curator \
    && mkdir -p /data && chown curator /data \
    && printf '#!/bin/sh\nexec python -m pipeline.steps.train_layer "$@"\n' > /usr/local/bin/train \
    && printf '#!/bin/sh\nexec python -m pipeline.serve "$@"\n' > /usr/local/bin/serve \
    && chmod +x /usr/local/bin/train /usr/local/bin/serve

USER curator
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"

# Default: serve the app on all interfaces. SageMaker runs `train` (training jobs), `serve` (model
# hosting) and `python -m pipeline.steps.preprocess` (processing); locally: `topic-curator ...`.
CMD ["streamlit", "run", "app/main.py", "--server.address", "0.0.0.0"]
