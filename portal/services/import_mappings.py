"""Column mappings for files whose headers differ from ours: suggested, remembered per user and kind.

A mapping sends each header of the uploaded file to one of our columns (DOMAIN.md's file
formats), or to :data:`IGNORE` to leave that column out. The mapped frame then goes through
the very same checks as any import (:func:`portal.core.fileformats.check_rows`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.models import ImportMapping, utcnow
from portal.core.domain import PermissionDenied, Role, ValidationError
from portal.core.fileformats import FORMATS, FileFormat, normalize_header
from portal.i18n import _
from portal.services import audit
from portal.services.access import Actor, own_value, service
from portal.services.imports import KIND_ROLES

#: The target of a file column that is not imported.
IGNORE = ""
MAX_HEADER_LENGTH = 200
#: A remembered mapping keeps at most this many headers (the most recent ones).
MAX_REMEMBERED = 200


def _format(kind: str) -> FileFormat:
    if kind not in FORMATS:
        raise ValidationError(_("Unknown import kind '{kind}'.").format(kind=kind))
    return FORMATS[kind]


#: Words that ERP and spreadsheet headers use for ours (after normalize_header, word by word).
SYNONYMS = {
    "qty": "quantity",
    "quantities": "quantity",
    "pcs": "quantity",
    "no": "number",
    "nr": "number",
    "num": "number",
    "vendor": "supplier",
    "item": "sku",
    "article": "sku",
    "part": "sku",
    "prio": "priority",
    "reference": "ref",
    "desc": "description",
    "due": "need",
    "required": "need",
    "req": "need",
    "needed": "need",
    "promise": "promised",
    "confirmed": "promised",
    "material": "sku",
}
#: Words that give a date or quantity its meaning: a header with one never maps to a column with
#: another ("Required Date" is a need-by date, never an order or promised date).
MEANINGS = frozenset(
    {"need", "order", "promised", "start", "end", "received", "communicated", "rejected", "good"}
)
#: Suffixes that a header often leaves out: "Supplier" for supplier_code, "PO" for po_number.
_SUFFIXES = ("_code", "_number", "_date", "_qty")
CUTOFF = 0.6


def _words(header: str) -> list[str]:
    return [SYNONYMS.get(w, w) for w in normalize_header(header).split("_") if w]


def _closeness(header: str, target: str) -> float:
    """How well a header names our column: difflib's ratio on the words, with and without a suffix."""
    words = _words(header)
    text = "_".join(words)
    core = next((target.removesuffix(x) for x in _SUFFIXES if target.endswith(x)), target)
    said, meant = MEANINGS & set(words), MEANINGS & set(target.split("_"))
    if said and meant and not said & meant:
        return 0.0
    ratio = max(
        difflib.SequenceMatcher(None, text, target).ratio(), difflib.SequenceMatcher(None, text, core).ratio()
    )
    # Every word of our column's core in the header ("Order Qty" holds quantity): close, and the
    # plain ratio breaks ties ("Order Qty" is nearer quantity than order_date).
    if set(core.split("_")) <= set(words):
        ratio = max(ratio, 0.85 + 0.1 * difflib.SequenceMatcher(None, text, target).ratio())
    return ratio


def suggest_mapping(
    headers: Sequence[str], kind: str, remembered: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each header's target: remembered, else ours by name, else the closest (difflib), else IGNORE."""
    names = _format(kind).names
    remembered = remembered or {}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        target = remembered.get(header)
        if target is not None and (target == IGNORE or (target in names and target not in taken)):
            mapping[header] = target
            taken.add(target)
    for header in headers:
        normalized = normalize_header(header)
        if header not in mapping and normalized in names and normalized not in taken:
            mapping[header] = normalized
            taken.add(normalized)
    # The closest pairs first, so a weak match never takes a column a better header needs.
    pairs = sorted(
        (
            (_closeness(h, t), i, t)
            for i, h in enumerate(headers)
            if h not in mapping
            for t in names
            if t not in taken
        ),
        key=lambda p: (-p[0], p[1]),
    )
    for score, i, target in pairs:
        header = headers[i]
        if score >= CUTOFF and header not in mapping and target not in taken:
            mapping[header] = target
            taken.add(target)
    return {header: mapping.get(header, IGNORE) for header in headers}


def needs_mapping(headers: Sequence[str], kind: str) -> bool:
    """True when the headers are not simply ours: an unknown header or a required column missing."""
    fmt = _format(kind)
    normalized = [normalize_header(h) for h in headers]
    return any(n not in fmt.names for n in normalized) or any(c not in normalized for c in fmt.required)


def check_mapping(mapping: Mapping[str, str], kind: str) -> None:
    """Refuse a mapping to unknown columns, two headers onto one column, or without a required column."""
    fmt = _format(kind)
    problems = []
    unknown = sorted({t for t in mapping.values() if t != IGNORE and t not in fmt.names})
    if unknown:
        problems.append(_("unknown column(s) {columns}").format(columns=", ".join(unknown)))
    targets: dict[str, list[str]] = {}
    for header, target in mapping.items():
        if target != IGNORE:
            targets.setdefault(target, []).append(header)
    for target, headers in targets.items():
        if len(headers) > 1:
            problems.append(
                _("{headers} all map to {column}").format(
                    headers=", ".join(repr(h) for h in headers), column=target
                )
            )
    missing = [c for c in fmt.required if c not in targets]
    if missing:
        problems.append(_("no column maps to {columns}").format(columns=", ".join(missing)))
    if problems:
        raise ValidationError(
            _("The column mapping for {kind} has {problems}.").format(kind=kind, problems="; ".join(problems))
        )


def apply_mapping(frame: pd.DataFrame, mapping: Mapping[str, str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The file's columns without the ignored ones, and the header -> column mapping of the rest."""
    ignored = [c for c in frame.columns if mapping.get(str(c)) == IGNORE]
    kept = {str(c): mapping[str(c)] for c in frame.columns if mapping.get(str(c))}
    return frame.drop(columns=ignored), kept


def _check_allowed(actor: Actor, kind: str) -> None:
    _format(kind)
    if actor.role not in KIND_ROLES[kind]:
        raise PermissionDenied(
            _("A {role} user cannot import {kind}.").format(role=actor.role.value, kind=kind)
        )


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def save_import_mapping(db: Database, actor: Actor, kind: str, mapping: Mapping[str, str]) -> None:
    """Remember this user's mapping for ``kind`` (merged over what was remembered before)."""
    _check_allowed(actor, kind)
    if actor.user_id is None:
        raise ValidationError(_("Only a logged-in user has remembered column mappings."))
    clean = {str(h): str(t) for h, t in mapping.items()}
    check_mapping(clean, kind)
    too_long = [h for h in clean if len(h) > MAX_HEADER_LENGTH]
    if too_long:
        raise ValidationError(
            _("A column header has at most {max_header_length} characters.").format(
                max_header_length=MAX_HEADER_LENGTH
            )
        )
    with db.write() as session:
        row = session.scalar(
            select(ImportMapping)
            .where(ImportMapping.user_id == actor.user_id, ImportMapping.kind == kind)
            .with_for_update(key_share=True)
        )
        before = dict(row.mapping) if row is not None else None
        merged = {h: t for h, t in (before or {}).items() if h not in clean}
        merged.update(clean)
        merged = dict(list(merged.items())[-MAX_REMEMBERED:])
        if row is None:
            session.add(ImportMapping(user_id=actor.user_id, kind=kind, mapping=merged, updated_at=utcnow()))
        elif merged != before:
            row.mapping = merged
            row.updated_at = utcnow()
        else:
            return
        audit.record(
            session, actor, "import_mapping.saved", "import_mapping", kind, before=before, after=merged
        )
        session.commit()


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN, writes=False)
def load_import_mapping(db: Database, actor: Actor, kind: str) -> dict[str, str]:
    """This user's remembered mapping for ``kind`` (empty when none)."""
    _check_allowed(actor, kind)
    stmt = select(ImportMapping.mapping).where(ImportMapping.kind == kind)
    return dict(own_value(db, actor, stmt, ImportMapping.user_id) or {})
