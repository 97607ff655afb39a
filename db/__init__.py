"""Persistence: the declarative Base, the models, the engine and session factories.

Nothing here imports Streamlit: the UI wraps these factories in its own caches,
the CLI and the tests use them directly.
"""
