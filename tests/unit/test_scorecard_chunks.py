"""A scorecard refresh's supplier chunks: whole suppliers, in order, about the asked lines each."""

from __future__ import annotations

import pandas as pd

from portal.services.scorecards import supplier_chunks


def test_chunks_hold_whole_suppliers_in_order_and_about_the_asked_lines() -> None:
    lines = pd.Series({1: 40, 2: 70, 3: 10, 4: 250, 5: 5, 6: 5})
    chunks = list(supplier_chunks(lines, 100))
    assert chunks == [[1], [2, 3], [4], [5, 6]]  # 4 alone: more lines than a chunk
    assert [s for chunk in chunks for s in chunk] == list(lines.index)
    assert list(supplier_chunks(lines, 10**6)) == [[1, 2, 3, 4, 5, 6]]
    assert list(supplier_chunks(pd.Series(dtype="int64"), 100)) == []
