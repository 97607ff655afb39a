"""What an import did, what the writer of one kind is given, and which roles may import which kinds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from portal.core.domain import Role
from portal.core.fileformats import CheckedTable, RowError
from portal.services.access import Actor

#: Which roles may import which kinds. Supplier users only ever touch their own lines.
KIND_ROLES: dict[str, frozenset[Role]] = {
    "suppliers": frozenset({Role.BUYER, Role.ADMIN}),
    "items": frozenset({Role.BUYER, Role.ADMIN}),
    "pos": frozenset({Role.BUYER, Role.ADMIN}),
    "receipts": frozenset({Role.BUYER, Role.ADMIN}),
    "backorders": frozenset({Role.BUYER, Role.ADMIN}),
    "schedules": frozenset({Role.SUPPLIER, Role.BUYER, Role.ADMIN}),
    "reports": frozenset({Role.SUPPLIER, Role.BUYER, Role.ADMIN}),
}


@dataclass
class ImportResult:
    """What an import did (or, with errors, would not do)."""

    kind: str
    rows: int
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    corrected: int = 0
    #: Lines that existed and changed (a change order); ``created`` counts only new lines.
    changed: int = 0
    #: E-mails about those changes queued for the suppliers' addresses (need-by earlier, quantity up).
    change_emails: int = 0
    filename: str = ""
    line_ids: set[int] = field(default_factory=set)
    item_ids: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    preview: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.ok:
            rows = len({e.row for e in self.errors})
            return f"{len(self.errors)} error(s) in {rows} row(s); nothing was written."
        extra = f", {self.corrected} correction(s)" if self.corrected else ""
        if self.kind == "pos":
            changed = f", {self.changed} changed" if self.changed else ""
            if self.change_emails:
                changed += f" ({self.change_emails} change e-mail(s) to suppliers queued)"
            return f"{self.created} new purchase-order line(s){changed}."
        return f"{self.created} {self.kind} row(s) imported{extra}."


@dataclass(frozen=True)
class ImportJob:
    """What the writer of one kind is given: it checks ``table`` against the database, adds its errors
    there and, unless ``dry_run`` (or an error), writes the rows and counts them in ``result``."""

    session: Session
    actor: Actor
    table: CheckedTable
    result: ImportResult
    #: Reports: the pinned day (None: each supplier's own today); other kinds: today.
    today: dt.date | None
    dry_run: bool
