"""The drill-down rule on two corpora with a true hierarchy: how many sub-topics each parent gets.

    .venv/bin/python bench/drilldown.py --json bench/results/drilldown.json       # about 10 minutes
    .venv/bin/python bench/drilldown.py --tables-from bench/results/drilldown.json

Layer 1 is fitted with today's defaults (the generated sample at 20 topics, as `make run` does;
20 Newsgroups at 10 topics, near its 6 subject groups), then every layer-1 topic is drilled into:
one sub-model per parent (UMAP on the parent's documents, then BIRCH), as the runner fits layer 2.
The rules differ only in how many sub-topics each parent gets, so each parent's UMAP is fitted
once and BIRCH is run for each rule's count on the same reduced points:

- ``size N``: ``clamp(round(n / N), 2, 8)``, today's rule with ``drilldown.docs_per_subtopic = N``;
- ``spread``: the count in 2..8 whose BIRCH clustering has the best silhouette on the parent's
  reduced embeddings (a rule from the parent's spread rather than its size alone);
- ``spread, capped by size 60``: the same, but no more than today's rule gives.

Scored against the finer truth (the generated sub-use-cases; 20NG's 20 newsgroups): leaves, leaf
purity (the share of documents whose truth is their leaf's majority), the merges an analyst would
need (leaves under one parent sharing a majority truth, less one per truth) and NMI. BBC has no
second level of truth, so it cannot score a drill-down rule. Mean of seeds 0 and 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
LAYER1_TOPICS = {"generated": 20, "20ng": 10}
SIZE_RULES = (40, 60, 90)


def load(corpus: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Keyword texts, embeddings, coarse truth and fine truth, in document order."""
    from quality import embed, load_corpus

    texts, labels, vectors, (_, other) = load_corpus(corpus)
    vectors = embed(texts) if vectors is None else vectors
    if corpus == "generated":  # labels: the 25 use cases; other: their sub-use-cases
        return texts, vectors, np.asarray(labels), other
    return texts, vectors, other, np.asarray(labels)  # 20ng: 6 subject groups over 20 newsgroups


def silhouette_count(points: np.ndarray, cap: int, seed: int) -> int:
    from sklearn.metrics import silhouette_score

    from backend.topics.stages import AutoThresholdBirch

    best = (-2.0, 2)
    for k in range(2, min(cap, len(points) - 1) + 1):
        labels = AutoThresholdBirch(k, branching_factor=60, random_state=seed).fit(points).labels_
        if len(set(labels)) > 1:
            score = silhouette_score(points, labels, sample_size=min(2000, len(points)), random_state=0)
            best = max(best, (score, k))
    return best[1]


def scores(fine: np.ndarray, parents: np.ndarray, leaves: np.ndarray) -> dict:
    from sklearn.metrics import normalized_mutual_info_score

    frame = pd.DataFrame({"fine": fine, "parent": parents, "leaf": leaves})
    majority = frame.groupby("leaf")["fine"].agg(lambda s: s.value_counts().index[0])
    purity = (frame["fine"] == frame["leaf"].map(majority)).mean()
    per_parent = frame.drop_duplicates("leaf").assign(majority=lambda f: f["leaf"].map(majority))
    merges = len(per_parent) - len(per_parent.drop_duplicates(["parent", "majority"]))
    return {"leaves": int(frame["leaf"].nunique()), "purity": float(purity), "merges": int(merges),
            "nmi": float(normalized_mutual_info_score(fine, leaves))}


def evaluate(corpus: str, seeds: list[int]) -> list[dict]:
    from backend.settings import DrillDownSettings, LayerSettings
    from backend.topics.layer_model import layer_model
    from backend.topics.layers import n_subtopics
    from backend.topics.stages import AutoThresholdBirch

    texts, vectors, coarse, fine = load(corpus)
    rows = []
    for seed in seeds:
        settings = replace(LayerSettings(), random_state=seed)
        top = layer_model(settings, LAYER1_TOPICS[corpus], len(texts)).fit(texts, vectors).topics_
        leaves: dict[str, np.ndarray] = {}
        for parent in np.unique(top):
            rows_of = np.flatnonzero(top == parent)
            counts = {f"size {n}": n_subtopics(len(rows_of), DrillDownSettings(docs_per_subtopic=n)) for n in SIZE_RULES}
            sub = layer_model(settings, max(counts.values()), len(rows_of))
            sub.fit([texts[i] for i in rows_of], vectors[rows_of])
            points = sub.reduced_embeddings_
            counts["spread"] = silhouette_count(points, 8, seed)
            counts["spread, capped by size 60"] = min(counts["spread"], counts["size 60"])
            for rule, k in counts.items():
                labels = AutoThresholdBirch(k, branching_factor=settings.birch_branching_factor,
                                            random_state=seed).fit(points).labels_
                leaves.setdefault(rule, np.empty(len(texts), dtype=object))[rows_of] = [f"{parent}.{x}" for x in labels]
        for rule, leaf in leaves.items():
            row = {"corpus": corpus, "seed": seed, "rule": rule, "layer1_topics": LAYER1_TOPICS[corpus],
                   **scores(fine, top, leaf)}
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    lines = ["| corpus | rule | leaves | leaf purity | merges needed | NMI vs the finer truth |", "|---|---|---:|---:|---:|---:|"]
    for (corpus, rule), group in frame.groupby(["corpus", "rule"], sort=False):
        lines.append(f"| {corpus} | {rule} | {group.leaves.mean():.1f} | {group.purity.mean():.3f} "
                     f"| {group.merges.mean():.1f} | {group.nmi.mean():.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="+", default=["generated", "20ng"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tables-from", type=Path)
    args = parser.parse_args()
    if args.tables_from:
        rows = json.loads(args.tables_from.read_text())
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = [row for corpus in args.corpora for row in evaluate(corpus, args.seeds)]
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
