"""Export: final labels (CSV, Parquet), the topic tree (JSON), and documents per use case."""

from __future__ import annotations

import io
import json

import streamlit as st

from app.plots import documents_per_use_case
from app.state import store
from app.widgets import page_start, show_messages, user_errors
from backend import services
from backend.store.csv_export import csv_bytes

_, run_id = page_start("Export")
show_messages()
with user_errors():
    labels, tree, complete = services.export_labels(store(), run_id)
    if not labels["layer1_label"].notna().any():
        st.info("Nothing to export yet: approve layer 1 first.")
        st.stop()
    if not complete:
        st.warning("The run is not complete: these labels cover the layers approved so far.")
    counts = services.labels_summary(labels)
    st.plotly_chart(documents_per_use_case(counts), key="use_case_chart")

    parquet = io.BytesIO()
    labels.to_parquet(parquet, index=False)
    columns = st.columns(3)
    columns[0].download_button("Labels (CSV)", csv_bytes(labels),
                               file_name=f"{run_id}-labels.csv", mime="text/csv", key="download_csv")
    columns[1].download_button("Labels (Parquet)", parquet.getvalue(), file_name=f"{run_id}-labels.parquet",
                               mime="application/octet-stream", key="download_parquet")
    columns[2].download_button("Topic tree (JSON)", json.dumps(tree, indent=2, ensure_ascii=False).encode("utf-8"),
                               file_name=f"{run_id}-tree.json", mime="application/json", key="download_tree")
    st.dataframe(labels.head(200), hide_index=True, width="stretch", key="labels_preview")
    st.caption(f"{len(labels):,} documents; the preview shows the first 200.")
