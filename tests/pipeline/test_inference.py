"""The inference handler and topic-curator predict, on a completed run of generated records."""

from __future__ import annotations

import json

import pytest

from backend.errors import CuratorError
from backend.runs.record import load_run
from backend.runs.runner import LocalRunner
from backend.store.layout import model_prefix
from pipeline.cli import main
from pipeline.inference import input_fn, model_fn, output_fn, predict_fn


@pytest.fixture
def completed(local_store, fast_settings, sample_records):
    record = LocalRunner(local_store, auto_approve=True).start(sample_records, fast_settings, "done")
    assert record.status == "completed"
    return local_store


def test_the_model_agrees_with_curated_labels_on_held_out_documents(completed):
    spec = completed.read_json(f"{model_prefix('done')}/model.json")
    holdout = spec["meta"]["holdout"]
    assert holdout["documents"] >= 70
    # Hashed bag-of-words embeddings on 400 noisy records: well above chance (1/20 topics).
    assert holdout["layer1_agreement"] > 0.5
    assert "held-out" in load_run(completed, "done").steps["model"].detail


def test_handler_round_trip(completed):
    loaded = model_fn(completed.uri(model_prefix("done")))
    texts = input_fn(json.dumps({"texts": ["automate vendor invoice matching", "chatbot for support"]}),
                     "application/json")
    predictions = predict_fn(texts, loaded)
    assert len(predictions) == 2 and all(p["path"] and p["scores"] for p in predictions)
    body, kind = output_fn(predictions, "application/json")
    assert kind == "application/json" and len(json.loads(body)["predictions"]) == 2
    csv_body, kind = output_fn(predictions, "text/csv")
    assert kind == "text/csv" and csv_body.splitlines()[0].startswith("path,layer1_label")
    assert input_fn(b"text,other\nfirst,x\nsecond,y\n", "text/csv") == ["first", "second"]
    assert input_fn("one\ntwo\n", "text/csv") == ["one", "two"]
    with pytest.raises(CuratorError, match="Unsupported content type"):
        input_fn("x", "application/xml")
    with pytest.raises(CuratorError, match="list of texts"):
        input_fn('{"texts": 3}', "application/json")


def test_predict_command(completed, tmp_path, capsys):
    store = completed.uri()
    assert main(["predict", "done", "--text", "invoice matching for AP", "--store", store]) == 0
    assert json.loads(capsys.readouterr().out)["predictions"][0]["path"]
    source = tmp_path / "texts.csv"
    source.write_text("text\nfraud alerts on card payments\nroute planning for trucks\n")
    out = tmp_path / "predicted.csv"
    assert main(["predict", "done", "--input", str(source), "--output", str(out), "--store", store]) == 0
    assert len(out.read_text().splitlines()) == 3
    assert main(["predict", "missing", "--text", "x", "--store", store]) == 2


def test_the_model_server_answers_ping_and_invocations(completed):
    import threading
    import urllib.request
    from http.server import ThreadingHTTPServer

    from pipeline.serve import make_handler

    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(model_fn(completed.uri(model_prefix("done")))))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert urllib.request.urlopen(f"{base}/ping", timeout=5).status == 200
        request = urllib.request.Request(f"{base}/invocations", data=b'["invoice matching"]',
                                         headers={"Content-Type": "application/json"})
        answer = json.loads(urllib.request.urlopen(request, timeout=10).read())
        assert answer["predictions"][0]["path"]
        bad = urllib.request.Request(f"{base}/invocations", data=b"x", headers={"Content-Type": "image/png"})
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(bad, timeout=5)
        assert error.value.code == 400
    finally:
        server.shutdown()


def test_a_run_with_tfidf_svd_embeddings_predicts_with_its_own_fitted_space(local_store, fast_settings,
                                                                             sample_records, tmp_path):
    from dataclasses import replace

    from backend.settings import EmbeddingSettings
    from pipeline.steps.build_model import build

    settings = replace(fast_settings, embedding=EmbeddingSettings(model="tfidf-svd"))
    record = LocalRunner(local_store, auto_approve=True).start(sample_records, settings, "lsa")
    assert record.status == "completed"
    assert local_store.list("cache") == []  # corpus-fitted vectors are never cached
    build(local_store, "lsa", tmp_path / "model")
    assert (tmp_path / "model" / "embedder.npz").is_file()
    loaded = model_fn(str(tmp_path / "model"))
    assert loaded.embedder.name == "tfidf-svd"
    predictions = predict_fn(["automate vendor invoice matching"], loaded)
    assert predictions[0]["path"]
    assert local_store.read_json(f"{model_prefix('lsa')}/model.json")["meta"]["holdout"]["layer1_agreement"] > 0.5
