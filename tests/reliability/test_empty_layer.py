"""A run approved without drill-down has an empty layer 2; the workspace must not crash on it
(issue 15, item 9: the old explorer raised on such a run)."""

from __future__ import annotations

from backend import services
from tests.app.conftest import app_on
from tests.reliability.hostile_run import hostile_run_fixture  # noqa: F401


def test_the_workspace_opens_on_an_empty_layer_two_without_crashing(hostile_run, monkeypatch):
    assert services.fitted_layers(hostile_run.store, hostile_run.run_id) == [1, 2]  # layer 2 exists, empty
    at = app_on(hostile_run.store, monkeypatch, "workspace", run_id=hostile_run.run_id)
    assert at.sidebar.radio(key="layer").value == 2  # it opens on the newest layer: the empty one
    assert any("Layer 2 has no topics" in info.value for info in at.info)

    at.sidebar.radio(key="layer").set_value(1).run()
    assert not at.exception, at.exception
    assert not any("has no topics" in info.value for info in at.info)
