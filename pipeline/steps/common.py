"""Paths and variables SageMaker gives a job, read in one place."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from backend.settings import Settings, load_settings
from backend.store.local import LocalStore

PROCESSING = Path("/opt/ml/processing")


def current_host() -> str:
    """This instance's name within the job ("algo-1", ...), from SageMaker's resource config."""
    config = Path(os.environ.get("SM_RESOURCE_CONFIG_PATH", "/opt/ml/config/resourceconfig.json"))
    if config.is_file():
        return str(json.loads(config.read_text()).get("current_host", "algo-1"))
    return os.environ.get("SM_CURRENT_HOST", "algo-1")


def hyperparameters() -> dict[str, str]:
    """Training hyperparameters (SageMaker passes them as JSON in SM_HPS, all values strings)."""
    return {k: str(v) for k, v in json.loads(os.environ.get("SM_HPS", "{}")).items()}


def settings_from(folder: Path | None) -> Settings:
    """The run's settings: TOPIC_CURATOR_SETTINGS (JSON), a settings file in ``folder``, or defaults."""
    if os.environ.get("TOPIC_CURATOR_SETTINGS"):
        from backend.settings import settings_from_dict

        return settings_from_dict(json.loads(os.environ["TOPIC_CURATOR_SETTINGS"]))
    if folder and folder.is_dir():
        for name in ("settings.toml", "settings.json"):
            if (folder / name).is_file():
                return load_settings(folder / name)
    return Settings()


def copy_tree(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, dirs_exist_ok=True)


def work_store(folder: Path) -> LocalStore:
    folder.mkdir(parents=True, exist_ok=True)
    return LocalStore(folder)
