"""Layer explorer: topics, keywords, the document map, the use-case hierarchy, documents."""

from __future__ import annotations

import streamlit as st

from app.loaders import curation_session
from app.plots import document_map, hierarchy, keyword_bars, sample_for_map, selected_ids
from app.state import settings, store
from app.widgets import choose_layer, page_start, user_errors
from backend import services

user, run_id = page_start("Layer explorer")
layer = choose_layer(services.fitted_layers(store(), run_id))
if layer is None:
    st.stop()

with user_errors():
    session = curation_session(run_id, layer, user)
    topics = services.topics_table(session)
    documents = services.layer_documents(session)

    st.caption(f"Layer {layer} of run {run_id}: {len(topics)} topics, {len(documents):,} documents "
               f"(as curated in your session; unsaved changes: {len(session.unsaved)}).")
    table_tab, map_tab, tree_tab, docs_tab = st.tabs(["Topics", "Document map", "Hierarchy", "Documents"])

    with table_tab:
        st.dataframe(topics, hide_index=True, width="stretch", key="topics_table",
                     column_config={"documents": st.column_config.ProgressColumn(
                         "documents", format="%d", min_value=0, max_value=int(topics["documents"].max() or 1))})
        chosen = st.selectbox("Keywords of topic", topics["topic"], key="keyword_topic",
                              format_func=lambda k: f"{k}: {topics.set_index('topic').loc[k, 'label']}")
        if chosen is not None:
            words = session.keywords().get(chosen, [])
            st.plotly_chart(keyword_bars(words[:10], f"Topic {chosen}"), key="keyword_chart")

    with map_tab:
        shown, sampled = sample_for_map(documents, settings().app.max_map_points)
        if sampled:
            st.info(f"Showing a fixed random sample of {len(shown):,} of {len(documents):,} documents "
                    f"(app.max_map_points) so the map stays smooth.")
        event = st.plotly_chart(document_map(shown), key="document_map", on_select="rerun",
                                selection_mode=("points", "box", "lasso"))
        picked = selected_ids(event)
        if picked:
            st.session_state["selected_documents"] = picked
        if st.session_state.get("selected_documents"):
            st.write(f"{len(st.session_state['selected_documents'])} documents selected: move or split them "
                     f"on the Curate page.")

    with tree_tab:
        with user_errors():
            labels, _, _ = services.export_labels(store(), run_id)
            if labels["layer1_label"].notna().any():
                st.plotly_chart(hierarchy(labels), key="hierarchy")
            else:
                st.info("The hierarchy appears once layer 1 is approved.")

    with docs_tab:
        query = st.text_input("Search the documents", key="search")
        topic_filter = st.selectbox("Topic", ["(all)"] + topics["topic"].tolist(), key="docs_topic")
        subset = documents if topic_filter == "(all)" else documents[documents["topic"] == topic_filter]
        if topic_filter != "(all)" and not query:
            representative = set(session.result.topics[topic_filter].representative_ids) \
                if topic_filter in session.result.topics else set()
            if representative:
                st.caption("Representative documents (closest to the topic's centre) first.")
                subset = subset.assign(rep=subset["id"].isin(representative)).sort_values("rep", ascending=False)
        results = services.search_documents(subset, query) if query else subset.head(50)
        st.dataframe(results[["id", "label", "text"]], hide_index=True, width="stretch", key="documents_table")
