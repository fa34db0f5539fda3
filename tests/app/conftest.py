"""AppTest fixtures: a store with a run waiting at layer 1, and the app pointed at it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from backend.runs.record import load_run
from backend.runs.runner import LocalRunner
from backend.store.local import LocalStore
from tests.conftest import FAST_SETTINGS

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


@pytest.fixture
def app_store(tmp_path, monkeypatch, fast_settings, sample_records):
    store = LocalStore(tmp_path / "store")
    LocalRunner(store).start(sample_records, fast_settings, "demo")
    config = tmp_path / "settings.json"
    config.write_text(json.dumps(FAST_SETTINGS))
    monkeypatch.setenv("TOPIC_CURATOR_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("TOPIC_CURATOR_CONFIG", str(config))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield store
    st.cache_resource.clear()


def open_app(page: str | None = None, user: str = "ana") -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.sidebar.text_input(key="user_name").input(user).run()
    if page:
        at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def app_on(store, monkeypatch, page: str | None = None, user: str = "ana", run_id: str | None = None) -> AppTest:
    """The app pointed at ``store`` (fresh caches: the store is a cached resource), on ``page``,
    with ``run_id`` chosen in the sidebar."""
    monkeypatch.setenv("TOPIC_CURATOR_STORE", str(store.root))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.sidebar.text_input(key="user_name").input(user).run()
    if page:
        at.switch_page(f"../pages/{page}.py").run()
    if run_id:
        at.sidebar.selectbox(key="run_id").select(run_id).run()
    assert not at.exception, at.exception
    return at


def wait_for(store, run_id: str, condition, timeout: float = 60.0):
    """Poll the run record until ``condition(record)`` (background threads do the work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = load_run(store, run_id)
        if condition(record):
            return record
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not get there: {load_run(store, run_id).steps}")


def table_with(at: AppTest, column: str):
    """The first table on the page that has ``column`` (AppTest does not expose dataframe keys)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def mark_for_drill_down(store, *topics: str) -> None:
    """Save a version of layer 1 with ``topics`` marked, as an analyst would before approving."""
    from backend.curation.operations import DrillDown
    from backend.curation.session import CurationSession

    session = CurationSession(store, "demo", 1, "ana")
    for topic in topics:
        session.apply(DrillDown(topic=topic))
    session.save()
