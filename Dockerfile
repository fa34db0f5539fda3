# One image: it serves the curation app, and its programs run the pipeline on SageMaker.
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

# SageMaker hosting may name the port in SAGEMAKER_BIND_TO_PORT; `serve` listens there (else 8080).
LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true

WORKDIR /opt/topic-curator

RUN pip install torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}

COPY pyproject.toml README.md ./
COPY backend ./backend
COPY pipeline ./pipeline
COPY app ./app
COPY pages ./pages
COPY streamlit_config.toml ./.streamlit/config.toml
COPY container/app /usr/local/bin/app
# `pip install .` puts the programs SageMaker runs on the PATH: `train` (training jobs) and `serve`
# (hosting); processing jobs run `python -m pipeline.steps.preprocess`. `prepare-models` exports
# the embedding backends (ONNX fp32 and int8, the static model) beside the bundled model, once.
RUN pip install . \
    && topic-curator prepare-models \
    && useradd --create-home --uid 1000 curator \
    && mkdir -p /data && chown curator /data

# No USER line: SageMaker's jobs run as root, as it mounts /opt/ml. The app (the default command)
# drops to the user `curator` itself (container/app).
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"

CMD ["app"]
