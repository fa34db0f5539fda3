"""Topic quality of our layer model beside stock BERTopic, on the same embeddings.

    .venv/bin/python bench/quality.py --corpora bbc generated 20ng --runs 3 [--config tuned.toml]

Protocol (BERTopic paper, OCTIS): 10, 20, 30, 40 and 50 topics, ``--runs`` runs each (seeds 0..),
top-10 words per topic, the outlier topic excluded; NPMI (gensim c_npmi) over the corpus the model
was fitted on, topic diversity, and NMI / ARI / V-measure against the labels. Keywords are
unigrams for both models so NPMI scores every top word. Ours is ``layer_model`` with the
product's layer defaults (or ``--config``'s ``[layer]``, and its ``[embedding]`` model when it is
not MiniLM, fitted on the corpus). Embeddings: all-MiniLM-L6-v2, cached in
bench/.cache. Corpora: ``bbc`` (the exact OCTIS BBC corpus from ../shared/data; skipped with a
message when absent), ``generated`` (the bundled generator, 5,000 records, cleaned and lemmatised
by our own preprocessing), ``20ng`` (20 Newsgroups with our preprocessing for the keywords and the
precomputed MiniLM vectors of the raw text from ../shared/data; not the OCTIS corpus, so its NPMI
is not comparable with the paper's).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "bench" / ".cache"
PAPER_MINILM = {"bbc": {"npmi": 0.170, "td": 0.802}, "20ng": {"npmi": 0.159, "td": 0.833}}


class Corpus(NamedTuple):
    """Texts to fit on, their labels, precomputed embeddings when the corpus ships them, and the
    other level of its true hierarchy (20NG's 6 subject groups, the generated sub-use-cases)."""

    texts: list[str]
    labels: pd.Series
    vectors: np.ndarray | None
    other_level: tuple[str, np.ndarray] | None = None


def load_corpus(name: str) -> Corpus | None:
    if name == "bbc":
        path = DATA / "bbc_news" / "bbc_news_octis.csv"
        if not path.is_file():
            print(f"skipping bbc: {path} is absent", file=sys.stderr)
            return None
        frame = pd.read_csv(path, keep_default_na=False)
        return Corpus(frame["text"].tolist(), frame["label_l1"], None)
    if name in {"generated", "20ng"}:
        from backend.settings import settings_from_dict
        from backend.text.preprocess import preprocess

        if name == "generated":
            from backend.text.sample_data import generate_opportunities

            records = generate_opportunities(5000, seed=42)
            settings = settings_from_dict({})
            label_column, other_column, other_name = "true_use_case", "true_sub_use_case", "sub-use-cases"
        else:
            path = DATA / "20newsgroups" / "20newsgroups.csv"
            if not path.is_file():
                print(f"skipping 20ng: {path} is absent", file=sys.stderr)
                return None
            records = pd.read_csv(path, keep_default_na=False)
            records = records[records["text"].str.strip() != ""]
            settings = settings_from_dict({"input": {"id_column": "id", "text_columns": ["text"],
                                                     "entity_columns": []}})
            label_column, other_column, other_name = "label_l2", "subject_group", "subject groups"
        docs = preprocess(records, settings).docs
        by_id = records.set_index(records[settings.input.id_column].astype(str)).loc[docs["id"]]
        labels = by_id[label_column]
        vectors = None
        shipped = DATA / "20newsgroups" / "minilm_embeddings.npz"
        if name == "20ng" and shipped.is_file():  # rows of the non-empty texts, in file order (see its README)
            with np.load(shipped, allow_pickle=False) as arrays:
                text_vectors = arrays["text"].astype(np.float32)
            row = pd.Series(np.arange(len(records)), index=records["id"].astype(str))
            vectors = text_vectors[row.loc[docs["id"]].to_numpy()]
        return Corpus(docs["text_keywords"].tolist(), labels.reset_index(drop=True), vectors,
                      (other_name, by_id[other_column].to_numpy()))
    raise SystemExit(f"unknown corpus {name!r}")


def embed(texts: list[str]) -> np.ndarray:
    from backend.store.local import LocalStore
    from backend.text.embeddings import EmbeddingCache, SentenceModelEmbedder, embed_texts

    embedder = SentenceModelEmbedder("minilm", backend="torch")
    vectors, _ = embed_texts(texts, embedder, EmbeddingCache(LocalStore(CACHE), embedder.name))
    return vectors


def fit_ours(texts, embeddings, k, seed, layer):
    from dataclasses import replace

    from backend.topics.layer_model import layer_model

    settings = replace(layer, random_state=seed, ngram_range=(1, 1))
    model = layer_model(settings, k, len(texts)).fit(texts, embeddings)
    return model.topics_, [[w for w, _ in model.keywords_[t]] for t in sorted(model.keywords_)]


def fit_stock(texts, embeddings, k, seed, layer):
    from bertopic import BERTopic
    from umap import UMAP

    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    model = BERTopic(embedding_model=None, umap_model=umap, nr_topics=k, calculate_probabilities=False)
    topics, _ = model.fit_transform(texts, embeddings=embeddings)
    words = [[w for w, _ in model.get_topic(t)] for t in sorted(set(topics)) if t != -1]
    return np.asarray(topics), words


MODELS = {"ours": ("ours (UMAP + BIRCH)", fit_ours), "stock": ("stock BERTopic (UMAP + HDBSCAN)", fit_stock)}


def evaluate(corpus: str, runs: int, counts: list[int], models: list[str], settings, label: str | None = None) -> list[dict]:
    from backend.topics.metrics import clustering_scores, npmi_coherence, topic_diversity

    loaded = load_corpus(corpus)
    if loaded is None:
        return []
    texts, labels, embeddings, other_level = loaded
    started = time.perf_counter()
    embeddings = embed(texts) if embeddings is None else embeddings
    ours_embeddings = embeddings
    if settings.embedding.model != "minilm":  # e.g. a tuned settings file that chose tfidf-svd
        from backend.text.embeddings import make_embedder

        ours_embeddings = make_embedder(settings.embedding).fit(texts).encode(texts)
    print(f"{corpus}: {len(texts)} documents embedded in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    tokens = [t.split() for t in texts]
    rows = []
    for key in models:
        model_name, fit = MODELS[key]
        vectors = ours_embeddings if key == "ours" else embeddings
        if key == "ours" and settings.embedding.model != "minilm":
            model_name += f" on {settings.embedding.model}"
        if key == "ours" and label:
            model_name = label
        for k in counts:
            for seed in range(runs):
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clusters, words = fit(texts, vectors, k, seed, settings.layer)
                row = {"corpus": corpus, "model": model_name, "k": k, "seed": seed, "topics": len(words),
                       "npmi": npmi_coherence(words, tokens), "td": topic_diversity(words),
                       **clustering_scores(labels, clusters), "seconds": time.perf_counter() - started}
                if other_level:  # the same clusters against the other level of the truth
                    row["other_level"], row["nmi_other"] = other_level[0], clustering_scores(other_level[1], clusters)["nmi"]
                print(json.dumps(row), file=sys.stderr)
                rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    lines = ["| corpus | model | NPMI | TD | NMI | ARI | V-measure | NMI vs the other level | topics found (mean) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (corpus, model), group in frame.groupby(["corpus", "model"], sort=False):
        other = (f"{group.nmi_other.mean():.3f} ({group.other_level.iloc[0]})"
                 if "nmi_other" in group and group.nmi_other.notna().any() else "")
        lines.append(f"| {corpus} | {model} | {group.npmi.mean():.3f} | {group.td.mean():.3f} | {group.nmi.mean():.3f} "
                     f"| {group.ari.mean():.3f} | {group.v_measure.mean():.3f} | {other} | {group.topics.mean():.1f} |")
        if corpus in PAPER_MINILM:
            paper = PAPER_MINILM[corpus]
            if model.startswith("stock"):
                lines.append(f"| {corpus} | paper: BERTopic all-MiniLM-L6-v2 | {paper['npmi']:.3f} | {paper['td']:.3f} | | | | | |")
    return "\n".join(lines)


def by_topics_table(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    lines = ["| corpus | model | topics asked | NPMI | TD | NMI | NMI vs the other level | topics found |",
             "|---|---|---|---|---|---|---|---|"]
    for (corpus, model, k), group in frame.groupby(["corpus", "model", "k"], sort=False):
        other = f"{group.nmi_other.mean():.3f}" if "nmi_other" in group and group.nmi_other.notna().any() else ""
        lines.append(f"| {corpus} | {model} | {k} | {group.npmi.mean():.3f} | {group.td.mean():.3f} "
                     f"| {group.nmi.mean():.3f} | {other} | {group.topics.mean():.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="+", default=["bbc", "generated"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--topics", type=int, nargs="+", default=[10, 20, 30, 40, 50])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["ours", "stock"])
    parser.add_argument("--config", type=Path, help="settings file whose [layer] (and embedding model) ours uses (default: the defaults)")
    parser.add_argument("--label", help="name ours by this in the tables (e.g. for a --config)")
    parser.add_argument("--json", type=Path, help="also write every run's scores here")
    parser.add_argument("--tables-from", type=Path, nargs="+", help="only print the tables of earlier --json files")
    args = parser.parse_args()
    if args.tables_from:
        rows = [row for path in args.tables_from for row in json.loads(path.read_text())]
    else:
        from backend.settings import load_settings

        settings = load_settings(args.config)
        rows = [row for corpus in args.corpora for row in evaluate(corpus, args.runs, args.topics, args.models, settings,
                                                                       args.label)]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))
    print()
    print(by_topics_table(rows))


if __name__ == "__main__":
    main()
