"""A layer fitted on a sample against the full fit: quality on 20 Newsgroups, time at scale.

    .venv/bin/python bench/sampling.py [--json bench/results/sampling.json]
    .venv/bin/python bench/sampling.py --tables-from bench/results/sampling.json

Quality: 20 Newsgroups (our preprocessing for the keywords, the shipped MiniLM vectors), 20
topics with the product's layer defaults, seeds 0-2: the full fit, then fits on samples of 2,000,
5,000 and 10,000 documents with the others placed by "neighbours" or "transform". NMI against
the 20 newsgroups, and against the full fit of the same seed.

Time: the same texts and vectors resampled, the vectors with a little noise, to 100,000 documents, one seed: the full fit against the default 50,000-document sample with each placement, each
in a fresh process that first warms UMAP's numba kernels (so compile time is apart).
``--time-only`` re-measures the times and keeps the quality rows of ``--json``'s file;
``--quality-only`` the other way round.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
QUALITY_SAMPLES = [2000, 5000, 10000]
PLACEMENTS = ["neighbours", "transform"]


def twenty_newsgroups() -> tuple[list[str], np.ndarray, np.ndarray]:
    from quality import load_corpus

    loaded = load_corpus("20ng")
    if loaded is None or loaded[2] is None:
        raise SystemExit("20 Newsgroups (with its shipped vectors) is needed from ../shared/data")
    return loaded.texts, loaded.labels.to_numpy(), loaded.vectors


def fit(texts, vectors, seed: int, sample: int, placement: str):
    from backend.settings import LayerSettings
    from backend.topics.layer_model import layer_model

    settings = replace(LayerSettings(), random_state=seed, fit_sample=sample, placement=placement)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = layer_model(settings, 20, len(texts)).fit(texts, vectors)
    return model.topics_, time.perf_counter() - started


def quality_rows() -> list[dict]:
    from sklearn.metrics import normalized_mutual_info_score as nmi

    texts, labels, vectors = twenty_newsgroups()
    rows = []
    for seed in range(3):
        full, seconds = fit(texts, vectors, seed, 0, "neighbours")
        rows.append({"kind": "quality", "seed": seed, "sample": len(texts), "placement": "full fit",
                     "nmi": nmi(labels, full), "nmi_vs_full": 1.0, "seconds": seconds})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        for sample in QUALITY_SAMPLES:
            for placement in PLACEMENTS:
                topics, seconds = fit(texts, vectors, seed, sample, placement)
                rows.append({"kind": "quality", "seed": seed, "sample": sample, "placement": placement,
                             "nmi": nmi(labels, topics), "nmi_vs_full": nmi(full, topics), "seconds": seconds})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def resampled(size: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """20NG's texts and vectors drawn ``size`` times, each vector nudged so no two are identical."""
    texts, _, vectors = twenty_newsgroups()
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), size=size, replace=size > len(vectors))
    noisy = vectors[rows] + rng.normal(scale=0.01, size=(size, vectors.shape[1])).astype(np.float32)
    return [texts[i] for i in rows], noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def time_one(size: int, sample: int, placement: str) -> dict:
    """Runs in a fresh process: UMAP warmed on 500 documents first, then one fit of ``size`` documents."""
    from memory import PeakMemory

    from backend.settings import LayerSettings
    from backend.topics.stages import warm_up

    texts, vectors = resampled(size)
    warm_up(LayerSettings())  # numba compiles here, not in the timing
    with PeakMemory() as memory:
        _, seconds = fit(texts, vectors, 0, sample, placement)
    return {"kind": "time", "size": size, "sample": sample or size, "placement": placement if sample else "full fit",
            "seconds": seconds, "peak_mb": round(max(memory.peaks.values()) / 2**20)}


def time_rows(size: int) -> list[dict]:
    rows = []
    for sample, placement in [(0, "neighbours"), (50000, "neighbours"), (50000, "transform")]:
        out = subprocess.run([sys.executable, __file__, "--time-one", str(size), str(sample), placement],
                             check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def tables(rows: list[dict]) -> str:
    quality = pd.DataFrame([r for r in rows if r["kind"] == "quality"])
    # No seconds here: these fits share one process, so the first of each kind also pays numba's
    # compile. Times come from the "time" rows, each measured in a fresh, warmed-up process.
    lines = ["| fitted on | placement | NMI vs 20 groups | NMI vs the full fit |", "|---|---|---:|---:|"]
    for (sample, placement), group in quality.groupby(["sample", "placement"], sort=False):
        lines.append(f"| {sample:,} documents | {placement} | {group.nmi.mean():.3f} | {group.nmi_vs_full.mean():.3f} |")
    timed = [r for r in rows if r["kind"] == "time"]
    if timed:
        lines += ["", "| documents | fitted on | placement | seconds | peak MB |", "|---|---|---|---:|---:|"]
        lines += [f"| {r['size']:,} | {r['sample']:,} | {r['placement']} | {r['seconds']:.1f} | {r['peak_mb']} |"
                  for r in timed]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100000, help="documents for the timing (default 100,000)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tables-from", type=Path)
    parser.add_argument("--time-one", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--time-only", action="store_true")
    parser.add_argument("--quality-only", action="store_true")
    args = parser.parse_args()
    if args.time_one:
        size, sample, placement = args.time_one
        print(json.dumps(time_one(int(size), int(sample), placement)))
        return
    if args.tables_from:
        rows = json.loads(args.tables_from.read_text())
    elif args.time_only:
        rows = [r for r in json.loads(args.json.read_text()) if r["kind"] == "quality"] + time_rows(args.size)
    elif args.quality_only:
        rows = quality_rows() + [r for r in json.loads(args.json.read_text()) if r["kind"] != "quality"]
    else:
        rows = quality_rows() + time_rows(args.size)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(tables(rows))


if __name__ == "__main__":
    main()
