"""A run approved without drill-down has an empty layer 2; the workspace must not crash on it
(issue 15, item 9: the old explorer raised on such a run)."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from backend import services
from tests.app.conftest import MAIN
from tests.reliability.hostile_run import hostile_run_fixture  # noqa: F401


def test_the_workspace_opens_on_an_empty_layer_two_without_crashing(hostile_run, monkeypatch):
    assert services.fitted_layers(hostile_run.store, hostile_run.run_id) == [1, 2]  # layer 2 exists, empty
    monkeypatch.setenv("TOPIC_CURATOR_STORE", str(hostile_run.store.root))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.sidebar.text_input(key="user_name").input("ana").run()
    at.switch_page("../pages/workspace.py").run()
    at.sidebar.selectbox(key="run_id").select(hostile_run.run_id).run()
    assert not at.exception, at.exception
    assert at.sidebar.radio(key="layer").value == 2  # it opens on the newest layer: the empty one
    assert any("Layer 2 has no topics" in info.value for info in at.info)

    at.sidebar.radio(key="layer").set_value(1).run()
    assert not at.exception, at.exception
    assert not any("has no topics" in info.value for info in at.info)
