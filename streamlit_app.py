"""Streamlit entry point: `streamlit run streamlit_app.py`."""

from portal.ui.app import main

main()
