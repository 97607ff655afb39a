"""Promise reasons in the reader's language: each backorder keeps its promise reason's template key
and values (``backorders.promise_reason_args``, JSON text) beside the English ``promise_reason``.

Reviewed by hand: one nullable column. The upgrade reads every stored English reason back into its
arguments, so a page shows it translated at once (not only after the next sweep) and the next sweep,
which compares the arguments too, finds nothing changed and writes nothing: the parser below is a
copy of the one the portal used before it stored arguments, frozen here (a migration imports no
application code), and builds the JSON in the writers' own form (portal.core.promise_text). A
reason it cannot read (typed by hand, or older than the grammar) keeps NULL: the page shows its
stored English text, and the next sweep that computes its promise writes both. The downgrade drops
the column.

Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0021_promiseargs"
down_revision: str | None = "0020_lastseen"

_SAFETY = re.compile(r"^(?P<rest>.+) \+ (?P<days>\d+) days? safety buffer$")
_LINE = re.compile(
    r"^(?P<basis>arrival p90|due date) (?P<date>\d{4}-\d{2}-\d{2}) of (?P<label>.+?)"
    r"(?: \+ (?P<days>\d+) days? (?P<code>.+) buffer)?$"
)
_SHORT = re.compile(r"^no open supply for (?P<short>[\d,]+)(?: of (?P<whole>[\d,]+))? units$")
_KEYS = {"arrival p90": "arrival_p90", "due date": "due_date"}
_BATCH = 5_000


def _dumps(args: dict[str, Any]) -> str:
    return json.dumps(args, separators=(",", ":"))


def reason_args(text: str | None) -> str | None:
    """A stored English promise reason's arguments as JSON text; None when it does not follow the
    writers' grammar (see the module's docstring)."""
    if not text:
        return None
    short = _SHORT.match(text)
    if short:
        units = int(short["short"].replace(",", ""))
        whole = int(short["whole"].replace(",", "")) if short["whole"] else units
        return _dumps({"t": "no_supply", "short": units, "whole": whole})
    safety_days = 0
    safety = _SAFETY.match(text)
    if safety:
        text, safety_days = safety["rest"], int(safety["days"])
    if text == "on hand":
        args: dict[str, Any] = {"t": "on_hand"}
    else:
        line = _LINE.match(text)
        if line is None:
            return None
        try:
            dt.date.fromisoformat(line["date"])
        except ValueError:
            return None
        args = {"t": _KEYS[line["basis"]], "date": line["date"], "line": line["label"]}
        if line["days"] and int(line["days"]) > 0:
            args.update(buffer=int(line["days"]), supplier=line["code"])
    if safety_days:
        args["safety"] = safety_days
    return _dumps(args)


def upgrade() -> None:
    with op.batch_alter_table("backorders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promise_reason_args", sa.Text(), nullable=True))
    backorders = sa.table(
        "backorders",
        sa.column("id", sa.Integer()),
        sa.column("promise_reason", sa.Text()),
        sa.column("promise_reason_args", sa.Text()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(backorders.c.id, backorders.c.promise_reason).where(backorders.c.promise_reason.is_not(None))
    ).all()
    found = [{"b_id": row.id, "args": reason_args(row.promise_reason)} for row in rows]
    found = [f for f in found if f["args"] is not None]
    write = (
        sa.update(backorders)
        .where(backorders.c.id == sa.bindparam("b_id"))
        .values(promise_reason_args=sa.bindparam("args"))
    )
    for start in range(0, len(found), _BATCH):
        bind.execute(write, found[start : start + _BATCH])


def downgrade() -> None:
    # Dropped in place (as 0014 does for alerts): backorders is referenced by other tables, so
    # SQLite's batch mode (copy, drop, rename) would fail on their foreign keys.
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE backorders DROP COLUMN promise_reason_args")
    else:
        op.drop_column("backorders", "promise_reason_args")
