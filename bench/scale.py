"""A million documents on one machine: the tables of bench/RESULTS.md, 'At scale', in one command.

    .venv/bin/python bench/scale.py --json bench/results/scale.json
    .venv/bin/python bench/scale.py --tables-from bench/results/scale.json

For 100,000 and 1,000,000 generated records (written to CSV first; generating them is not timed):
1. **The run to the first approval** from the CSV (the embedding cache off): seconds per step and
   the process's peak resident memory. At 100k with the CPU default backend; at 1M with
   ``embedding.backend = "static"``, and with the default backend only given
   ``--measure-default-at-1m`` (its embedding step alone takes over an hour on 2 cores). Without
   it, the 1M default row is *projected*: the 1M static run's own steps, with the embedding step
   replaced by the default backend's rate measured at 100k. The table says which rows are projected.
2. **Layer 1 alone**, the embeddings given, in a fresh process after UMAP's one-off numba compile
   (reported apart): seconds, peak memory, NMI against the generator's use cases.
3. At 100k, the same layer **fitted on every document** (no sample), and **stock BERTopic**
   (UMAP + HDBSCAN, its defaults) on the same embeddings, the same way.
Every measurement runs in its own process, one after the other, on an otherwise idle machine.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
WORK = ROOT / "bench" / ".cache" / "scale"


def records_csv(size: int) -> Path:
    from backend.text.sample_data import generate_opportunities

    path = WORK / f"records-{size}.csv"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate_opportunities(size, seed=42).to_csv(path, index=False)
    return path


def store_of(size: int, backend: str) -> Path:
    return WORK / f"store-{size}-{backend}"


def run_to_first_approval(size: int, backend: str) -> dict:
    """Fresh process: CSV -> preprocess -> embed -> layer 1, stopping at the first approval."""
    import shutil

    from memory import PeakMemory

    from backend.runs.runner import LocalRunner
    from backend.settings import settings_from_dict
    from backend.store.local import LocalStore
    from backend.text.embeddings import resolve_backend

    csv = records_csv(size)
    shutil.rmtree(store_of(size, backend), ignore_errors=True)
    store = LocalStore(store_of(size, backend))
    settings = settings_from_dict({"embedding": {"backend": backend, "cache": False}} if backend != "default"
                                  else {"embedding": {"cache": False}})
    with PeakMemory() as memory:
        def progress(stage: str, _fraction: float) -> None:
            memory.stage = stage.split(":")[0]

        started = time.perf_counter()
        record = LocalRunner(store, progress).start(csv, settings, "scale")
        total = time.perf_counter() - started
    steps = {name: state.seconds for name, state in record.steps.items() if state.seconds is not None}
    return {"kind": "run", "size": size, "backend": resolve_backend(settings.embedding.backend), "total_s": round(total, 1),
            "steps": steps, "input_s": round(total - sum(steps.values()), 1),
            "peak_mb": {k: round(v / 2**20) for k, v in memory.peaks.items()},
            "nmi_use_case": layer_nmi(store, size)}


def layer_nmi(store, size: int) -> float:
    import pandas as pd
    from sklearn.metrics import normalized_mutual_info_score

    assignments = store.read_parquet("runs/scale/layer1/assignments.parquet", columns=["id", "topic"])
    truth = pd.read_csv(records_csv(size), usecols=["opportunity_id", "true_use_case"], dtype=str)
    truth = truth.set_index("opportunity_id")["true_use_case"].loc[assignments["id"]]
    return round(float(normalized_mutual_info_score(truth, assignments["topic"])), 3)


def layer_alone(size: int, backend: str, model: str) -> dict:
    """Fresh process: layer 1 (ours) or stock BERTopic on the run's stored embeddings."""
    from memory import PeakMemory
    from sklearn.metrics import normalized_mutual_info_score

    from backend.settings import run_settings
    from backend.store.layout import docs_key
    from backend.store.local import LocalStore
    from backend.text.embeddings import load_embeddings, resolve_backend
    from backend.topics.stages import warm_up

    store = LocalStore(store_of(size, backend))
    settings = run_settings(store, "scale")
    docs = store.read_parquet(docs_key("scale"), columns=["id", "text_keywords"])
    embeddings = np.asarray(load_embeddings(store, "scale", settings))
    started = time.perf_counter()
    warm_up(settings.layer)
    compile_s = time.perf_counter() - started
    warnings.simplefilter("ignore")
    with PeakMemory() as memory:
        started = time.perf_counter()
        if model in {"ours", "ours-full"}:
            from dataclasses import replace

            from backend.topics.layers import fit_layer

            layer = settings.layer if model == "ours" else replace(settings.layer, fit_sample=0)
            result, _ = fit_layer(docs["id"].tolist(), docs["text_keywords"].tolist(), embeddings,
                                  layer.n_topics, layer, map_points=settings.app.max_map_points)
            topics = result.assignments["topic"].to_numpy()
        else:
            from bertopic import BERTopic

            topics, _ = BERTopic(embedding_model=None, calculate_probabilities=False).fit_transform(
                docs["text_keywords"].tolist(), embeddings=embeddings)
        seconds = time.perf_counter() - started
    import pandas as pd

    truth = pd.read_csv(records_csv(size), usecols=["opportunity_id", "true_use_case"], dtype=str)
    truth = truth.set_index("opportunity_id")["true_use_case"].loc[docs["id"]]
    return {"kind": "layer", "size": size, "model": model, "backend": resolve_backend(settings.embedding.backend), "compile_s": round(compile_s, 1),
            "seconds": round(seconds, 1), "peak_mb": round(max(memory.peaks.values()) / 2**20),
            "topics": int(len(set(topics)) - (1 if -1 in set(topics) else 0)),
            "nmi_use_case": round(float(normalized_mutual_info_score(truth, topics)), 3)}


def fresh(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", *args], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def tables(rows: list[dict]) -> str:
    runs = [r for r in rows if r["kind"] == "run"]
    runs += projected_runs(runs)
    lines = ["| records | backend | total | read + check input | preprocess | embed | layer 1 | peak RSS | layer-1 NMI (use case) |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        s = r["steps"]
        if r.get("projected"):
            lines.append(f"| {r['size']:,} | {r['backend']}, **projected** | {r['total_s'] / 60:.0f} min "
                         f"| {r['input_s']:.0f} s | {s['preprocess']:.0f} s | {s['embed']:.0f} s "
                         f"(at {r['docs_per_s']:.0f} docs/s) | {s['layer1']:.0f} s | | |")
            continue
        lines.append(f"| {r['size']:,} | {r['backend']} | {r['total_s'] / 60:.1f} min | {r['input_s']:.0f} s "
                     f"| {s.get('preprocess', 0):.0f} s | {s.get('embed', 0):.0f} s | {s.get('layer1', 0):.0f} s "
                     f"| {max(r['peak_mb'].values()) / 1024:.1f} GB | {r['nmi_use_case']:.3f} |")
    layers = [r for r in rows if r["kind"] == "layer"]
    lines += ["", "| documents | embeddings | layer | seconds | UMAP compile, once per process | peak RSS | topics "
              "| NMI (use case) |", "|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in layers:
        name = {"ours": "ours (defaults: fitted on 50,000, the rest placed)", "ours-full": "ours, fitted on every document",
                "stock": "stock BERTopic (UMAP + HDBSCAN)"}[r["model"]]
        lines.append(f"| {r['size']:,} | {r.get('backend', 'onnx-int8')} | {name} | {r['seconds']:.0f} "
                     f"| {r['compile_s']:.0f} s | {r['peak_mb'] / 1024:.1f} GB | {r['topics']} | {r['nmi_use_case']:.3f} |")
    return "\n".join(lines)


def profile(step: str, size: int) -> None:
    """Where one step's time goes: cProfile of it, again, on the run a measuring pass left behind."""
    import cProfile
    import pstats

    from backend.runs.steps import run_embed, run_preprocess
    from backend.settings import run_settings
    from backend.store.local import LocalStore

    backend = "default" if store_of(size, backend="default").is_dir() else "static"
    store = LocalStore(store_of(size, backend))
    settings = run_settings(store, "scale")
    work = {"preprocess": lambda: run_preprocess(store, "scale", settings),
            "embed": lambda: run_embed(store, "scale", settings),
            "layer": lambda: layer_alone(size, backend, "ours")}[step]
    profiler = cProfile.Profile()
    profiler.runcall(work)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def projected_runs(runs: list[dict]) -> list[dict]:
    """The default backend at the largest size, where only its static run was measured.

    Every step but the embedding is the static run's own (the same code on the same records); the
    embedding step is the default backend's documents per second, measured at a smaller size.
    """
    measured = [r for r in runs if r["backend"] != "static" and r["steps"].get("embed")]
    if not measured:
        return []
    rate_run = max(measured, key=lambda r: r["size"])
    docs_per_s = rate_run["size"] / rate_run["steps"]["embed"]
    projected = []
    for r in runs:
        if r["backend"] != "static" or any(m["size"] == r["size"] for m in measured):
            continue
        steps = dict(r["steps"], embed=r["size"] / docs_per_s)
        projected.append({"size": r["size"], "backend": rate_run["backend"], "projected": True, "steps": steps,
                          "input_s": r["input_s"], "docs_per_s": docs_per_s,
                          "total_s": r["input_s"] + sum(steps.values())})
    return projected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tables-from", type=Path)
    parser.add_argument("--measure-default-at-1m", action="store_true",
                        help="also run the default backend above 100k (over an hour of embedding at 1M)")
    parser.add_argument("--profile", nargs=2, metavar=("STEP", "SIZE"),
                        help="only cProfile one step (preprocess, embed or layer) again on the stored SIZE run")
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        profile(args.profile[0], int(args.profile[1]))
        return
    if args.one:
        what, size, backend, *rest = args.one
        result = {"run": lambda: run_to_first_approval(int(size), backend),
                  "layer": lambda: layer_alone(int(size), backend, rest[0])}[what]()
        print(json.dumps(result))
        return
    if args.tables_from:
        rows = json.loads(args.tables_from.read_text())
    else:
        rows = []

        def add(row: dict) -> None:  # saved as it comes: a later failure keeps what was measured
            rows.append(row)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1))

        from backend.text.embeddings import resolve_backend
        from backend.text.encoders import model_path, prepare

        for backend in {resolve_backend("auto"), "static"}:  # the one-off export or distillation, not timed
            prepare(model_path("minilm"), backend)
        for size in args.sizes:
            records_csv(size)
            if size <= 100_000 or args.measure_default_at_1m:
                add(fresh("run", str(size), "default"))
            if size <= 100_000:
                add(fresh("layer", str(size), "default", "ours"))
                add(fresh("layer", str(size), "default", "ours-full"))
                add(fresh("layer", str(size), "default", "stock"))
            else:
                add(fresh("run", str(size), "static"))
                backend = "default" if args.measure_default_at_1m else "static"
                add(fresh("layer", str(size), backend, "ours"))
    print(tables(rows))


if __name__ == "__main__":
    main()
