"""The pure core: domain vocabulary and computations over plain values and DataFrames.

Nothing in this package imports Streamlit or SQLAlchemy.
"""
