"""portal.core.changes: new rows against stored rows, column by column, whatever form the values take."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from portal.core.changes import differs, row_changes

KINDS = {"qty": "int", "rate": "float", "day": "date", "note": "text"}


def test_rows_are_sorted_into_inserts_updates_and_deletes_by_key() -> None:
    new = pd.DataFrame(
        {
            "key": [1, 2, 3, 4],
            "qty": pd.array([10, None, 30, 40], dtype="Int64"),
            "rate": [1.5, np.nan, 2.0, 0.1],
            "day": pd.to_datetime(["2026-03-01", None, "2026-03-05", "2026-03-09"]),
            "note": ["a", None, "c", "d"],
        }
    )
    # As a database gives them back: ISO text or dates, floats, None.
    stored = pd.DataFrame(
        {
            "key": [5, 3, 2, 1],
            "qty": [1, 30, None, 10],
            "rate": [None, 2.0, None, 1.5],
            "day": ["2026-01-01", "2026-03-06", None, "2026-03-01"],
            "note": ["x", "c", None, "a"],
        }
    )
    changes = row_changes(new, stored, "key", KINDS)
    assert changes.insert.tolist() == [False, False, False, True]
    assert changes.update.tolist() == [False, False, True, False]  # key 3: a day later
    assert changes.delete == [5]
    assert changes.rows == 3


@pytest.mark.parametrize(
    ("new", "old", "kind", "expected"),
    [
        ([dt.date(2026, 3, 6), None], ["2026-03-06", None], "date", [False, False]),
        (
            [pd.Timestamp("2026-03-06"), pd.NaT],
            [dt.date(2026, 3, 7), dt.date(2026, 3, 7)],
            "date",
            [True, True],
        ),
        (["warning", None, "open"], ["warning", np.nan, "acknowledged"], "text", [False, False, True]),
        ([3, None], [3.0, 0], "int", [False, True]),
        ([{"b": 1, "a": [2]}, None], ['{"a": [2], "b": 1}', None], "json", [False, False]),
        ([{"a": 1}], ['{"a": 2}'], "json", [True]),
    ],
)
def test_values_compare_whatever_form_the_database_gives_them(
    new: list[object], old: list[object], kind: str, expected: list[bool]
) -> None:
    assert differs(pd.Series(new, dtype=object), pd.Series(old, dtype=object), kind).tolist() == expected


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown column kind"):
        differs(pd.Series([1]), pd.Series([1]), "blob")


def test_exact_integers_differ_in_their_lowest_bit_and_missing_equals_missing() -> None:
    big = 2**62
    new = pd.Series([big + 1, big, None, 7], dtype=object)
    stored = pd.Series(np.array([big, big, 0, 7], dtype="int64"))
    assert differs(new, stored, "exact").tolist() == [True, False, True, False]
    assert not differs(pd.Series([None]), pd.Series([np.nan]), "exact").any()
    # As floats the first two would be equal: the int kind is not enough for hashes.
    assert not differs(new.iloc[:1], stored.iloc[:1], "int").any()
