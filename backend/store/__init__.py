"""Artifact storage with one interface for a local folder and ``s3://bucket/prefix``."""

from pathlib import Path

from backend.store.base import ArtifactStore
from backend.store.local import LocalStore
from backend.store.s3 import S3Store


def open_store(location: str | Path) -> ArtifactStore:
    """A store for a local folder or an ``s3://bucket/prefix`` URI."""
    text = str(location)
    if text.startswith("s3://"):
        return S3Store.from_uri(text)
    return LocalStore(Path(text))


__all__ = ["ArtifactStore", "LocalStore", "S3Store", "open_store"]
