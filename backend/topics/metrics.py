"""Topic-quality metrics, following the BERTopic paper's protocol (OCTIS).

- ``topic_diversity``: share of unique words among the top-k words of all topics (Dieng et al.).
- ``npmi_coherence``: mean NPMI of each topic's top-k words over a reference corpus, computed with
  gensim's ``CoherenceModel(coherence="c_npmi")`` exactly as OCTIS does (optional dependency:
  gensim is needed only here, by the benchmarks and ``tune``).
- ``clustering_scores``: NMI, ARI and V-measure against known labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score

from backend.errors import SettingsError


def topic_diversity(topics: Sequence[Sequence[str]], topk: int = 10) -> float:
    words = [w for topic in topics for w in list(topic)[:topk]]
    return len(set(words)) / len(words) if words else 0.0


def npmi_coherence(topics: Sequence[Sequence[str]], texts: Sequence[Sequence[str]], topk: int = 10) -> float:
    """Mean c_npmi of the topics' top-k words over ``texts`` (tokenised reference documents).

    Words (and n-gram keywords) absent from the reference vocabulary are dropped from a topic, as
    OCTIS does by scoring only unigrams of the corpus; topics left with fewer than 2 words are skipped.
    """
    try:
        from gensim.corpora import Dictionary
        from gensim.models.coherencemodel import CoherenceModel
    except ImportError as exc:
        raise SettingsError("NPMI needs gensim.", "pip install gensim==4.4.0") from exc
    dictionary = Dictionary(texts)
    known = [[w for w in list(topic)[:topk] if w in dictionary.token2id] for topic in topics]
    known = [t for t in known if len(t) >= 2]
    if not known:
        return float("nan")
    model = CoherenceModel(topics=known, texts=texts, dictionary=dictionary, coherence="c_npmi", topn=topk,
                           processes=1)
    return float(np.mean(model.get_coherence_per_topic()))


def clustering_scores(labels: Sequence, clusters: Sequence) -> dict[str, float]:
    return {
        "nmi": float(normalized_mutual_info_score(labels, clusters)),
        "ari": float(adjusted_rand_score(labels, clusters)),
        "v_measure": float(v_measure_score(labels, clusters)),
    }
