"""Shared fixtures: small generated data and fast settings (hashing embeddings, PCA, no UMAP)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Property tests check what holds, never how fast: hypothesis's default 200 ms deadline per example
# (and its too-slow health check) failed a label test on a loaded CI machine. Speed is benchmarked.
hypothesis_settings.register_profile("no-timing", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("no-timing")

from backend.settings import Settings, settings_from_dict  # noqa: E402
from backend.store.local import LocalStore  # noqa: E402

FAST_SETTINGS = {
    "embedding": {"model": "hashing"},
    "layer": {"reducer": "pca", "coords": "pca"},
    "drilldown": {"min_parent_docs": 15, "docs_per_subtopic": 20, "auto_min_share": 0.03},
}


@pytest.fixture
def fast_settings() -> Settings:
    """Settings for unit tests: no model download, no numba compile."""
    return settings_from_dict(FAST_SETTINGS)


@pytest.fixture(scope="session")
def sample_records() -> pd.DataFrame:
    """400 generated opportunity records, as read from a CSV (all text)."""
    from backend.text.sample_data import generate_opportunities

    return generate_opportunities(400, seed=7).astype(str).replace({"nan": ""})


@pytest.fixture
def local_store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store")


@pytest.fixture
def s3_store():
    """An S3Store under s3://curator/team on moto's in-memory S3 (its boto3 client is ``.client``)."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    from backend.store.s3 import S3Store

    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="curator")
        yield S3Store("curator", "team", client=client)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    """moto's server on 127.0.0.1; yields the environment that points boto3 at it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(monkeypatch) -> Iterator[dict[str, str]]:
    """moto's server, with this test's boto3 pointed at it."""
    import boto3

    with moto_server() as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        boto3.setup_default_session()
        yield env
        boto3.DEFAULT_SESSION = None
