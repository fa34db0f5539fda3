"""The Streamlit app: router, session-state helpers, cached loaders and widgets (pages/ uses them)."""
