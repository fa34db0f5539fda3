"""Plots as free functions returning plotly Figures (tested through ``fig.to_dict()``).

Plotly renders a subset of HTML (``<b>``, ``<br>``, ``<a>``, entities) in every text it draws:
legends, hovers, sunburst labels, axis ticks, titles; and LaTeX between ``$`` where MathJax is on
the page. So every label, keyword, model name and document text goes through ``escape`` first and
shows literally.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from backend.runs.record import RunRecord

# 48 distinct colours: no two of a layer's topics (at most 25 by default) share one.
PALETTE = plotly.colors.qualitative.Dark24 + plotly.colors.qualitative.Light24
UNASSIGNED_COLOUR = "#9e9e9e"
HOVER_CHARS = 80

STATUS_COLOURS = {
    "done": "#2e7d32", "waiting": "#f9a825", "running": "#1565c0", "pending": "#9e9e9e",
    "skipped": "#cfd8dc", "failed": "#c62828", "rejected": "#6a1b9a",
}


def sample_for_map(documents: pd.DataFrame, max_points: int, seed: int = 0) -> tuple[pd.DataFrame, bool]:
    """The documents the layer placed on the map (at most ``max_points``: a fixed random sample
    beyond that), and whether that is fewer than all of them."""
    placed = documents[documents["x"].notna() & documents["y"].notna()]
    if len(placed) > max_points:
        placed = placed.sample(n=max_points, random_state=seed).sort_index()
    return placed, len(placed) < len(documents)


def escape(text: object) -> str:
    """Text as plotly should show it: literally, markup included (``$`` as an entity: no LaTeX)."""
    return html.escape(str(text), quote=False).replace("$", "&#36;")


def topic_colours(topics: Sequence[str]) -> dict[str, str]:
    """A distinct colour per topic key, in key order, so a topic keeps its colour across pages."""
    ordered = sorted(dict.fromkeys(topics), key=lambda key: natural_key(key))
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(ordered)}


def document_map(documents: pd.DataFrame, colours: dict[str, str] | None = None, height: int = 640) -> dict:
    """Documents at their 2-D coordinates, one WebGL trace per topic, each topic's number at the
    centre of its documents; ids ride along for selection. Returned as the plain dict that
    ``st.plotly_chart`` is given.

    ``documents`` needs columns id, x, y, topic ('' for unassigned) and text (its start shows on
    hover). Labels are not drawn here but beside it (``map_legend``): a chart whose figure changes is
    rebuilt from scratch in the browser (a new WebGL context, seconds on a CPU), so a rename must not
    change the figure.
    """
    colours = colours or topic_colours([t for t in documents["topic"].unique() if t])
    fig = go.Figure()
    centres = []
    for topic, group in sorted(documents.groupby("topic"), key=lambda item: natural_key(item[0])):
        hover = group["text"].fillna("").map(lambda text: escape(_short(text, HOVER_CHARS)))
        fig.add_trace(go.Scattergl(
            x=group["x"].astype("float32"), y=group["y"].astype("float32"), mode="markers",
            name=f"topic {escape(topic)}" if topic else "unassigned", customdata=group["id"].astype(str), text=hover,
            marker=dict(size=5, opacity=0.7, color=colours.get(topic, UNASSIGNED_COLOUR)),
            hovertemplate="%{text}<extra>%{fullData.name}</extra>",
        ))
        if topic:
            centres.append((float(group["x"].median()), float(group["y"].median()), escape(topic)))
    if centres:
        x, y, keys = zip(*centres)
        fig.add_trace(go.Scatter(x=x, y=y, mode="text", text=keys, hoverinfo="skip", showlegend=False,
                                 textfont=dict(size=13, color="#212121")))
    fig.update_layout(height=height, dragmode="lasso", margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                      xaxis=dict(visible=False), yaxis=dict(visible=False))
    return fig.to_dict()


def map_legend(names: dict[str, str], colours: dict[str, str]) -> str:
    """The map's legend as HTML: a colour chip and the name of each topic ("key: label"), escaped."""
    chips = [f"<span style='white-space:nowrap;margin-right:14px'><span style='display:inline-block;width:10px;"
             f"height:10px;border-radius:5px;background:{colours.get(key, UNASSIGNED_COLOUR)};margin-right:5px'></span>"
             f"{escape(_short(name, 48))}</span>" for key, name in sorted(names.items(), key=lambda kv: natural_key(kv[0]))
             if key]
    return f"<div style='line-height:1.8;font-size:0.85rem'>{' '.join(chips)}</div>"


def keyword_bars(keywords: Sequence[tuple[str, float]]) -> str:
    """A topic's keywords as HTML bars, strongest first, widths relative to the strongest (plain HTML:
    a plotly chart per opened topic cost more in the browser than the rest of the panel)."""
    top = max((score for _, score in keywords), default=0) or 1
    rows = [f"<div style='display:flex;align-items:center;gap:8px;margin:2px 0'>"
            f"<span style='flex:0 0 38%;text-align:right;overflow:hidden;text-overflow:ellipsis;white-space:nowrap'>"
            f"{escape(word)}</span><span style='flex:1'><span style='display:inline-block;height:12px;background:#1565c0;"
            f"width:{100 * score / top:.0f}%'></span></span><span style='flex:0 0 3.5em;color:#757575;"
            f"font-size:0.8rem'>{score:.3f}</span></div>" for word, score in keywords]
    return "<div style='font-size:0.9rem'>" + "".join(rows) + "</div>"


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def natural_key(name: str) -> tuple:
    """Order for topic keys and "10: label" names: by key as numbers (2 before 10), then by text."""
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
    """Sunburst of the use-case tree (layer 1 -> 2 -> 3), sized by documents: a parent's wedge is its
    own documents (``branchvalues="total"``), its children share it, and the hover gives the shares."""
    frame = labels[labels["layer1_label"].notna()]
    ids, parents, names, paths, values = [], [], [], [], []
    for depth in (1, 2, 3):
        columns = [f"layer{n}_label" for n in range(1, depth + 1)]
        level = frame.dropna(subset=columns).groupby(columns, sort=True).size()
        for path, count in level.items():
            path = path if isinstance(path, tuple) else (path,)
            ids.append(" > ".join(path))
            parents.append(" > ".join(path[:-1]))
            names.append(escape(_short(path[-1], 30)))
            paths.append(escape(" > ".join(path)))
            values.append(int(count))
    fig = go.Figure(go.Sunburst(
        ids=ids, parents=parents, labels=names, values=values, branchvalues="total", customdata=paths,
        hovertemplate="%{customdata}<br>%{value:,} documents: %{percentRoot:.1%} of all, "
                      "%{percentParent:.1%} of its parent<extra></extra>"))
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def documents_per_use_case(counts: pd.DataFrame, top: int = 30) -> go.Figure:
    """Bar chart of documents per use-case path (``label_counts`` output), largest first."""
    shown = counts.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=shown["documents"], y=shown["path"].map(escape), orientation="h", marker_color="#2e7d32"))
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
        fig.add_trace(go.Scatter(x=group["trial"], y=group["score"], mode="markers", name=escape(model),
                                 customdata=group[["coherence", "diversity", "balance", "stability"]].to_numpy(),
                                 hovertemplate="trial %{x}: %{y:.4f}<br>NPMI %{customdata[0]:.3f}, diversity "
                                               "%{customdata[1]:.3f}<br>balance %{customdata[2]:.3f}, stability "
                                               "%{customdata[3]:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=done["trial"], y=done["score"].cummax(), mode="lines", name="best so far",
                             line=dict(color="#2e7d32", shape="hv")))
    fig.update_layout(title="topic-curator tune: score per trial", xaxis_title="trial",
                      yaxis_title="score (higher is better)", height=460)
    return fig
