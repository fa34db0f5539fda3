"""Embedding backends side by side: throughput on CRM-like text, and topic quality on 20NG and BBC.

    .venv/bin/python bench/embeddings.py [--json bench/results/embeddings.json]
    .venv/bin/python bench/embeddings.py --tables-from bench/results/embeddings.json

Backends: torch, onnx (fp32), onnx-int8, static (``embedding.backend``), and onnx-int8 with
``max_seq_length`` 128 and 64 against 256. For each:
- **throughput**: documents/s embedding 3,000 generated opportunity records (cleaned, no cache),
  after one warm-up batch; and the share of duplicate texts, which ``embed_texts`` embeds once;
- **quality** on 20 Newsgroups (a fixed stratified sample of 4,000 documents, 200 per newsgroup)
  and BBC News (all 2,225 raw articles), both embedded from the text our preprocessing makes:
  k-means with k = the number of classes (20 and 5), NMI against the classes, mean of 5 seeds;
  and our layer model at 20 topics (seeds 0 and 1): NMI, NPMI and topic diversity of its keywords.
Vectors are cached per backend in bench/.cache, so a second run only re-scores.
``--quality-only`` re-scores the quality and keeps the throughput rows of ``--json``'s file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "bench" / ".cache"
VARIANTS = [("torch", 256), ("onnx", 256), ("onnx-int8", 256), ("onnx-int8", 128), ("onnx-int8", 64), ("static", 256)]


def corpus(name: str) -> tuple[list[str], list[str], np.ndarray] | None:
    """Texts to embed, keyword texts, and labels."""
    from backend.settings import settings_from_dict
    from backend.text.preprocess import preprocess

    path = DATA / ("20newsgroups/20newsgroups.csv" if name == "20ng" else "bbc_news/bbc_news.csv")
    if not path.is_file():
        print(f"skipping {name}: {path} is absent", file=sys.stderr)
        return None
    frame = pd.read_csv(path, keep_default_na=False)
    frame = frame[frame["text"].str.strip() != ""]
    label = "label_l2" if name == "20ng" else "label_l1"
    if name == "20ng":
        frame = frame.groupby(label, group_keys=False).sample(200, random_state=0)
    settings = settings_from_dict({"input": {"id_column": "id", "text_columns": ["text"], "entity_columns": []}})
    docs = preprocess(frame, settings).docs
    labels = frame.set_index(frame["id"].astype(str))[label].loc[docs["id"]].to_numpy()
    return docs["text_embed"].tolist(), docs["text_keywords"].tolist(), labels


def embedder(backend: str, length: int):
    from backend.settings import EmbeddingSettings
    from backend.text.embeddings import make_embedder

    return make_embedder(EmbeddingSettings(backend=backend, max_seq_length=length))


def throughput(backend: str, length: int, texts: list[str]) -> float:
    model = embedder(backend, length)
    model.encode(texts[:64])  # load (and prepare, the first time) the backend
    started = time.perf_counter()
    model.encode(texts)
    return len(texts) / (time.perf_counter() - started)


def quality(name: str, loaded, backend: str, length: int) -> dict:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    from backend.settings import LayerSettings
    from backend.store.local import LocalStore
    from backend.text.embeddings import EmbeddingCache, embed_texts
    from backend.topics.layer_model import layer_model
    from backend.topics.metrics import npmi_coherence, topic_diversity

    texts, keyword_texts, labels = loaded
    model = embedder(backend, length)
    vectors, _ = embed_texts(texts, model, EmbeddingCache(LocalStore(CACHE), model.name))
    k = len(set(labels))
    kmeans = [normalized_mutual_info_score(labels, KMeans(k, n_init=3, random_state=s).fit_predict(vectors))
              for s in range(5)]
    tokens = [t.split() for t in keyword_texts]
    layer = {"nmi": [], "npmi": [], "td": []}
    for seed in (0, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = layer_model(LayerSettings(random_state=seed, ngram_range=(1, 1)), 20, len(texts)).fit(keyword_texts, vectors)
        words = [[w for w, _ in fit.keywords_[t]] for t in sorted(fit.keywords_)]
        layer["nmi"].append(normalized_mutual_info_score(labels, fit.topics_))
        layer["npmi"].append(npmi_coherence(words, tokens))
        layer["td"].append(topic_diversity(words))
    return {"corpus": name, "backend": backend, "max_seq_length": length, "kmeans_nmi": float(np.mean(kmeans)),
            **{f"layer_{key}": float(np.mean(values)) for key, values in layer.items()}}


def tables(rows: list[dict]) -> str:
    speed = [r for r in rows if "docs_per_s" in r]
    scores = pd.DataFrame([r for r in rows if "kmeans_nmi" in r])
    lines = ["| backend | max_seq_length | documents/s (CRM text, 2 cores) | vs torch |", "|---|---|---:|---:|"]
    torch_rate = next(r["docs_per_s"] for r in speed if r["backend"] == "torch")
    for r in speed:
        lines.append(f"| {r['backend']} | {r['max_seq_length']} | {r['docs_per_s']:.0f} | {r['docs_per_s'] / torch_rate:.1f}x |")
    lines += ["", "| corpus | backend | max_seq_length | k-means NMI | layer NMI | layer NPMI | layer TD |",
              "|---|---|---|---:|---:|---:|---:|"]
    for r in scores.to_dict("records"):
        lines.append(f"| {r['corpus']} | {r['backend']} | {r['max_seq_length']} | {r['kmeans_nmi']:.3f} | "
                     f"{r['layer_nmi']:.3f} | {r['layer_npmi']:.3f} | {r['layer_td']:.3f} |")
    duplicates = [r for r in rows if "duplicate_share" in r]
    for r in duplicates:
        lines.append(f"\n{r['corpus']}: {r['duplicate_share']:.1%} of the texts are exact duplicates of another, "
                     "embedded once.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="+", default=["20ng", "bbc"])
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--tables-from", type=Path, help="only print the tables of an earlier --json file")
    parser.add_argument("--quality-only", action="store_true")
    args = parser.parse_args()
    if args.tables_from:
        print(tables(json.loads(args.tables_from.read_text())))
        return
    from backend.settings import Settings
    from backend.text.preprocess import preprocess
    from backend.text.sample_data import generate_opportunities

    if args.quality_only:
        rows = [r for r in json.loads(args.json.read_text()) if "docs_per_s" in r or r.get("corpus") == "generated"]
    else:
        crm = preprocess(generate_opportunities(3000, seed=1), Settings()).docs["text_embed"].tolist()
        rows = [{"corpus": "generated", "duplicate_share": 1 - len(set(crm)) / len(crm)}]
        for backend, length in VARIANTS:
            rows.append({"backend": backend, "max_seq_length": length, "docs_per_s": throughput(backend, length, crm)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    for name in args.corpora:
        loaded = corpus(name)
        if loaded is None:
            continue
        rows.append({"corpus": name, "duplicate_share": 1 - len(set(loaded[0])) / len(loaded[0])})
        for backend, length in VARIANTS:
            rows.append(quality(name, loaded, backend, length))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(tables(rows))


if __name__ == "__main__":
    main()
