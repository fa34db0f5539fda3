"""Per-stage wall time and peak memory of the local pipeline, and how well layer 1 recovers the
generator's known use-case tree (NMI against its families and its use cases).

    .venv/bin/python bench/pipeline.py --sizes 5000

Each size runs in a fresh process (so each pays UMAP's numba compile once, as a CLI run does),
with the real MiniLM embeddings (cache off) and default settings, auto-approving every layer.
Prints two Markdown tables for bench/RESULTS.md: per-stage time, peak memory and layer 1's NMI;
and how often the registered model agrees with the curated labels on held-out documents.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from memory import PeakMemory  # noqa: E402


def measure(size: int, seed: int) -> dict:
    """Run the whole pipeline on ``size`` generated records; return seconds, peaks and NMI."""
    from sklearn.metrics import normalized_mutual_info_score

    from backend.runs.record import load_run
    from backend.runs.runner import LocalRunner
    from backend.settings import settings_from_dict
    from backend.store.local import LocalStore
    from backend.text.sample_data import generate_opportunities

    started = time.perf_counter()
    records = generate_opportunities(size, seed=seed)
    generate_seconds = time.perf_counter() - started
    settings = settings_from_dict({"embedding": {"cache": False}})
    with tempfile.TemporaryDirectory() as tmp, PeakMemory() as memory:
        store = LocalStore(Path(tmp))

        def progress(stage: str, _fraction: float) -> None:
            memory.stage = stage.split(":")[0]

        record = LocalRunner(store, progress, auto_approve=True).start(records, settings, "bench")
        record = load_run(store, "bench")
        layer1 = store.read_parquet("runs/bench/layer1/assignments.parquet")
        registered = store.read_json("runs/bench/model/model.json")["meta"]["holdout"]
    truth = records.set_index(records["opportunity_id"].astype(str)).loc[layer1["id"]]
    return {
        "size": size,
        "generate_s": round(generate_seconds, 2),
        "steps": {n: s.seconds for n, s in record.steps.items() if s.seconds is not None},
        "peak_mb": {n: round(v / 2**20) for n, v in memory.peaks.items()},
        "nmi_family": round(normalized_mutual_info_score(truth["true_family"], layer1["topic"]), 3),
        "nmi_use_case": round(normalized_mutual_info_score(truth["true_use_case"], layer1["topic"]), 3),
        "n_docs": int(record.input["n_docs"]),
        "layer_topics": {n: s.detail for n, s in record.steps.items() if n.startswith("layer")},
        "model_holdout": registered,
    }


def table(results: list[dict]) -> str:
    steps = ["preprocess", "embed", "layer1", "layer2", "layer3", "labels"]
    lines = [
        "| records | docs | " + " | ".join(f"{s} s (peak MB)" for s in steps) + " | NMI family | NMI use case |",
        "|---" * (len(steps) + 4) + "|",
    ]
    for r in results:
        cells = [f"{r['steps'].get(s, 0):.1f} ({r['peak_mb'].get(s, 0)})" for s in steps]
        lines.append(f"| {r['size']:,} | {r['n_docs']:,} | " + " | ".join(cells)
                     + f" | {r['nmi_family']:.3f} | {r['nmi_use_case']:.3f} |")
    lines += ["", "| records | held-out documents | same layer-1 use case | same full path |", "|---|---:|---:|---:|"]
    for r in results:
        held = r["model_holdout"]
        lines.append(f"| {r['size']:,} | {held['documents']:,} | {held['layer1_agreement']:.1%} | {held['path_agreement']:.1%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)))
        return
    results = []
    for size in args.sizes:
        print(f"measuring {size} records ...", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)],
                             check=True, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr)
    print(table(results))


if __name__ == "__main__":
    main()
