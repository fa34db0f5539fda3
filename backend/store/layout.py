"""Every artifact key, in one place: the same keys in a local folder and under s3://bucket/prefix.

    runs/<run_id>/run.json                                 the run record
    runs/<run_id>/progress.json                            the latest progress of background work
    runs/<run_id>/lease/<generation>.json                  who runs the run now (one writer per run)
    runs/<run_id>/input/records.parquet                    the run's own copy of its input
    runs/<run_id>/preprocess/docs.parquet                  cleaned documents
    runs/<run_id>/embeddings/<model>.npy (.state.npz)      vectors (and a fitted embedder's state)
    runs/<run_id>/layer<N>/{assignments.parquet, reduced.npy, topics.json, doc_terms.npz}
    runs/<run_id>/layer<N>/model/, layer<N>/<parent>/model/   BERTopic (safetensors)
    runs/<run_id>/mapping/layer<N>/v0001.json, approved.json, drafts/<user>-<hash>.json
    runs/<run_id>/approvals/<step>.json, answers/<step>.<token>.json (.resumed)
    runs/<run_id>/labels/final.parquet (.csv), tree.json
    runs/<run_id>/model/                                   the inference model
    cache/embeddings/<model>/<shard>.npz                   vectors by text hash, shared by runs
    samples/opportunities-<rows>-seed<seed>.csv           the bundled sample, generated once
    settings/<sha256>.json                                 SageMaker: the settings object jobs read
    shards/<execution id>/<host>/…, jobs/<job>/output/     SageMaker: processing and training output
"""

from __future__ import annotations

import hashlib
import re

RUNS = "runs"
SHARDS = "shards"
JOBS = "jobs"
_RUN_RECORD = re.compile(r"^runs/([^/]+)/run\.json$")
_APPROVAL = re.compile(r"^runs/[^/]+/approvals/[^/]+\.json$")


# Runs ------------------------------------------------------------------------------------------

def run_prefix(run_id: str) -> str:
    return f"{RUNS}/{run_id}"


def run_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}/run.json"


def run_ids(keys: list[str]) -> list[str]:
    """The run ids among a listing of ``runs/``."""
    return sorted({m.group(1) for k in keys if (m := _RUN_RECORD.match(k))})


def lease_prefix(run_id: str) -> str:
    return f"{run_prefix(run_id)}/lease"


def lease_key(run_id: str, generation: int) -> str:
    return f"{lease_prefix(run_id)}/{generation:06d}.json"


def lease_generation(key: str) -> int | None:
    """The generation a lease key names (None for any other key)."""
    match = re.search(r"/lease/(\d{6})\.json$", key)
    return int(match.group(1)) if match else None


def progress_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}/progress.json"


def records_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}/input/records.parquet"


DOCS = "preprocess/docs.parquet"  # within a run's folder


def docs_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}/{DOCS}"


def embeddings_key(run_id: str, model_name: str) -> str:
    return f"{run_prefix(run_id)}/embeddings/{model_name}.npy"


def embedder_state_key(run_id: str, model_name: str) -> str:
    return f"{run_prefix(run_id)}/embeddings/{model_name}.state.npz"


# Layers ----------------------------------------------------------------------------------------

def layer_prefix(run_id: str, layer: int) -> str:
    return f"{run_prefix(run_id)}/layer{layer}"


# A fitted layer's files.
ASSIGNMENTS, REDUCED, TOPICS, DOC_TERMS = "assignments.parquet", "reduced.npy", "topics.json", "doc_terms.npz"


def layer_key(run_id: str, layer: int, name: str) -> str:
    """One of a fitted layer's files (ASSIGNMENTS, REDUCED, TOPICS, DOC_TERMS)."""
    return f"{layer_prefix(run_id, layer)}/{name}"


def bertopic_prefix(run_id: str, layer: int, parent: str | None = None) -> str:
    """Where a layer's BERTopic model is saved (one per parent topic below layer 1)."""
    base = layer_prefix(run_id, layer)
    return f"{base}/{parent}/model" if parent else f"{base}/model"


# Mappings --------------------------------------------------------------------------------------

def mapping_folder(layer: int) -> str:
    """A layer's mapping versions, within a run's folder."""
    return f"mapping/layer{layer}"


def mapping_prefix(run_id: str, layer: int) -> str:
    return f"{run_prefix(run_id)}/{mapping_folder(layer)}"


def version_key(run_id: str, layer: int, version: int) -> str:
    return f"{mapping_prefix(run_id, layer)}/v{version:04d}.json"


def approved_key(run_id: str, layer: int) -> str:
    return f"{mapping_prefix(run_id, layer)}/approved.json"


def draft_key(run_id: str, layer: int, user: str) -> str:
    """One draft file per user: a readable slug of the name plus a short hash of the exact name, so
    names that differ only in characters the slug drops ("a?" and "a!") never share a draft."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", user)[:40] or "anonymous"
    digest = hashlib.sha256(user.encode("utf-8")).hexdigest()[:10]
    return f"{mapping_prefix(run_id, layer)}/drafts/{slug}-{digest}.json"


# Approvals -------------------------------------------------------------------------------------

def approvals_prefix(run_id: str) -> str:
    return f"{run_prefix(run_id)}/approvals"


def approval_key(run_id: str, step: str) -> str:
    return f"{approvals_prefix(run_id)}/{step}.json"


def is_approval_key(key: str) -> bool:
    return bool(_APPROVAL.match(key))


def answer_key(run_id: str, step: str, token: str) -> str:
    return f"{approvals_prefix(run_id)}/answers/{step}.{token}.json"


def resume_key(run_id: str, step: str, token: str) -> str:
    return f"{approvals_prefix(run_id)}/answers/{step}.{token}.resumed"


# Results ---------------------------------------------------------------------------------------

def labels_key(run_id: str, suffix: str = "parquet") -> str:
    return f"{run_prefix(run_id)}/labels/final.{suffix}"


def tree_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}/labels/tree.json"


def model_prefix(run_id: str) -> str:
    return f"{run_prefix(run_id)}/model"


# Shared across runs ----------------------------------------------------------------------------

def embedding_cache_prefix(model_slug: str) -> str:
    return f"cache/embeddings/{model_slug}"


def embedding_cache_key(model_slug: str, shard_id: str) -> str:
    return f"{embedding_cache_prefix(model_slug)}/{shard_id}.npz"


def damaged_fix(key: str) -> str:
    """What to do about an artifact that cannot be parsed, by what it is."""
    if key.startswith("cache/"):
        return "Delete that file: what it held is embedded again by the next run."
    if re.match(r"^runs/[^/]+/labels/", key):
        return "Delete that file and export again: export rebuilds the labels from the approved layers."
    run = re.match(r"^runs/([^/]+)/", key)
    start_again = " (or start a new run from the same input: topic-curator run --input ...; cached embeddings make it quick)" \
        if run else ""
    return ("It was cut short or changed after it was written (a full disk, an interrupted copy). Restore it from a "
            f"backup of the store{start_again}.")


def sample_key(rows: int, seed: int) -> str:
    return f"samples/opportunities-{rows}-seed{seed}.csv"


def settings_object_key(digest: str) -> str:
    return f"settings/{digest}.json"
