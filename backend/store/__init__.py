"""Artifact storage with one interface for a local folder and ``s3://bucket/prefix``."""

from backend.store.base import ArtifactStore, open_store

__all__ = ["ArtifactStore", "open_store"]
