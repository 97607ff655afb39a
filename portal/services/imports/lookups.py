"""The database lookups every import kind shares: suppliers, items and lines named by a file, and
its typed columns as Python values for inserts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.frames import load_frame
from db.models import Item, PoLine, Supplier
from portal.core.batching import chunked
from portal.core.domain import LineStatus
from portal.core.fileformats import CheckedTable, check_known, line_keys
from portal.i18n import N_
from portal.services.access import NOT_YOUR_LINE, Actor


def _supplier_codes(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Supplier.code, Supplier.id)).all())


def _skus(session: Session, skus: list[str]) -> dict[str, int]:
    if not skus:
        return {}
    found: dict[str, int] = {}
    for chunk in chunked(skus):
        found.update(session.execute(select(Item.sku, Item.id).where(Item.sku.in_(chunk))).all())
    return found


def _lines(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """The database's lines named by the file's po_number/line columns (status as its value)."""
    po_numbers = sorted(set(rows["po_number"].dropna().unique()))
    cols = ["id", "po_number", "line", "supplier_id", "item_id", "quantity", "order_date", "status", "label"]
    if not po_numbers:
        return pd.DataFrame(columns=cols)
    frames = []
    for chunk in chunked(po_numbers):
        stmt = select(
            PoLine.id,
            PoLine.po_number,
            PoLine.line,
            PoLine.supplier_id,
            PoLine.item_id,
            PoLine.quantity,
            PoLine.order_date,
            PoLine.status,
            PoLine.label,
        ).where(PoLine.po_number.in_(chunk))
        frames.append(load_frame(session, stmt, cols))
    return pd.concat(frames, ignore_index=True)


def _attach_lines(session: Session, actor: Actor, table: CheckedTable) -> pd.DataFrame:
    """Each row's line (id, supplier, ...), with errors for unknown lines and other suppliers' lines."""
    rows = table.rows
    labels = line_keys(rows)
    lines = _lines(session, rows).set_index("label")
    unknown = "no such PO line (po_number/line)"
    if actor.is_supplier:
        # Another supplier's line is as unknown as one that does not exist: the same words, and no
        # check that would tell them apart (its calendar, its reports, its status).
        lines = lines[lines["supplier_id"] == actor.supplier_id]
        unknown = NOT_YOUR_LINE
    known = check_known(table, "line", lines.index, unknown, values=labels)
    matched = lines.reindex(labels.where(known))
    matched.index = rows.index
    cancelled = matched["status"] == LineStatus.CANCELLED
    table.add(cancelled.fillna(False).to_numpy(), "line", N_("is cancelled"), labels)
    return matched


def _ints(series: pd.Series, default: int | None = None) -> list[int | None]:
    """Nullable integers as Python ints/None, for inserts."""
    values = series.astype("Int64")
    if default is not None:
        values = values.fillna(default)
    return [None if pd.isna(v) else int(v) for v in values]


def _dates(series: pd.Series) -> list[dt.date | None]:
    return [None if pd.isna(v) else v.date() for v in series]


def _texts(series: pd.Series) -> list[str | None]:
    return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in series]
