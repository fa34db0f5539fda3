# One image for the pipeline steps (and, later, the app). Code is baked in, so a SageMaker
# pipeline definition built against this image needs no upload at run time.
FROM python:3.11-slim

# The same installs as the Makefile: torch pinned first so pip takes no CUDA wheels by accident.
# On a build machine with the PyTorch CPU wheel index, pass --build-arg TORCH_INDEX_URL=<that index>.
ARG TORCH_INDEX_URL=

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache

WORKDIR /opt/topic-curator

RUN pip install torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}

# Dependencies first (cached layer), then the code.
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY pipeline ./pipeline
RUN pip install . \
    && useradd --create-home --uid 1000 curator \
    && mkdir -p /data && chown curator /data

USER curator
WORKDIR /data

ENTRYPOINT ["topic-curator"]
CMD ["--help"]
