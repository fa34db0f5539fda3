"""Plots as free functions returning plotly Figures (tested through ``fig.to_dict()``).

Plotly escapes text it draws, so document text and labels are never rendered as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from backend.runs.record import RunRecord

STATUS_COLOURS = {
    "done": "#2e7d32", "waiting": "#f9a825", "running": "#1565c0", "pending": "#9e9e9e",
    "skipped": "#cfd8dc", "failed": "#c62828", "rejected": "#6a1b9a",
}


def keyword_bars(keywords: Sequence[tuple[str, float]], title: str = "") -> go.Figure:
    """Horizontal bars of a topic's keywords, strongest on top."""
    words = [w for w, _ in keywords][::-1]
    scores = [s for _, s in keywords][::-1]
    fig = go.Figure(go.Bar(x=scores, y=words, orientation="h", marker_color="#1565c0"))
    fig.update_layout(title=title, height=max(220, 24 * len(words) + 80), margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="c-TF-IDF")
    return fig


def sample_for_map(documents: pd.DataFrame, max_points: int, seed: int = 0) -> tuple[pd.DataFrame, bool]:
    """The documents the layer placed on the map (at most ``max_points``: a fixed random sample
    beyond that), and whether that is fewer than all of them."""
    placed = documents[documents["x"].notna() & documents["y"].notna()]
    if len(placed) > max_points:
        placed = placed.sample(n=max_points, random_state=seed).sort_index()
    return placed, len(placed) < len(documents)


def document_map(documents: pd.DataFrame, colour: str = "label", height: int = 560) -> go.Figure:
    """Documents at their 2-D coordinates, one WebGL trace per topic; ids ride along for selection.

    ``documents`` needs columns id, x, y, the ``colour`` column and ``text`` (shown on hover).
    """
    fig = go.Figure()
    for name, group in sorted(documents.groupby(colour), key=lambda item: _natural(str(item[0]))):
        hover = group["text"].fillna("").str.slice(0, 200).map(html.escape)
        fig.add_trace(go.Scattergl(
            x=group["x"], y=group["y"], mode="markers", name=str(name)[:40],
            customdata=group["id"].astype(str), text=hover, marker=dict(size=5, opacity=0.7),
            hovertemplate="%{text}<extra>%{fullData.name}</extra>",
        ))
    fig.update_layout(height=height, dragmode="lasso", legend=dict(itemsizing="constant"),
                      margin=dict(l=10, r=10, t=10, b=10), xaxis=dict(visible=False), yaxis=dict(visible=False))
    return fig


def _natural(name: str) -> tuple:
    """Legend order for "10: label" names: by topic key as numbers (2 before 10), then by text."""
    key = name.split(":", 1)[0]
    parts = key.split(".")
    return (0, tuple(int(p) for p in parts), name) if all(p.isdigit() for p in parts) else (1, (), name)


def selected_ids(event: object) -> list[str]:
    """Document ids in a ``st.plotly_chart(on_select=...)`` event (points, box or lasso)."""
    if event is None:
        return []
    selection = event.get("selection", {}) if isinstance(event, dict) else getattr(event, "selection", {})
    points = selection.get("points", []) if isinstance(selection, dict) else getattr(selection, "points", [])
    ids = [str(p["customdata"]) for p in points if isinstance(p, dict) and p.get("customdata") is not None]
    return list(dict.fromkeys(ids))


def hierarchy(labels: pd.DataFrame) -> go.Figure:
    """Sunburst of the use-case tree (layer 1 -> 2 -> 3), sized by documents."""
    frame = labels[labels["layer1_label"].notna()]
    ids, parents, names, values = [], [], [], []
    for depth in (1, 2, 3):
        columns = [f"layer{n}_label" for n in range(1, depth + 1)]
        level = frame.dropna(subset=columns).groupby(columns, sort=True).size()
        for path, count in level.items():
            path = path if isinstance(path, tuple) else (path,)
            ids.append(" > ".join(path))
            parents.append(" > ".join(path[:-1]))
            names.append(path[-1])
            values.append(int(count))
    fig = go.Figure(go.Sunburst(ids=ids, parents=parents, labels=names, values=values, branchvalues="remainder",
                                hovertemplate="%{id}<br>%{value} documents<extra></extra>"))
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def documents_per_use_case(counts: pd.DataFrame, top: int = 30) -> go.Figure:
    """Bar chart of documents per use-case path (``label_counts`` output), largest first."""
    shown = counts.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=shown["documents"], y=shown["path"], orientation="h", marker_color="#2e7d32"))
    fig.update_layout(height=max(260, 22 * len(shown) + 80), margin=dict(l=10, r=10, t=30, b=10),
                      title=f"Documents per use case (top {min(top, len(counts))} of {len(counts)})")
    return fig


def run_steps_dot(record: RunRecord) -> str:
    """The run's steps as a Graphviz diagram (``st.graphviz_chart``), coloured by status."""
    nodes = []
    for name, state in record.steps.items():
        colour = STATUS_COLOURS.get(state.status, "#9e9e9e")
        nodes.append(f'"{name}" [label="{name}\\n{state.status}", style="filled,rounded", shape=box, '
                     f'fillcolor="{colour}", fontcolor="{"black" if state.status in {"skipped", "pending", "waiting"} else "white"}"];')
    edges = [f'"{a}" -> "{b}";' for a, b in zip(list(record.steps), list(record.steps)[1:])]
    return "digraph run {\n  rankdir=LR;\n  node [fontname=Helvetica, fontsize=10];\n  " + "\n  ".join(nodes + edges) + "\n}"


def tuning_history(trials: pd.DataFrame) -> go.Figure:
    """Each trial's score (by embedding model) and the best score so far, in trial order."""
    done = trials[trials["state"] == "complete"].sort_values("trial")
    fig = go.Figure()
    for model, group in done.groupby("embedding_model", sort=True):
        fig.add_trace(go.Scatter(x=group["trial"], y=group["score"], mode="markers", name=str(model),
                                 customdata=group[["coherence", "diversity", "balance", "stability"]].to_numpy(),
                                 hovertemplate="trial %{x}: %{y:.4f}<br>NPMI %{customdata[0]:.3f}, diversity "
                                               "%{customdata[1]:.3f}<br>balance %{customdata[2]:.3f}, stability "
                                               "%{customdata[3]:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=done["trial"], y=done["score"].cummax(), mode="lines", name="best so far",
                             line=dict(color="#2e7d32", shape="hv")))
    fig.update_layout(title="topic-curator tune: score per trial", xaxis_title="trial",
                      yaxis_title="score (higher is better)", height=460)
    return fig
