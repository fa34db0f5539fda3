"""How topics are described: keyword weightings and BERTopic's representation models, scored on
the same clusters.

    .venv/bin/python bench/keywords.py --json bench/results/keywords.json        # about 25 minutes
    .venv/bin/python bench/keywords.py --tables-from bench/results/keywords.json

For each corpus (bbc, 20ng, generated: see bench/quality.py) and 10, 20, 30, 40, 50 topics (one
seed: every method describes the very same clusters, so their differences are paired), our layer
model is fitted once with today's defaults and unigram keywords, and each method picks every
topic's top 10 words:

- ``bertopic``: BERTopic's c-TF-IDF, ``sqrt(tf) * idf`` (``layer.keyword_weighting = "bertopic"``);
- ``coherent idf^a share^b exclusivity^c``: ``sqrt(tf) * idf^a * share^b * exclusivity^c``, share
  being the part of the topic's documents that use the word and exclusivity the part of the word's
  documents that are in the topic (``"coherent"``, backend/topics/ctfidf.py), for a grid of a, b, c;
- ``mmr 0.1`` / ``mmr 0.3``: BERTopic's ``MaximalMarginalRelevance`` at that diversity, and
  ``keybert``: its ``KeyBERTInspired``, both with MiniLM (torch) embedding the candidate words and
  working from BERTopic's own c-TF-IDF of the layer's documents.

Scores: NPMI (gensim c_npmi over the fitted corpus) and topic diversity, as in bench/quality.py.
"""

from __future__ import annotations

import argparse
import json
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

GRID = [(2.0, 0.5, 0.0), (2.0, 0.75, 0.0), (2.5, 0.75, 0.0), (1.0, 0.5, 0.5), (1.0, 1.0, 0.5), (1.0, 1.0, 1.0),
        (1.0, 0.5, 1.0)]  # (idf, share, exclusivity) powers


def coherent_words(model, idf_power: float, share_power: float, exclusivity_power: float) -> list[list[str]]:
    from backend.topics.ctfidf import class_term_counts, coherent_ctfidf, presence, top_words

    n = int(model.topics_.max()) + 1
    counts = class_term_counts(model.doc_term_, model.topics_, n)
    users = class_term_counts(presence(model.doc_term_), model.topics_, n)
    weights = coherent_ctfidf(counts, users, np.bincount(model.topics_, minlength=n), idf_power, share_power,
                              exclusivity_power)
    return [[w for w, _ in found] for found in top_words(weights, model.keyword_vectorizer_.get_feature_names_out(), 10)]


def bertopic_words(model) -> list[list[str]]:
    from backend.topics.ctfidf import keywords

    n = int(model.topics_.max()) + 1
    found = keywords(model.doc_term_, model.keyword_vectorizer_.get_feature_names_out(), model.topics_, n, 10, "bertopic")
    return [[w for w, _ in words] for words in found]


def representation_words(model, texts: list[str], representation) -> list[list[str]]:
    """BERTopic's representation model over the layer's own BERTopic object, MiniLM embedding words."""
    from bertopic.backend import BaseEmbedder

    from backend.text.embeddings import SentenceModelEmbedder

    class MiniLM(BaseEmbedder):
        encoder = SentenceModelEmbedder("minilm", backend="torch")

        def embed(self, documents, verbose=False):
            return self.encoder.encode(list(documents))

    topic_model = model.bertopic_
    topic_model.embedding_model = MiniLM()
    topic_model.update_topics(texts, topics=[int(t) for t in model.topics_], representation_model=representation)
    return [[w for w, _ in topic_model.get_topic(t)][:10] for t in sorted(set(model.topics_.tolist()))]


def methods(texts: list[str]):
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    yield "bertopic", bertopic_words
    for idf_power, share_power, exclusivity_power in GRID:
        yield f"coherent idf^{idf_power:g} share^{share_power:g} exclusivity^{exclusivity_power:g}", (
            lambda m, a=idf_power, b=share_power, c=exclusivity_power: coherent_words(m, a, b, c))
    yield "mmr 0.1", lambda m: representation_words(m, texts, MaximalMarginalRelevance(0.1))
    yield "mmr 0.3", lambda m: representation_words(m, texts, MaximalMarginalRelevance(0.3))
    yield "keybert", lambda m: representation_words(m, texts, KeyBERTInspired())


def evaluate(corpus: str, counts: list[int], seed: int) -> list[dict]:
    from quality import embed, load_corpus

    from backend.settings import LayerSettings
    from backend.topics.layer_model import layer_model
    from backend.topics.metrics import npmi_coherence, topic_diversity

    loaded = load_corpus(corpus)
    if loaded is None:
        return []
    texts, embeddings = loaded.texts, loaded.vectors
    embeddings = embed(texts) if embeddings is None else embeddings
    tokens = [t.split() for t in texts]
    rows = []
    for k in counts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = layer_model(replace(LayerSettings(), random_state=seed, ngram_range=(1, 1)), k, len(texts))
            model.fit(texts, embeddings)
            for name, describe in methods(texts):
                started = time.perf_counter()
                words = [w for w in describe(model) if w]
                row = {"corpus": corpus, "k": k, "seed": seed, "method": name,
                       "npmi": npmi_coherence(words, tokens), "td": topic_diversity(words),
                       "seconds": time.perf_counter() - started, "example": words[0][:6]}
                print(json.dumps(row), file=sys.stderr)
                rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    corpora = list(dict.fromkeys(frame.corpus))
    header = "| method | " + " | ".join(f"{c} NPMI | {c} TD" for c in corpora) + " |"
    lines = [header, "|---|" + "---:|---:|" * len(corpora)]
    for method, group in frame.groupby("method", sort=False):
        cells = []
        for corpus in corpora:
            part = group[group.corpus == corpus]
            cells.append(f"{part.npmi.mean():.3f} | {part.td.mean():.3f}" if len(part) else " | ")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="+", default=["bbc", "20ng", "generated"])
    parser.add_argument("--topics", type=int, nargs="+", default=[10, 20, 30, 40, 50])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write every score here")
    parser.add_argument("--tables-from", type=Path, help="only print the table of an earlier --json file")
    args = parser.parse_args()
    if args.tables_from:
        rows = json.loads(args.tables_from.read_text())
    else:
        rows = [row for corpus in args.corpora for row in evaluate(corpus, args.topics, args.seed)]
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
