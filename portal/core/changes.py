"""What changed: newly computed rows against the rows stored, compared column by column, vectorized.

The planning engine writes back only what differs (a steady sweep changes few forecasts, promises
and alerts out of 100,000s). Both sides are normalised per column kind first, so a value read from
the database (ISO text or a ``date``, a float, ``None``) equals the same value computed in pandas
(``datetime64``, a nullable integer, ``NaN``):

- ``"int"`` and ``"float"``: as float64 (exact for the whole numbers stored here); missing equals missing;
- ``"exact"``: 64-bit integers compared exactly (hashes: float64 would drop their low bits); missing
  equals missing;
- ``"date"``: as days; missing (NaT, None) equals missing;
- ``"text"``: as given (texts, or a ``StrEnum`` equal to its value); missing (None, NaN, NA) equals missing;
- ``"json"``: as canonical JSON text (keys sorted), whether given as text or as Python values.

Pure pandas/numpy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

KINDS = ("int", "exact", "float", "date", "text", "json")


@dataclass(frozen=True)
class RowChanges:
    """Row positions of ``new`` to insert and to update, and the keys of stored rows to delete."""

    insert: np.ndarray  # bool per row of new: its key is not stored
    update: np.ndarray  # bool per row of new: stored, and some compared column differs
    delete: list[Any]  # keys stored but not in new

    @property
    def rows(self) -> int:
        """How many rows the change writes."""
        return int(self.insert.sum()) + int(self.update.sum()) + len(self.delete)


def _json_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str):
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def normalised(values: pd.Series, kind: str) -> np.ndarray:
    """One column as comparable values of its kind (see the module's docstring)."""
    if kind in ("int", "float"):
        numbers: np.ndarray = pd.to_numeric(values, errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        return numbers
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(values):
            days: np.ndarray = values.to_numpy().astype("datetime64[D]")
            return days
        # ISO text (SQLite), date objects (PostgreSQL), None: each distinct value read once (a
        # column of 100,000 rows holds a few hundred days), numpy reading them all as days.
        codes, distinct = pd.factorize(values)
        try:
            parsed = np.asarray(distinct, dtype=object).astype("datetime64[D]")
        except (TypeError, ValueError):
            parsed = pd.to_datetime(pd.Series(distinct, dtype=object)).to_numpy().astype("datetime64[D]")
        days = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
        found = codes >= 0
        days[found] = parsed[codes[found]]
        return days
    if kind == "exact":
        exact: np.ndarray = pd.array(values.to_numpy(dtype=object), dtype="Int64").to_numpy(
            dtype=object, na_value=None
        )
        return exact
    if kind == "text":
        # Texts as they come (a StrEnum equals its value); only the many kinds of missing unified.
        texts: np.ndarray = values.to_numpy(dtype=object).copy()
        texts[values.isna().to_numpy()] = None
        return texts
    if kind == "json":
        return np.array([_json_text(v) for v in values.astype(object)], dtype=object)
    raise ValueError(f"unknown column kind {kind!r} (one of {', '.join(KINDS)})")


def _exact(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """64-bit integers as int64 (0 where missing) and where they are missing, without a pass
    through objects when they come as integers already."""
    if pd.api.types.is_integer_dtype(values.dtype):
        array = values.astype("Int64").array
    else:
        array = pd.array(values.to_numpy(dtype=object), dtype="Int64")
    missing = np.asarray(array.isna(), dtype=bool)
    return array.to_numpy(dtype="int64", na_value=0), missing


def differs(new: pd.Series, old: pd.Series, kind: str) -> np.ndarray:
    """Per row: the two values differ (missing on both sides is no difference)."""
    if kind == "exact":
        a_values, a_missing = _exact(new)
        b_values, b_missing = _exact(old)
        equal = (a_missing & b_missing) | (~a_missing & ~b_missing & (a_values == b_values))
        unequal: np.ndarray = ~equal
        return unequal
    a = normalised(new, kind)
    b = normalised(old, kind)
    if kind in ("int", "float"):
        out: np.ndarray = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        return out
    if kind == "date":
        out = ~((a == b) | (np.isnat(a) & np.isnat(b)))
        return out
    same: np.ndarray = np.asarray(a == b, dtype=bool)  # elementwise on objects; None == None
    return ~same


def row_changes(new: pd.DataFrame, stored: pd.DataFrame, key: str, columns: Mapping[str, str]) -> RowChanges:
    """Compare ``new`` with ``stored`` (both holding ``key`` and ``columns``: name -> kind).

    A row of ``new`` whose key is not stored is an insert; one stored with any column different
    an update; a stored key absent from ``new`` a delete. Keys are unique on each side.
    """
    new_keys = pd.Index(new[key].to_numpy())
    stored_keys = pd.Index(stored[key].to_numpy())
    at = stored_keys.get_indexer(new_keys)
    found = at >= 0
    update = np.zeros(len(new), dtype=bool)
    if found.any():
        rows = np.flatnonzero(found)
        old = stored.iloc[at[found]]
        changed = np.zeros(len(rows), dtype=bool)
        for column, kind in columns.items():
            changed |= differs(new[column].iloc[rows], old[column], kind)
        update[rows] = changed
    gone = ~stored_keys.isin(new_keys)
    return RowChanges(insert=~found, update=update, delete=stored_keys[gone].tolist())


def row_hashes(frame: pd.DataFrame, salt: str = "") -> np.ndarray:
    """A 64-bit hash of each row's values (all columns, in order, with their types) and of
    ``salt``, as int64 and never 0 (a store reads a missing hash as 0). Rows equal in values and
    types hash alike in every process; a stored hash then stands for the values it was made from."""
    hashed = (
        pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype="uint64")
        if len(frame.columns)
        else np.zeros(len(frame), dtype="uint64")
    )
    mixed = np.uint64(int.from_bytes(hashlib.sha256(salt.encode()).digest()[:8], "little"))
    out: np.ndarray = (hashed ^ mixed).view("int64")
    out[out == 0] = 1
    return out
