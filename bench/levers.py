"""Layer 1's clustering levers, each scored on all three corpora at 20 topics.

    .venv/bin/python bench/levers.py --json bench/results/levers.json       # about 15 minutes
    .venv/bin/python bench/levers.py --tables-from bench/results/levers.json

Every lever changes one thing against today's defaults (UMAP 13 neighbours, 7 components,
``min_dist`` 0.1, cosine; BIRCH with its threshold from the data, branching factor 60, at least 4
sub-clusters per topic, and size-weighted k-means as its global step). UMAP is fitted once per
corpus, seed and UMAP setting and shared by the clustering levers on it. Clustering levers:

- BIRCH's global step: ``weighted-kmeans`` (today), ``ward`` (scikit-learn's unweighted step, the
  default before 2026-12); more sub-clusters (10 per topic); branching factor 30 or 100;
- instead of BIRCH: k-means on every reduced document, Ward linkage on every document with a
  15-nearest-neighbour connectivity graph, a Gaussian mixture.

Scores: NMI against each corpus's truth (BBC's 5 categories, 20NG's 20 newsgroups and its 6
subject groups, the generated use cases and sub-use-cases), mean of seeds 0 and 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
K = 20
UMAP_LEVERS = {"today's defaults": {}, "UMAP 15 neighbours, 5 components, min_dist 0 (BERTopic's)":
               {"umap_n_neighbors": 15, "umap_n_components": 5, "umap_min_dist": 0.0},
               "UMAP 30 neighbours, min_dist 0": {"umap_n_neighbors": 30, "umap_min_dist": 0.0},
               "UMAP 10 components": {"umap_n_components": 10}}


def clusterers(seed: int) -> dict:
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import kneighbors_graph

    from backend.topics.stages import AutoThresholdBirch

    def birch(**changes):
        changes = {"branching_factor": 60, **changes}
        return lambda X: AutoThresholdBirch(K, random_state=seed, **changes).fit(X).labels_

    return {
        "today's defaults": birch(),
        "BIRCH global step: ward (before 2026-12)": birch(final_step="ward"),
        "BIRCH: 10 sub-clusters per topic": birch(min_subclusters_per_cluster=10),
        "BIRCH: branching factor 30": birch(branching_factor=30),
        "BIRCH: branching factor 100": birch(branching_factor=100),
        "k-means on every document": lambda X: KMeans(K, n_init=10, random_state=seed).fit(X).labels_,
        "Ward on every document (15-NN graph)": lambda X: AgglomerativeClustering(
            K, linkage="ward", connectivity=kneighbors_graph(X, 15, include_self=False)).fit(X).labels_,
        "Gaussian mixture": lambda X: GaussianMixture(K, random_state=seed).fit(X).predict(X),
    }


def evaluate(corpus: str, seeds: list[int]) -> list[dict]:
    from quality import embed, load_corpus
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from backend.settings import LayerSettings
    from backend.topics.stages import make_reducer

    loaded = load_corpus(corpus)
    if loaded is None:
        return []
    vectors = embed(loaded.texts) if loaded.vectors is None else loaded.vectors
    truths = {"truth": loaded.labels.to_numpy()}
    if loaded.other_level:
        truths[loaded.other_level[0]] = loaded.other_level[1]
    rows = []
    for seed in seeds:
        for umap_lever, changes in UMAP_LEVERS.items():
            settings = replace(LayerSettings(), random_state=seed, **changes)
            started = time.perf_counter()
            reduced = make_reducer(settings, len(vectors)).fit_transform(vectors)
            umap_seconds = time.perf_counter() - started
            for lever, cluster in clusterers(seed).items():
                if umap_lever != "today's defaults" and lever != "today's defaults":
                    continue  # one change at a time
                started = time.perf_counter()
                labels = cluster(reduced)
                row = {"corpus": corpus, "seed": seed, "lever": umap_lever if lever == "today's defaults" else lever,
                       "umap_seconds": umap_seconds, "cluster_seconds": time.perf_counter() - started,
                       **{f"nmi {name}": float(nmi(truth, labels)) for name, truth in truths.items()}}
                print(json.dumps(row), file=sys.stderr, flush=True)
                rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    columns = [("bbc", "nmi truth", "BBC: 5 categories"), ("20ng", "nmi truth", "20NG: 20 newsgroups"),
               ("20ng", "nmi subject groups", "20NG: 6 subject groups"),
               ("generated", "nmi truth", "generated: use cases"),
               ("generated", "nmi sub-use-cases", "generated: sub-use-cases")]
    lines = ["| lever (one change to today's defaults) | " + " | ".join(c[2] for c in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for lever, group in frame.groupby("lever", sort=False):
        cells = []
        for corpus, column, _ in columns:
            part = group[group.corpus == corpus]
            cells.append(f"{part[column].mean():.3f}" if len(part) and column in part and part[column].notna().any() else "")
        lines.append(f"| {lever} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="+", default=["bbc", "20ng", "generated"])
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
