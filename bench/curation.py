"""Latency of curation operations (backend.curation) on large synthetic layers.

    .venv/bin/python bench/curation.py --sizes 100000 1000000 --repeats 9

Each size runs in a fresh process (so peak RSS is per size). A synthetic layer is built once per
size: 25 raw topics with skewed (Zipf-like) sizes, ids "d0000001"..., a 5-D float32 reduced
embedding per document (3 sub-centres per topic + noise) and a float32 CSR document-term matrix
(20-30 terms per document over a 30,000-term vocabulary, half drawn from a topic-specific term
list). ``LayerIndex`` and ``KeywordIndex`` construction are one-off costs per layer and are
reported apart from the operations.

Every operation is applied ``--repeats`` times to the same base mapping (``apply`` returns a new
value; the base is never changed), after one untimed warm-up call; the split of the largest topic
(slow: BIRCH) runs ``--large-repeats`` times without a warm-up. Moves time ``apply`` only, not
drawing the random documents. ``LayerIndex`` caches
membership per mapping object, so each repetition runs on a fresh shallow copy of the mapping
(``dataclasses.replace``): membership is recomputed every time, as it is the first time a user
touches a mapping. Each operation is measured twice: on the fitted layer's initial mapping and on
a mapping with a 200-operation history (20 moves covering 100,000 documents, capped at half the
layer; 2 merges, 2 lasso splits, 88 renames, 88 notes) to show how cost depends on the log.
Prints a Markdown table (median and p90 in ms) and the build costs; ``--profile OP`` prints a
cProfile of one operation instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_TOPICS = 25
VOCABULARY = 30_000
TOPIC_TERMS = 400  # preferred terms per topic
HISTORY_MOVED = 100_000  # documents moved by the long history (capped at half the layer)


# --- synthetic layer ---------------------------------------------------------------------------


def synthetic_layer(size: int, seed: int) -> dict:
    """ids, raw topic keys, reduced embeddings and a doc-term matrix for ``size`` documents."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, N_TOPICS + 1)  # topic "0" is the largest, "24" the smallest
    topic = rng.choice(N_TOPICS, size=size, p=weights / weights.sum()).astype(np.int32)
    ids = np.char.mod("d%07d", np.arange(1, size + 1))
    raw_topics = np.array([str(k) for k in range(N_TOPICS)])[topic]

    centres = rng.normal(scale=4.0, size=(N_TOPICS, 5))
    sub_centres = centres[:, None, :] + rng.normal(scale=0.8, size=(N_TOPICS, 3, 5))
    sub = rng.integers(0, 3, size=size)
    reduced = (sub_centres[topic, sub] + rng.normal(scale=0.35, size=(size, 5))).astype(np.float32)
    del sub

    # 20-30 term draws per document: half from a global Zipf distribution over the vocabulary,
    # half from the document's topic's own preferred terms; repeated draws become counts.
    per_doc = rng.integers(20, 31, size=size)
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(per_doc, out=indptr[1:])
    total = int(indptr[-1])
    global_p = 1.0 / np.arange(1, VOCABULARY + 1) ** 1.05
    topic_p = 1.0 / np.arange(1, TOPIC_TERMS + 1) ** 0.9
    topic_vocab = np.stack([rng.choice(VOCABULARY, TOPIC_TERMS, replace=False) for _ in range(N_TOPICS)])
    terms = rng.choice(VOCABULARY, size=total, p=global_p / global_p.sum()).astype(np.int32)
    from_topic = np.flatnonzero(rng.random(total) < 0.5)
    slot_topic = np.repeat(topic, per_doc)[from_topic]
    rank = rng.choice(TOPIC_TERMS, size=len(from_topic), p=topic_p / topic_p.sum())
    terms[from_topic] = topic_vocab[slot_topic, rank]
    del from_topic, slot_topic, rank
    doc_term = sp.csr_matrix((np.ones(total, dtype=np.float32), terms, indptr), shape=(size, VOCABULARY))
    doc_term.sum_duplicates()
    vocabulary = [f"term{t:05d}" for t in range(VOCABULARY)]
    return {"ids": ids, "raw_topics": raw_topics, "reduced": reduced, "doc_term": doc_term,
            "vocabulary": vocabulary, "topic_sizes": np.bincount(topic, minlength=N_TOPICS)}


def initial(k: int = N_TOPICS):
    from backend.curation.mapping import Mapping, TopicDecision

    return Mapping(run_id="bench", layer=1, layer_fingerprint="bench",
                   topics={str(t): TopicDecision(label=f"Topic {t}") for t in range(k)})


def long_history(base, index, rng: np.random.Generator):
    """``base`` after 200 operations: 20 moves (HISTORY_MOVED docs), 2 merges, 2 splits, 88 renames, 88 notes."""
    from backend.curation.apply import apply
    from backend.curation.operations import Merge, Move, Note, Rename, Split

    n = len(index)
    moved = rng.choice(n, size=min(HISTORY_MOVED, n // 2), replace=False)
    move_batches = np.array_split(moved, 20)
    mapping = base
    kinds = ["merge", "merge", "split", "split"] + ["move"] * 20 + ["rename"] * 88 + ["note"] * 88
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    merges = iter([("20", "21"), ("22", "23")])
    splits = iter(["15", "16"])
    kept_targets = [str(t) for t in range(20)]
    for i, kind in enumerate(kinds):
        if kind == "merge":
            op = Merge(topics=next(merges), by="bench")
        elif kind == "split":
            topic = next(splits)
            members = index.members(mapping, topic)
            chosen = rng.choice(members, size=min(1000, len(members) // 2), replace=False)
            op = Split(topic=topic, groups=(tuple(index.ids[np.sort(chosen)]),), by="bench")
        elif kind == "move":
            docs = tuple(index.ids[move_batches.pop()])
            op = Move(documents=docs, to=str(5 + i % 5), by="bench")
        elif kind == "rename":
            op = Rename(topic=kept_targets[i % 20], label=f"Use case {i}", by="bench")
        else:
            op = Note(topic=kept_targets[i % 20], text=f"Checked by the bench, step {i}.", by="bench")
        mapping = apply(mapping, op, index)
    return mapping


# --- timing ------------------------------------------------------------------------------------


def timed(fn: Callable[[], object], repeats: int, fresh: Callable[[], object], warm_up: bool = True) -> list[float]:
    """Seconds of ``fn(arg)`` on ``repeats`` fresh arguments, after one untimed warm-up."""
    if warm_up:
        fn(fresh())
    seconds = []
    for _ in range(repeats):
        arg = fresh()
        started = time.perf_counter()
        fn(arg)
        seconds.append(time.perf_counter() - started)
    return seconds


def summary(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)), "n": len(ms)}


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # ru_maxrss is in KiB on Linux


# --- the measured operations ---------------------------------------------------------------


def operations(index, keywords, mapping, rng: np.random.Generator, split_topics: dict[str, str]):
    """name -> (callable on a fresh mapping, how many repeats to scale by)."""
    from backend.curation.apply import apply
    from backend.curation.operations import Merge, Move, Rename
    from backend.curation.preview import preview_merge, preview_split

    n = len(index)
    merge = Merge(topics=("2", "3"), by="bench")
    merged = apply(mapping, merge, index)

    def move(count: int):
        def run(m):
            docs = tuple(index.ids[rng.choice(n, size=min(count, n), replace=False)])
            op = Move(documents=docs, to="4", by="bench")
            started = time.perf_counter()  # only apply() is timed, not drawing the sample
            apply(m, op, index)
            return time.perf_counter() - started
        return run

    ops: dict[str, tuple[Callable, Callable, str]] = {
        "rename": (lambda m: apply(m, Rename(topic="1", label="Renamed use case", by="bench"), index),
                   lambda: replace(mapping), "all"),
        "merge (2 topics)": (lambda m: apply(m, merge, index), lambda: replace(mapping), "all"),
        "move 1,000 docs": (move(1_000), lambda: replace(mapping), "all"),
        "move 10,000 docs": (move(10_000), lambda: replace(mapping), "all"),
        "membership_codes (uncached)": (lambda m: index.membership_codes(m), lambda: replace(mapping), "all"),
        "keywords after merge (for_mapping)": (lambda m: keywords.for_mapping(m, index),
                                               lambda: replace(merged), "all"),
        "preview_merge": (lambda m: preview_merge(m, merge, index, keywords), lambda: replace(mapping), "all"),
    }
    for label, topic in split_topics.items():
        holder: dict = {}

        def preview(m, topic=topic, holder=holder):
            holder["op"] = preview_split(m, topic, 3, index, keywords, by="bench").operation

        ops[f"split preview k=3, {label}"] = (preview, lambda: replace(mapping), label)
        ops[f"split apply, {label}"] = (lambda m, holder=holder: apply(m, holder["op"], index),
                                        lambda: replace(mapping), label)
    return ops


def measure(size: int, seed: int, repeats: int, large_repeats: int, profile: str | None) -> dict:
    from backend.curation.keywords import KeywordIndex
    from backend.curation.layer_index import LayerIndex

    build: dict[str, float] = {}
    started = time.perf_counter()
    data = synthetic_layer(size, seed)
    build["synthetic data (not product code)"] = time.perf_counter() - started
    started = time.perf_counter()
    index = LayerIndex(data["ids"], data["raw_topics"], data["reduced"])
    build["LayerIndex()"] = time.perf_counter() - started
    started = time.perf_counter()
    keywords = KeywordIndex(data["doc_term"], data["vocabulary"])
    build["KeywordIndex()"] = time.perf_counter() - started
    rng = np.random.default_rng(seed + 1)
    base = initial()
    started = time.perf_counter()
    history = long_history(base, index, rng)
    build["replay 200-op history"] = time.perf_counter() - started
    del data["doc_term"]
    gc.collect()

    sizes = index.sizes(base)
    by_size = sorted(sizes, key=lambda k: -sizes[k])
    # the median-sized topic is the everyday case; the largest is the worst case
    mid, large = "12", by_size[0]
    split_topics = {"mid topic": mid, "largest topic": large}
    topic_docs = {"mid topic": {"base": sizes[mid], "history": index.sizes(history)[mid]},
                  "largest topic": {"base": sizes[large], "history": index.sizes(history)[large]}}

    results: dict[str, dict[str, dict]] = {}
    for which, mapping in (("base", base), ("history", history)):
        ops = operations(index, keywords, mapping, rng, split_topics)
        if profile:
            name = next(n for n in ops if n.startswith(profile))
            fn, fresh, _ = ops[name]
            if name.startswith("split apply"):  # it applies the op its preview made
                preview_fn, preview_fresh, _ = ops[name.replace("split apply", "split preview k=3")]
                preview_fn(preview_fresh())
            fn(fresh())
            profiler = cProfile.Profile()
            profiler.enable()
            fn(fresh())
            profiler.disable()
            print(f"== {name} on the {which} mapping, {size:,} documents", file=sys.stderr)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
            continue
        for name, (fn, fresh, scope) in ops.items():
            n = large_repeats if scope == "largest topic" else repeats
            if n <= 0:
                continue
            if name.startswith("move"):
                fn(fresh())  # warm-up; move() times only apply() itself and returns the seconds
                seconds = [fn(fresh()) for _ in range(n)]
            else:
                # the largest topic's split is slow and its code path is already warm (mid topic)
                seconds = timed(fn, n, fresh, warm_up=scope != "largest topic")
            results.setdefault(name, {})[which] = summary(seconds)
            print(f"{size:>9,} {which:8} {name:42} {results[name][which]['median_ms']:10.1f} ms", file=sys.stderr)
    return {
        "size": size,
        "build_s": {k: round(v, 3) for k, v in build.items()},
        "history_assignments": len(history.assignments),
        "history_ops": len(history.operations),
        "split_topic_docs": topic_docs,
        "results": results,
        "peak_rss_mb": rss_mb(),
    }


def _fmt(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 1 else f"{ms:.2f}"


def table(results: list[dict]) -> str:
    heads = []
    for r in results:
        heads += [f"{r['size']:,} median ms", f"{r['size']:,} p90 ms"]
    lines = ["| operation | mapping | " + " | ".join(heads) + " |", "|---|---" + "|---:" * len(heads) + "|"]
    names = list(dict.fromkeys(n for r in results for n in r["results"]))
    for name in names:
        for which in ("base", "history"):
            cells = []
            for r in results:
                s = r["results"].get(name, {}).get(which)
                cells += [_fmt(s["median_ms"]), _fmt(s["p90_ms"])] if s else ["–", "–"]
            label = "initial" if which == "base" else "200-op history"
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    lines += ["", "| one-off per layer | " + " | ".join(f"{r['size']:,}" for r in results) + " |",
              "|---" + "|---:" * len(results) + "|"]
    for step in results[0]["build_s"]:
        lines.append(f"| {step} | " + " | ".join(f"{r['build_s'][step]:.2f} s" for r in results) + " |")
    lines.append("| peak RSS (whole process) | " + " | ".join(f"{r['peak_rss_mb']:,} MB" for r in results) + " |")
    lines += ["", "| split target (documents: initial / history) | " + " | ".join(f"{r['size']:,}" for r in results)
              + " |", "|---" + "|---:" * len(results) + "|"]
    for label in results[0]["split_topic_docs"]:
        lines.append(f"| {label} | " + " | ".join(
            f"{r['split_topic_docs'][label]['base']:,} / {r['split_topic_docs'][label]['history']:,}" for r in results)
            + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=9, help="timed repetitions per operation (default 9)")
    parser.add_argument("--large-repeats", type=int, default=3,
                        help="repetitions of the split of the largest topic (slow: BIRCH); 0 skips it")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", metavar="OP", help="cProfile one operation (name prefix, e.g. 'move 10')")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed, args.repeats, args.large_repeats, args.profile)))
        return
    results = []
    for size in args.sizes:
        print(f"measuring {size:,} documents ...", file=sys.stderr)
        cmd = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed), "--repeats", str(args.repeats),
               "--large-repeats", str(args.large_repeats)] + (["--profile", args.profile] if args.profile else [])
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if not args.profile:
        print(table(results))


if __name__ == "__main__":
    main()
