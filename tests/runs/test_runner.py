"""The local orchestrator on a few hundred generated records, with fast components."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.curation.mapping import TopicDecision
from backend.curation.versions import load_approved, load_version
from backend.errors import InputDataError, MappingError, RunStateError
from backend.runs import decisions
from backend.runs.approvals import load_approval, pending_approvals
from backend.runs.record import load_run, save_run
from backend.runs.runner import LocalRunner
from backend.settings import Settings
from backend.store.layout import labels_key


def approve(runner: LocalRunner, run_id: str, mapping=None, user: str = "ana"):
    """Approve the waiting layer through the one route, then resume here as the CLI does."""
    outcome = decisions.approve(runner.store, run_id, user, Settings(), mapping=mapping)
    assert outcome.resume_locally
    return runner.resume(run_id)


def test_auto_approve_runs_all_three_layers(local_store, fast_settings, sample_records):
    record = LocalRunner(local_store, auto_approve=True).start(sample_records, fast_settings, "auto")
    assert record.status == "completed"
    assert all(s.status == "done" for s in record.steps.values()), record.steps
    labels = local_store.read_parquet(labels_key("auto"))
    assert len(labels) == len(sample_records)
    assert labels["id"].tolist() == sample_records["opportunity_id"].tolist()
    assert labels["layer2_topic"].notna().any() and labels["layer3_topic"].notna().any()
    assert labels["path"].str.count(" > ").max() == 2
    assert local_store.exists("runs/auto/labels/final.csv")
    assert local_store.list("runs/auto/layer1/model")  # BERTopic saved with safetensors
    assert not any(k.endswith((".pkl", ".pickle")) for k in local_store.list("runs/auto"))


def test_manual_flow_waits_then_approves_each_layer(local_store, fast_settings, sample_records):
    runner = LocalRunner(local_store, user="ana")
    record = runner.start(sample_records, fast_settings, "manual")
    assert (record.status, record.waiting_at) == ("waiting", "curate-layer1")
    [pending] = pending_approvals(local_store)
    assert pending.step == "curate-layer1" and len(pending.token) == 10
    assert pending.arguments["mapping_versions"].endswith("runs/manual/mapping/layer1")

    mapping = load_version(local_store, "manual", 1)
    topics = dict(mapping.topics)
    topics["0"] = TopicDecision("Invoice automation", drill_down=True)
    topics["1"] = TopicDecision(topics["1"].label, status="merged", merged_into="0")
    topics["2"] = TopicDecision(topics["2"].label, status="discarded")
    record = approve(runner, "manual", mapping.with_meta(topics=topics))

    assert record.waiting_at == "curate-layer2"
    approved = load_approved(local_store, "manual", 1)
    assert approved.approved_by == "ana" and approved.version == 2
    assert load_approval(local_store, "manual", "curate-layer1").status == "approved"
    layer2_parents = {t.split(".")[0] for t in local_store.read_parquet("runs/manual/layer2/assignments.parquet")["topic"]}
    assert layer2_parents == {"0"}

    with pytest.raises(RunStateError, match="Layer 1 of run manual was already approved"):
        decisions.approve(local_store, "manual", "ben", Settings(), layer=1)

    record = approve(runner, "manual")  # layer 2 as is: nothing marked, so layer 3 is skipped
    assert record.status == "completed"
    assert record.steps["layer3"].status == "skipped" and record.steps["curate-layer3"].status == "skipped"
    labels = local_store.read_parquet(labels_key("manual")).set_index("id")
    assert (labels["layer1_label"] == "Invoice automation").sum() >= 2
    assert labels["layer3_topic"].isna().all()


def test_reject_stops_the_run(local_store, fast_settings, sample_records):
    runner = LocalRunner(local_store)
    runner.start(sample_records, fast_settings, "rej")
    decisions.reject(local_store, "rej", "ana", "topics look wrong", Settings())
    assert load_run(local_store, "rej").status == "rejected"
    assert load_approval(local_store, "rej", "curate-layer1").reason == "topics look wrong"
    with pytest.raises(RunStateError, match="not waiting"):
        approve(runner, "rej")


def test_approve_and_reject_at_once_give_one_answer(local_store, fast_settings, sample_records):
    """Whoever claims the token first decides; the other is told, and nothing of theirs is written."""
    from backend.runs.approvals import Answer, claim_answer

    runner = LocalRunner(local_store)
    runner.start(sample_records, fast_settings, "race")
    approval = load_approval(local_store, "race", "curate-layer1")
    claim_answer(local_store, approval, Answer(approval.token, "approved", "ana", mapping_version=1))
    with pytest.raises(RunStateError, match="already approved \\(version 1\\) by ana"):
        decisions.reject(local_store, "race", "ben", "no", Settings())
    assert load_approval(local_store, "race", "curate-layer1").status == "pending"
    # Ana's process stopped after claiming: pressing Approve again completes her answer.
    approve(runner, "race", user="ben")
    assert load_approved(local_store, "race", 1).approved_by == "ana"
    assert load_approval(local_store, "race", "curate-layer1").decided_by == "ana"


def test_only_one_approver_resumes_a_local_run(local_store, fast_settings, sample_records):
    from backend.runs.approvals import claim_resume

    runner = LocalRunner(local_store)
    runner.start(sample_records, fast_settings, "once")
    outcome = decisions.approve(local_store, "once", "ana", Settings())
    assert outcome.resume_locally
    # A second approver that reached the same point (same answer, same moment) is not told to resume.
    assert not claim_resume(local_store, outcome.approval)


def test_a_reject_interrupted_by_a_crash_is_completed_by_pressing_it_again(local_store, fast_settings, sample_records):
    from backend.runs.approvals import Answer, claim_answer, record_decision

    LocalRunner(local_store).start(sample_records, fast_settings, "crash")
    approval = load_approval(local_store, "crash", "curate-layer1")
    claim_answer(local_store, approval, Answer(approval.token, "rejected", "ana", reason="noise"))
    record_decision(local_store, approval, "rejected", "ana", reason="noise")  # then the process died
    assert load_run(local_store, "crash").waiting_at == "curate-layer1"
    decisions.reject(local_store, "crash", "ana", "noise", Settings())
    assert load_run(local_store, "crash").status == "rejected"


def test_a_sagemaker_run_is_never_resumed_here(local_store, fast_settings, sample_records):
    runner = LocalRunner(local_store)
    runner.start(sample_records, fast_settings, "remote")
    record = load_run(local_store, "remote")
    record.runs_on = "sagemaker"
    save_run(local_store, record)
    with pytest.raises(RunStateError, match="runs on SageMaker"):
        runner.resume("remote")


def test_stale_or_foreign_mapping_is_refused_and_nothing_changes(local_store, fast_settings, sample_records):
    runner = LocalRunner(local_store)
    runner.start(sample_records, fast_settings, "stale")
    mapping = load_version(local_store, "stale", 1).with_meta(layer_fingerprint="0000")
    with pytest.raises(MappingError, match="stale"):
        approve(runner, "stale", mapping)
    assert load_run(local_store, "stale").waiting_at == "curate-layer1"
    assert load_approved(local_store, "stale", 1) is None


def test_resume_after_a_crash_continues_at_the_unfinished_step(local_store, fast_settings, sample_records):
    runner = LocalRunner(local_store)
    runner.start(sample_records, fast_settings, "crash")
    record = load_run(local_store, "crash")
    # Pretend the process died while fitting layer 1 (after preprocess and embed were done).
    record.steps["layer1"].status = "running"
    record.steps["curate-layer1"].status = "pending"
    save_run(local_store, record)
    docs_before = local_store.read_bytes("runs/crash/preprocess/docs.parquet")
    record = runner.resume("crash")
    assert record.waiting_at == "curate-layer1"
    assert local_store.read_bytes("runs/crash/preprocess/docs.parquet") == docs_before


def test_too_few_documents_fails_before_modelling(local_store, fast_settings, sample_records):
    with pytest.raises(InputDataError, match="need at least 40"):
        LocalRunner(local_store).start(sample_records.head(30), fast_settings, "small")
    record = load_run(local_store, "small")
    assert record.status == "failed" and record.steps["preprocess"].status == "failed"


def test_missing_column_is_refused_before_a_run_is_created(local_store, fast_settings, sample_records):
    frame = sample_records.rename(columns={"description": "descripton"})
    with pytest.raises(InputDataError, match="description"):
        LocalRunner(local_store).start(frame, fast_settings, "bad")
    assert local_store.list("runs") == []


def test_run_ids_are_unique(local_store, fast_settings, sample_records):
    runner = LocalRunner(local_store)
    runner.start(sample_records, fast_settings, "once")
    with pytest.raises(Exception, match="already written"):
        runner.start(sample_records, fast_settings, "once")
    assert isinstance(load_run(local_store, "once").created_at, str)
    assert pd.notna(load_run(local_store, "once").input["n_docs"])


def test_a_run_works_the_same_on_s3(s3_store, fast_settings, sample_records):
    record = LocalRunner(s3_store, auto_approve=True).start(sample_records, fast_settings, "on-s3")
    assert record.status == "completed"
    listing = s3_store.client.list_objects_v2(Bucket="curator", Prefix="team/runs/on-s3/")["Contents"]
    keys = {o["Key"] for o in listing}
    assert "team/runs/on-s3/labels/final.parquet" in keys
    assert "team/runs/on-s3/mapping/layer1/approved.json" in keys
    assert any(k.startswith("team/runs/on-s3/layer1/model/") for k in keys)


def test_layer_one_term_counts_are_reused_from_the_model_and_equal_a_fresh_count(local_store, fast_settings,
                                                                                 sample_records):
    from backend.curation.keywords import KeywordIndex
    from backend.store.layout import DOC_TERMS, docs_key, layer_key

    LocalRunner(local_store).start(sample_records, fast_settings, "terms")
    stored = KeywordIndex.from_bytes(local_store.read_bytes(layer_key("terms", 1, DOC_TERMS)))
    docs = local_store.read_parquet(docs_key("terms"))
    fresh = KeywordIndex.from_texts(docs["text_keywords"].tolist(), fast_settings.layer.ngram_range,
                                    fast_settings.layer.min_df)
    assert list(stored.vocabulary) == list(fresh.vocabulary)
    assert (stored.doc_term != fresh.doc_term).nnz == 0


def test_pieces_give_the_same_run_as_one_table(local_store, fast_settings, sample_records, monkeypatch):
    """Input, cleaning and embedding in pieces of 97 rows: the same documents and vectors."""
    from backend.store.layout import docs_key, embeddings_key
    from backend.text import input_data

    LocalRunner(local_store).start(sample_records, fast_settings, "whole")
    monkeypatch.setattr(input_data, "CHUNK_ROWS", 97)
    LocalRunner(local_store).start(sample_records, fast_settings, "pieces")
    whole, pieces = (local_store.read_parquet(docs_key(r)) for r in ("whole", "pieces"))
    pd.testing.assert_frame_equal(whole, pieces)
    name = "hashing-64"
    np.testing.assert_array_equal(local_store.read_array(embeddings_key("whole", name)),
                                  local_store.read_array(embeddings_key("pieces", name)))
    assert load_run(local_store, "pieces").input["n_records"] == len(sample_records)


def test_an_id_repeated_in_a_later_piece_is_refused_before_a_run_exists(local_store, fast_settings, sample_records,
                                                                        monkeypatch):
    from backend.text import input_data

    monkeypatch.setattr(input_data, "CHUNK_ROWS", 100)
    records = sample_records.copy()
    records.loc[350, "opportunity_id"] = records.loc[5, "opportunity_id"]
    with pytest.raises(InputDataError, match="appear more than once"):
        LocalRunner(local_store).start(records, fast_settings, "twice")
    assert local_store.list("runs") == []


def test_a_topic_too_small_to_split_says_so_in_the_run(local_store, fast_settings, sample_records):
    import dataclasses

    settings = dataclasses.replace(fast_settings, drilldown=dataclasses.replace(fast_settings.drilldown,
                                                                                min_parent_docs=1000))
    runner = LocalRunner(local_store, user="ana")
    runner.start(sample_records, settings, "small")
    mapping = load_version(local_store, "small", 1)
    topics = {**mapping.topics, "0": TopicDecision(mapping.topics["0"].label, drill_down=True)}
    record = approve(runner, "small", mapping.with_meta(topics=topics))
    layer2 = record.steps["layer2"]
    assert layer2.status == "skipped"
    assert "not split: topic 0 (" in layer2.detail and "fewer than the 1000 a sub-model needs" in layer2.detail
    assert record.steps["curate-layer2"].detail == "every drill-down topic was too small to split"


def test_a_column_of_numbers_is_not_a_text_column(local_store, fast_settings, sample_records):
    import dataclasses

    records = sample_records.assign(amount=[str(100 + i) for i in range(len(sample_records))])
    settings = dataclasses.replace(fast_settings, input=dataclasses.replace(fast_settings.input,
                                                                            text_columns=("description", "amount")))
    with pytest.raises(InputDataError, match="'amount' .* hold no words"):
        LocalRunner(local_store).start(records, settings, "numbers")
    assert not local_store.exists("runs/numbers/run.json")  # a bad input creates no run
