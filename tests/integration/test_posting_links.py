"""Posting links in reminders: post today's output without a password, and nothing else, on both databases."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import AuditEvent, PostingLink, ProductionReport
from portal.core.domain import PermissionDenied
from portal.i18n import language
from portal.services.posting_links import (
    create_posting_link,
    list_posting_links,
    open_posting_link,
    post_with_link,
    revoke_posting_link,
)
from tests.builders import SmallWorld

#: Tuesday 10 March 2026, 09:00 UTC: 10:00 in Berlin (ACME), 04:00 in Chicago (BOLT).
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
TUESDAY = dt.date(2026, 3, 10)
ROW = {"po_number": "PO-1", "line": 1, "good_qty": 95, "rejected_qty": 1}


def reports_on(db: Database, day: dt.date) -> list[tuple[int, int, int | None]]:
    with db.read() as session:
        # A Row unpacks like a tuple (Row.tuple() is deprecated in SQLAlchemy 2.1).
        return [
            (line_id, good, by)
            for line_id, good, by in session.execute(
                select(
                    ProductionReport.po_line_id, ProductionReport.good_qty, ProductionReport.created_by_id
                ).where(ProductionReport.report_date == day)
            )
        ]


def test_a_posting_link_posts_todays_output_for_its_supplier_audited_with_its_id(
    db: Database, world: SmallWorld
) -> None:
    link_id, secret = create_posting_link(db, world.admin, world.acme_id, now=NOW)
    grant = open_posting_link(db, secret, now=NOW + dt.timedelta(hours=1))
    assert (grant.supplier_code, grant.today) == ("ACME", TUESDAY)

    result = post_with_link(db, secret, [ROW], now=NOW + dt.timedelta(hours=1))

    assert not result.errors and result.created == 1
    assert reports_on(db, TUESDAY) == [(world.line_ids["PO-1/1"], 95, None)]
    with db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "report.posted")).all()[-1]
        link = session.get(PostingLink, link_id)
    assert event.posting_link_id == link_id
    assert event.actor_name == f"ACME (posting link #{link_id})"
    assert link is not None and link.uses == 1 and link.used_at is not None
    assert link.token_hash != secret and secret not in link.token_hash


def test_a_posting_link_posts_only_today_whatever_date_is_sent(db: Database, world: SmallWorld) -> None:
    _link_id, secret = create_posting_link(db, world.admin, world.acme_id, now=NOW)
    post_with_link(db, secret, [{**ROW, "date": "2026-03-02"}], confirm_corrections=True, now=NOW)
    assert reports_on(db, TUESDAY) == [(world.line_ids["PO-1/1"], 95, None)]


def test_a_posting_link_used_for_another_suppliers_line_writes_nothing(
    db: Database, world: SmallWorld
) -> None:
    _link_id, secret = create_posting_link(db, world.admin, world.bolt_id, now=NOW)
    # Refused as a whole here; where another supplier's line is a row error ("not one of your
    # lines"), it comes back as that row's error. Either way nothing is written.
    try:
        result = post_with_link(db, secret, [ROW], now=NOW + dt.timedelta(hours=8))
    except PermissionDenied:
        pass
    else:
        assert [(e.row, e.column) for e in result.errors] == [(2, "line")]
    assert reports_on(db, TUESDAY) == []


@pytest.mark.parametrize(
    ("code", "expired"), [("en", "Mar 11, 2026, 09:00 UTC"), ("de", "11.03.2026, 09:00 UTC")]
)
def test_an_expired_posting_link_is_refused_with_its_time_in_the_readers_language_and_writes_nothing(
    db: Database, world: SmallWorld, code: str, expired: str
) -> None:
    _link_id, secret = create_posting_link(db, world.admin, world.acme_id, now=NOW)
    later = NOW + dt.timedelta(hours=24, minutes=1)
    with language(code), pytest.raises(PermissionDenied, match=re.escape(expired)):
        post_with_link(db, secret, [ROW], now=later)
    assert reports_on(db, TUESDAY) == []


def test_a_revoked_posting_link_is_refused(db: Database, world: SmallWorld) -> None:
    link_id, secret = create_posting_link(db, world.admin, world.acme_id, now=NOW)
    revoke_posting_link(db, world.admin, link_id)
    with pytest.raises(PermissionDenied, match="revoked by an administrator"):
        post_with_link(db, secret, [ROW], now=NOW)
    assert reports_on(db, TUESDAY) == []
    links = list_posting_links(db, world.admin)
    assert links.loc[links["id"] == link_id, "revoked_at"].notna().all()


@pytest.mark.parametrize("change", ["flip", "cut", "empty", "other"])
def test_a_tampered_or_unknown_posting_link_is_refused(db: Database, world: SmallWorld, change: str) -> None:
    _link_id, secret = create_posting_link(db, world.admin, world.acme_id, now=NOW)
    bad = {
        "flip": secret[:-1] + ("A" if secret[-1] != "A" else "B"),
        "cut": secret[:-4],
        "empty": "",
        "other": "pl_" + "x" * 43,
    }[change]
    with pytest.raises(PermissionDenied, match="This posting link is not valid"):
        post_with_link(db, bad, [ROW], now=NOW)
    assert reports_on(db, TUESDAY) == []
