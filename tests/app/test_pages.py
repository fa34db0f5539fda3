"""Every page does real work under AppTest; errors show as messages, never tracebacks."""

from __future__ import annotations

import pandas as pd
import pytest

from backend.curation.versions import load_approved
from tests.app.conftest import mark_for_drill_down, open_app, table_with, wait_for


def test_runs_page_shows_the_waiting_approval(app_store):
    at = open_app()
    assert at.title[0].value == "Runs & approvals"
    assert [s.value for s in at.subheader] == ["Run demo: waiting", "Waiting for approval: curate-layer1"]
    assert any("20 topics kept" in m.value for m in at.markdown)


def test_approve_resumes_in_the_background_once(app_store):
    mark_for_drill_down(app_store, "0", "1")
    at = open_app()
    at.button(key="approve").click().run()
    assert not at.exception
    assert any("Approved layer 1" in s.value for s in at.success)
    record = wait_for(app_store, "demo", lambda r: r.waiting_at == "curate-layer2" or r.status == "failed")
    assert record.status == "waiting", record.error
    assert load_approved(app_store, "demo", 1).approved_by == "ana"
    # A second tab that still shows layer 1 cannot approve it again, nor layer 2 unseen.
    from backend import services
    from backend.errors import RunStateError
    from backend.settings import Settings

    with pytest.raises(RunStateError, match="Layer 1 of run demo was already approved .* by ana"):
        services.approve_and_resume(app_store, "demo", 1, "ben", Settings())
    assert load_approved(app_store, "demo", 1).approved_by == "ana"
    assert load_approved(app_store, "demo", 2) is None


def test_reject_needs_a_reason_and_stops_the_run(app_store):
    at = open_app()
    assert at.button(key="reject").disabled
    at.text_input(key="reject_reason").input("topics are noise").run()
    at.button(key="reject").click().run()
    assert any("rejected" in s.value for s in at.success)
    assert wait_for(app_store, "demo", lambda r: r.status == "rejected")


def test_invalid_upload_is_a_message(app_store):
    from backend import services
    from backend.errors import InputDataError
    from backend.settings import Settings

    with pytest.raises(InputDataError, match=r"'notes.txt' is not a CSV or Parquet file"):
        services.read_upload("notes.txt", b"hello")
    with pytest.raises(InputDataError, match=r"Input file 'image.csv' is not valid utf-8") as binary:
        services.read_upload("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    assert "/tmp" not in str(binary.value) and "upload" not in binary.value.problem
    numbers = pd.DataFrame({"opportunity_id": ["1", "2"], "amount": ["1200", "35.5"], "description": ["a b", "c"]})
    with pytest.raises(InputDataError, match="'amount' .* hold no words"):
        services.check_upload(numbers, "opportunity_id", ["description", "amount"])
    services.check_upload(numbers, "opportunity_id", ["description"])
    with pytest.raises(InputDataError, match="description"):
        services.start_run(app_store, pd.DataFrame({"opportunity_id": ["1"], "descripton": ["x"]}), Settings(), "ana")


def test_export(app_store):
    at = open_app("export")
    assert any("approve layer 1 first" in i.value for i in at.info)
    mark_for_drill_down(app_store, "0")
    at = open_app()
    at.button(key="approve").click().run()
    wait_for(app_store, "demo", lambda r: r.waiting_at == "curate-layer2")
    at.switch_page("../pages/export.py").run()
    assert not at.exception
    assert any("not complete" in w.value for w in at.warning)
    preview = table_with(at, "path")
    # Every document with text carries a label of the approved layer 1; those without text none.
    from backend.curation.labels import NO_TEXT_LABEL
    from backend.curation.versions import load_approved

    approved = {d.label for d in load_approved(app_store, "demo", 1).topics.values() if d.status == "kept"}
    modelled = preview["path"] != NO_TEXT_LABEL
    assert len(preview) == 200 and modelled.sum() > 190
    assert preview.loc[modelled, "layer1_label"].isin(approved).all()
    assert preview.loc[modelled, "path"].eq(preview.loc[modelled, "layer1_label"]).all()  # no layer 2 approved yet
    assert preview.loc[~modelled, "layer1_label"].isna().all()


def test_a_new_run_from_an_upload_runs_in_the_background(app_store, sample_records, fast_settings):
    from backend import services

    records = services.read_upload("records.csv", sample_records.to_csv(index=False).encode())
    run_id = services.start_run(app_store, records, fast_settings, "ana")
    record = wait_for(app_store, run_id, lambda r: r.status in {"waiting", "failed"})
    assert record.waiting_at == "curate-layer1", record.error
    assert services.progress(app_store, run_id)["stage"].startswith("curate-layer1")  # the last step reached
    assert run_id in services.list_runs(app_store)["run"].tolist()
