"""Settings travel to SageMaker jobs as one object in the store, never inline.

A job's environment value holds at most 256 characters and a hyperparameter 2,500; the settings
JSON is about 2,400 and grows with every stop word. So ``sagemaker upsert`` and ``start`` write the
settings once under ``<store>/settings/<sha256>.json`` (content-addressed: the same settings give
the same key, and a written object never changes), and each job receives only that URI.
"""

from __future__ import annotations

import hashlib
import json

from backend.errors import AlreadyExistsError, SettingsError, StoreError
from backend.settings import Settings, settings_from_dict
from backend.store import ArtifactStore, open_store
from backend.store.layout import settings_object_key


def settings_json(settings: Settings) -> str:
    return json.dumps(settings.to_dict(), sort_keys=True, separators=(",", ":"))


def settings_key(settings: Settings) -> str:
    return settings_object_key(hashlib.sha256(settings_json(settings).encode("utf-8")).hexdigest()[:32])  # 128 bits


def settings_uri(settings: Settings) -> str:
    """Where the settings object lives (known offline, so the definition stays the same JSON)."""
    return f"{settings.sagemaker.store.rstrip('/')}/{settings_key(settings)}"


def publish_settings(store: ArtifactStore, settings: Settings) -> str:
    """Write the settings object once (an existing one is identical by construction). A conditional
    put needs only s3:PutObject; asking first would need s3:ListBucket to tell absent from denied."""
    key = settings_key(settings)
    try:
        store.write_bytes(key, settings_json(settings).encode("utf-8"), if_absent=True)
    except AlreadyExistsError:
        pass
    return store.uri(key)


def read_settings(uri: str) -> Settings:
    """The settings a job was given by URI (an s3:// object, or a file for local runs)."""
    folder, _, name = uri.rstrip("/").rpartition("/")
    if not folder or not name.endswith(".json"):
        raise SettingsError(f"{uri!r} does not name a settings object.", "Upsert the pipeline again.")
    try:
        data = open_store(folder).read_json(name)
    except StoreError as exc:
        raise SettingsError(f"The settings object {uri} cannot be read: {exc.problem}",
                            "Run topic-curator sagemaker upsert (it writes the object), then start again.") from exc
    return settings_from_dict(data)
