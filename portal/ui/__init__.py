"""The Streamlit web app: entry point, shared context and widgets, and one module per page."""
