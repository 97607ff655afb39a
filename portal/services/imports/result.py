"""What an import did, what the writer of one kind is given, and which roles may import which kinds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from portal.core import vocabulary
from portal.core.domain import Role
from portal.core.fileformats import CheckedTable, RowError
from portal.i18n import _, format_number, ngettext
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
        """What the import did (or why it wrote nothing), in one sentence in the reader's language."""
        if not self.ok:
            errors = ngettext("{n} error", "{n} errors", len(self.errors)).format(
                n=format_number(len(self.errors))
            )
            rows = len({e.row for e in self.errors})
            return ngettext(
                "{errors} in {n} row; nothing was written.",
                "{errors} in {n} rows; nothing was written.",
                rows,
            ).format(errors=errors, n=format_number(rows))
        if self.kind == "pos":
            text = ngettext(
                "{n} new purchase-order line", "{n} new purchase-order lines", self.created
            ).format(n=format_number(self.created))
            if self.changed:
                text = ngettext("{summary}, {n} changed", "{summary}, {n} changed", self.changed).format(
                    summary=text, n=format_number(self.changed)
                )
            if self.change_emails:
                text = ngettext(
                    "{summary} ({n} change e-mail to suppliers queued)",
                    "{summary} ({n} change e-mails to suppliers queued)",
                    self.change_emails,
                ).format(summary=text, n=format_number(self.change_emails))
        else:
            text = ngettext("{n} row imported ({what})", "{n} rows imported ({what})", self.created).format(
                n=format_number(self.created), what=vocabulary.kind_name(self.kind)
            )
            if self.corrected:
                text = ngettext(
                    "{summary}, {n} correction", "{summary}, {n} corrections", self.corrected
                ).format(summary=text, n=format_number(self.corrected))
        # Translators: the end of a sentence (a full stop in most languages).
        return _("{summary}.").format(summary=text)


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
