"""The house rules that keep the layers apart (DESIGN.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOTO_ADAPTERS = {"backend/store/s3.py", "backend/runs/callbacks.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_backend_imports_neither_streamlit_nor_sagemaker_and_boto3_only_in_adapters():
    for path in files("backend"):
        modules = imported_modules(path)
        relative = path.relative_to(ROOT).as_posix()
        assert not modules & {"streamlit", "sagemaker", "app", "pages", "pipeline"}, relative
        if relative not in BOTO_ADAPTERS:
            assert not modules & {"boto3", "botocore"}, relative


def test_pages_talk_to_backend_services_only():
    for path in files("pages"):
        source = path.read_text(encoding="utf-8")
        assert not imported_modules(path) & {"boto3", "botocore", "pipeline"}, path.name
        assert "open(" not in source and "Path(" not in source, path.name


def test_app_never_imports_pages():
    for path in files("app"):
        assert "pages" not in imported_modules(path), path.name


def test_nothing_unpickles_stored_artifacts():
    for folder in ("backend", "pipeline", "app", "pages"):
        for path in files(folder):
            source = path.read_text(encoding="utf-8")
            assert "pickle.load" not in source and "allow_pickle=True" not in source, path
