"""Where the time goes in one layer: per-stage wall time and peak memory, ours beside stock BERTopic.

    .venv/bin/python bench/speed.py --sizes 5000 20000 100000

Stages: embedding (MiniLM, measured on 2,000 generated documents and reported as documents/s),
UMAP, BIRCH (threshold search included), c-TF-IDF keywords, the whole layer model, and stock
BERTopic (UMAP + HDBSCAN + c-TF-IDF) on the same precomputed embeddings: the 20 Newsgroups
MiniLM vectors from ../shared/data, resampled with a little noise up to the size. Each size runs
in a fresh process after one warm-up UMAP fit, so UMAP's numba compilation is reported apart
(cold = the first fit in a process, warm = later ones).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = ROOT.parent / "shared" / "data" / "20newsgroups"


def corpus(size: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    texts = pd.read_csv(DATA / "20newsgroups.csv", keep_default_na=False)
    with np.load(DATA / "minilm_embeddings.npz", allow_pickle=False) as arrays:  # numeric arrays only
        vectors = arrays["text"].astype(np.float32)
    texts = texts[texts["text"].str.strip() != ""]["text"].str.lower().tolist()[: len(vectors)]
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), size=size, replace=size > len(vectors))
    noisy = vectors[rows] + rng.normal(scale=0.01, size=(size, vectors.shape[1])).astype(np.float32)
    return [texts[i] for i in rows], noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def measure(size: int) -> dict:
    import bertopic  # noqa: F401  (imported before timing: it costs seconds on its own)
    from memory import PeakMemory

    from backend.curation.keywords import KeywordIndex
    from backend.settings import LayerSettings
    from backend.topics.layer_model import LayerModel
    from backend.topics.stages import AutoThresholdBirch, make_reducer

    warnings.simplefilter("ignore")
    texts, embeddings = corpus(size)
    result: dict = {"size": size, "seconds": {}, "peak_mb": {}}
    with PeakMemory() as memory:
        def stage(name, work):
            memory.stage = name
            started = time.perf_counter()
            value = work()
            result["seconds"][name] = round(time.perf_counter() - started, 2)
            return value

        stage("umap cold (500 docs)", lambda: make_reducer(LayerSettings(), 500).fit_transform(embeddings[:500]))
        stage("umap warm (500 docs)", lambda: make_reducer(LayerSettings(), 500).fit_transform(embeddings[:500]))
        reduced = stage("umap", lambda: make_reducer(LayerSettings(), size).fit_transform(embeddings))
        birch = stage("birch", lambda: AutoThresholdBirch(n_clusters=20).fit(reduced))
        stage("c-TF-IDF keywords", lambda: KeywordIndex.from_texts(texts, (1, 2), 2).keywords(birch.labels_, 20))
        stage("ours: whole layer model", lambda: LayerModel(n_topics=20, reducer=make_reducer(LayerSettings(), size))
              .fit(texts, embeddings))

        def stock():
            from bertopic import BERTopic

            return BERTopic(embedding_model=None, calculate_probabilities=False).fit_transform(texts, embeddings=embeddings)

        stage("stock BERTopic (UMAP + HDBSCAN)", stock)
    result["peak_mb"] = {k: round(v / 2**20) for k, v in memory.peaks.items()}
    return result


def embedding_rate(n: int = 2000) -> float:
    from backend.settings import Settings
    from backend.text.embeddings import SentenceTransformerEmbedder
    from backend.text.preprocess import preprocess
    from backend.text.sample_data import generate_opportunities

    texts = preprocess(generate_opportunities(n, seed=1), Settings()).docs["text_embed"].tolist()
    embedder = SentenceTransformerEmbedder()
    embedder.encode(texts[:64])  # load the model first
    started = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 100000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    if not (DATA / "minilm_embeddings.npz").is_file():
        raise SystemExit(f"{DATA} is absent: the speed benchmark needs the precomputed 20NG embeddings")
    rate = embedding_rate()
    print(f"embedding: {rate:.0f} documents/s (MiniLM, 2 CPU cores, generated documents)")
    results = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], check=True, capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr)
    stages = list(results[0]["seconds"])
    print("| stage | " + " | ".join(f"{r['size']:,} docs s (peak MB)" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for name in stages:
        print(f"| {name} | " + " | ".join(f"{r['seconds'][name]} ({r['peak_mb'].get(name, '')})" for r in results) + " |")
    print(f"\nEmbedding these sizes at {rate:.0f} documents/s would take "
          + ", ".join(f"{r['size'] / rate / 60:.1f} min" for r in results) + ".")


if __name__ == "__main__":
    main()
