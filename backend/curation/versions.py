"""Saved mapping versions (v0001.json, ...) and the approved one, written so none is ever overwritten.

Versions are never overwritten: each save is a conditional write of the next number, so when two
people save at once one of them is told, not silently overwritten. ``approved.json`` is written
once; a second approval of the same layer is refused, and once it exists the layer is read-only:
no further version is saved, so what the app shows is what was approved and what is exported.
"""

from __future__ import annotations

import re

from backend.clock import now
from backend.curation.mapping import Mapping, mapping_from_dict
from backend.errors import (
    AlreadyExistsError,
    MappingError,
    RunStateError,
    SaveConflictError,
)
from backend.store import ArtifactStore
from backend.store.layout import approved_key, mapping_prefix, version_key

VERSION_FILE = re.compile(r"v(\d{4,})\.json$")


def version_numbers(store: ArtifactStore, run_id: str, layer: int) -> list[int]:
    keys = store.list(mapping_prefix(run_id, layer))
    return sorted(int(m.group(1)) for k in keys if (m := VERSION_FILE.search(k)))


def save_version(store: ArtifactStore, mapping: Mapping, created_by: str) -> Mapping:
    """Save ``mapping`` as the version after the one it was edited from (``mapping.version``).

    The write is conditional: if someone saved that number first, SaveConflictError says who and
    when, and nothing is overwritten; the caller keeps its unsaved operations to replay.
    """
    refuse_if_approved(store, mapping.run_id, mapping.layer)
    parent = mapping.version
    if parent is not None and parent not in version_numbers(store, mapping.run_id, mapping.layer):
        raise MappingError(
            f"The mapping says it was edited from version {parent} of layer {mapping.layer}, which was never saved.",
            f"Start from a saved version: topic-curator mapping {mapping.run_id} --output mapping.json "
            "writes the latest; keep its \"version\" as it is.")
    version = (parent or 0) + 1
    saved = mapping.with_meta(version=version, parent_version=parent, created_by=created_by,
                              created_at=now(), approved_by=None, approved_at=None)
    key = version_key(mapping.run_id, mapping.layer, version)
    try:
        store.write_json(key, saved.to_dict(), if_absent=True)
    except AlreadyExistsError:
        latest = load_version(store, mapping.run_id, mapping.layer)
        raise SaveConflictError(
            f"{latest.created_by or 'Someone'} saved version {latest.version} of the layer-{mapping.layer} mapping "
            f"at {latest.created_at}, after you loaded version {parent}.",
            "Your unsaved changes are kept: replay them onto the newer version (conflicts are listed), then save.",
            latest_version=latest.version,
        ) from None
    return saved


def load_version(store: ArtifactStore, run_id: str, layer: int, version: int | None = None) -> Mapping:
    """A saved version (the latest when ``version`` is None)."""
    numbers = version_numbers(store, run_id, layer)
    if not numbers:
        raise RunStateError(f"Layer {layer} of run {run_id} has no saved mapping yet.")
    version = numbers[-1] if version is None else version
    return mapping_from_dict(store.read_json(version_key(run_id, layer, version)))


def load_approved(store: ArtifactStore, run_id: str, layer: int) -> Mapping | None:
    key = approved_key(run_id, layer)
    return mapping_from_dict(store.read_json(key)) if store.exists(key) else None


def write_approved(store: ArtifactStore, mapping: Mapping, approved_by: str) -> Mapping:
    """Mark ``mapping`` (a saved version) approved; only the first approval of a layer wins.

    Writing the same version again returns the approval already written (a retry after a crash).
    """
    approved = mapping.with_meta(approved_by=approved_by, approved_at=now())
    try:
        store.write_json(approved_key(mapping.run_id, mapping.layer), approved.to_dict(), if_absent=True)
    except AlreadyExistsError:
        existing = load_approved(store, mapping.run_id, mapping.layer)
        if existing is not None and existing.version == mapping.version:
            return existing
        who = f" by {existing.approved_by} at {existing.approved_at}" if existing else ""
        raise RunStateError(
            f"Layer {mapping.layer} of run {mapping.run_id} was already approved{who}.",
            "Nothing to do: the run has already moved on.",
        ) from None
    return approved


def refuse_if_approved(store: ArtifactStore, run_id: str, layer: int) -> None:
    """Approved layers are read-only: raise RunStateError saying who approved which version."""
    approved = load_approved(store, run_id, layer)
    if approved is not None:
        raise read_only_error(approved)


def read_only_error(approved: Mapping) -> RunStateError:
    return RunStateError(
        f"Layer {approved.layer} was approved at version {approved.version} by {approved.approved_by} "
        f"({approved.approved_at}); an approved layer is read-only.",
        "Curate the next layer instead, or start a new run to curate this one again.",
    )


def require_approved(store: ArtifactStore, run_id: str, layer: int) -> Mapping:
    mapping = load_approved(store, run_id, layer)
    if mapping is None:
        raise RunStateError(
            f"Layer {layer} of run {run_id} is not approved yet.",
            f"Approve it first: topic-curator approve {run_id}",
        )
    return mapping
