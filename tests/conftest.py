"""Shared fixtures: small generated data and fast settings (hashing embeddings, PCA, no UMAP)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

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
    from backend.sample_data import generate_opportunities

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
