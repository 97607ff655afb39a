"""Reads: select() statements turned into DataFrames for pages and exports, scoped to the actor."""
