"""Server time of the app on a big layer: the workspace's first render, warm renders and curation clicks.

    .venv/bin/python bench/app.py --documents 100000

Builds a run with a synthetic layer 1 of N documents (generated sales texts, 20 topics, 2-D
coordinates) straight into a temporary store, then drives the pages with Streamlit's AppTest and
times each ``run()``: that is the script's server time (AppTest adds a little overhead of its own).
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_run(store_dir: Path, n_docs: int, n_topics: int = 20, seed: int = 0) -> None:
    """A run waiting at layer 1, with every artifact the app reads, without fitting a model."""
    from backend.curation.mapping import initial_mapping
    from backend.curation.versions import save_version
    from backend.runs.record import create_run, load_run, save_run
    from backend.runs.steps import open_curation, save_doc_terms, store_input
    from backend.settings import Settings
    from backend.store.layout import docs_key
    from backend.store.local import LocalStore
    from backend.text.sample_data import generate_opportunities
    from backend.topics.layer_result import LayerResult, Topic, save_layer

    store = LocalStore(store_dir)
    rng = np.random.default_rng(seed)
    records = generate_opportunities(n_docs, seed=seed)
    ids = records["opportunity_id"].astype(str).to_numpy()
    text = (records["opportunity_name"].fillna("") + ". " + records["description"].fillna("")).str.lower()
    docs = pd.DataFrame({"id": ids, "text_raw": text, "text_embed": text, "text_keywords": text})
    weights = rng.dirichlet(np.ones(n_topics) * 2)
    topics = rng.choice(n_topics, size=n_docs, p=weights)
    centres = rng.normal(size=(n_topics, 2)) * 10
    coords = centres[topics] + rng.normal(size=(n_docs, 2))
    settings = Settings()
    record = create_run(store, settings, "big", {"n_docs": n_docs})
    store_input(store, "big", [records], settings)
    store.write_parquet(docs_key("big"), docs)
    assignments = pd.DataFrame({"id": ids, "topic": topics.astype(str), "parent": None,
                                "x": coords[:, 0], "y": coords[:, 1]})
    described = {str(t): Topic(str(t), int((topics == t).sum()), [(f"word{t}", 0.5)], list(ids[topics == t][:5]))
                 for t in range(n_topics)}
    result = LayerResult(1, assignments, described, rng.normal(size=(n_docs, 5)).astype(np.float32))
    save_layer(store, "big", result)
    save_doc_terms(store, "big", result, docs, settings)
    save_version(store, initial_mapping("big", result), "bench")
    open_curation(store, "big", 1)
    record = load_run(store, "big")
    for name in ("preprocess", "embed", "layer1"):
        record.steps[name].status = "done"
    record.steps["curate-layer1"].status = "waiting"
    record.status = "waiting"
    save_run(store, record)


def timed(action) -> float:
    started = time.perf_counter()
    at = action()
    elapsed = time.perf_counter() - started
    if at is not None and at.exception:
        raise RuntimeError(at.exception)
    return elapsed


def measure(n_docs: int, repeats: int) -> list[tuple[str, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        build_run(Path(tmp) / "store", n_docs)
        print(f"built a {n_docs:,}-document run in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        return drive(Path(tmp) / "store", repeats, [f"OPP-{j:06d}" for j in range(1, 100 * repeats + 1)])


def drive(store: Path, repeats: int, ids: list[str], run_id: str = "big") -> list[tuple[str, float, float]]:
    """The app on a store whose newest run waits at layer 1: each page's render and each click's
    server time in the curation workspace (one Streamlit script run, driven with AppTest).
    ``ids``: documents to select on the map and move."""
    from streamlit.testing.v1 import AppTest

    os.environ["TOPIC_CURATOR_STORE"] = str(store)
    scope = f"{run_id}::1::bench"
    rows = []
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    rows.append(("runs page, first render (cold process)", timed(at.run), float("nan")))
    at.sidebar.text_input(key="user_name").input("bench").run()
    first = timed(lambda: at.switch_page("../pages/workspace.py").run())
    rows.append(("workspace, first render of the layer", first, float("nan")))
    warm = [timed(lambda: at.run()) for _ in range(repeats)]
    rows.append(("workspace, later renders", statistics.median(warm), max(warm)))
    next(s for s in at.selectbox if s.label == "Open topic").set_value("3").run()

    def moves() -> int:
        return sum(op.kind == "move" for op in at.session_state[f"curation::{scope}"].mapping.operations)

    moves_before = moves()  # a draft left by an earlier drive of the same store may hold some
    clicks: dict[str, list[float]] = {"rename": [], "drill-down": [], "merge": [], "undo": [],
                                      "select 100 documents on the map": [], "move them": []}
    for i in range(repeats):
        next(t for t in at.text_input if t.label == "Label").input(f"Label {i}")
        clicks["rename"].append(timed(at.run))
        next(t for t in at.toggle if t.label.startswith("Drill down")).set_value(i % 2 == 0)
        clicks["drill-down"].append(timed(at.run))
        at.multiselect(key="merge_with::3").set_value(["5"]).run()
        clicks["merge"].append(timed(lambda: at.button(key="merge").click().run()))
        clicks["undo"].append(timed(lambda: at.button(key="undo").click().run()))
        map_key = f"map::{scope}::::{at.session_state['map_generation'] if 'map_generation' in at.session_state else 0}"
        at.session_state[map_key] = {"selection": {"points": [{"customdata": d} for d in ids[i * 100:(i + 1) * 100]],
                                                   "point_indices": [], "box": [], "lasso": []}}
        clicks["select 100 documents on the map"].append(timed(at.run))
        clicks["move them"].append(timed(lambda: at.button(key="move_here").click().run()))
    if moves() - moves_before != repeats:  # every timed click did what it says
        raise RuntimeError(f"expected {repeats} new moves, found {moves() - moves_before}: {at.error}")
    for name, values in clicks.items():
        rows.append((f"workspace click: {name}", statistics.median(values), max(values)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = measure(args.documents, args.repeats)
    print(f"| {args.documents:,} documents | median s | max s |")
    print("|---|---:|---:|")
    for name, median, worst in rows:
        print(f"| {name} | {median:.2f} | {'' if worst != worst else f'{worst:.2f}'} |")


if __name__ == "__main__":
    main()
