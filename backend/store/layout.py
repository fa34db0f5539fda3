"""Every artifact key of a run, in one place: the same keys in a local folder and under s3://bucket/prefix."""

from __future__ import annotations


def mapping_prefix(run_id: str, layer: int) -> str:
    return f"runs/{run_id}/mapping/layer{layer}"


def version_key(run_id: str, layer: int, version: int) -> str:
    return f"{mapping_prefix(run_id, layer)}/v{version:04d}.json"


def approved_key(run_id: str, layer: int) -> str:
    return f"{mapping_prefix(run_id, layer)}/approved.json"
