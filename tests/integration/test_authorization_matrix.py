"""The authorization matrix: every service and query x every role, and a supplier user against
another supplier's objects, from one table of expected outcomes.

Each row calls the service on ACME's objects (ACME's line, its alert, its scorecard...) with valid
input. The callers are: ``own`` (ACME's supplier user), ``other`` (BOLT's supplier user), ``buyer``,
``manager``, ``admin``. Outcomes:

* ``ALLOW``: the call succeeds and does what it should: the row's ``proof`` checks what it returned
  or wrote (an exception of any kind fails the cell);
* ``DENY``: PermissionDenied, with the role's refusal (or, for a role the service accepts, the
  refusal of another supplier's object), and nothing written;
* ``HIDE``: the call succeeds but returns none of ACME's data (and, as a check that the row
  is not vacuous, the ``own`` call on the same row does return ACME's data);
* ``REFUSE``: a write that returns a refusal naming the row (imports) and writes nothing;
* ``MISSING``: NotFound, exactly as for an object that does not exist (its existence stays hidden),
  and nothing written.

Every cell runs on its own copy of the world, so what one cell writes cannot make another pass
or fail. A row's ``setup`` prepares what the call needs (a token to revoke, a draft to read) before
the database is fingerprinted, so "nothing written" compares the database just before and just
after the call.

The JSON API is another caller of these same services: ``test_api_authorization.py`` holds its
table (every endpoint x the same callers, as HTTP statuses).

A service registered with ``@service`` but missing from MATRIX fails the test: a new service
cannot ship without saying who may call it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import pkgutil
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select, text

import portal.queries
import portal.services
from db.engine import Database, open_database
from db.models import (
    Alert,
    AlertComment,
    ApiToken,
    Backorder,
    ImportMapping,
    PoLine,
    PostingLink,
    ProductionReport,
    ProductionSchedule,
    ScorecardTotal,
    Setting,
    Supplier,
    SupplierFollow,
    User,
    Webhook,
)
from portal.core.domain import AlertStatus, NotFound, PermissionDenied, Role
from portal.core.fileformats import check_rows, read_table
from portal.services.access import NOT_YOUR_LINE, REGISTRY, Actor
from portal.services.planning import sweep
from tests.builders import SmallWorld, small_world
from tests.integration.db_state import fingerprint

ALLOW, DENY, HIDE, REFUSE, MISSING = "allow", "deny", "hide", "refuse", "missing"
CALLERS = ("own", "other", "buyer", "manager", "admin")
AS_OF = dt.date(2026, 3, 11)
SYSTEM = Actor.system("test")

for package in (portal.services, portal.queries):
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
importlib.import_module("portal.demo.load")
importlib.import_module("portal.demo.scale")


@dataclass
class Ctx:
    """The world (a copy of its own for each cell), ACME's objects every row acts on, and what
    the row's setup prepared."""

    db: Database
    world: SmallWorld
    acme_line: int
    acme_alert: int
    backorder: int
    bolt_user_id: int
    #: An empty database, migrated, for the loaders that refuse a database with data.
    empty: Database
    tmp: Path
    prepared: Any = None
    mail: list[str] = field(default_factory=list)


def svc(name: str) -> Callable[..., Any]:
    return REGISTRY[name].func


def staff(expect_supplier: str = DENY, manager: str = ALLOW) -> dict[str, str]:
    return {
        **dict.fromkeys(("own", "other"), expect_supplier),
        "buyer": ALLOW,
        "manager": manager,
        "admin": ALLOW,
    }


ONLY_ADMIN = {"own": DENY, "other": DENY, "buyer": DENY, "manager": DENY, "admin": ALLOW}
BUYER_ADMIN = {"own": DENY, "other": DENY, "buyer": ALLOW, "manager": DENY, "admin": ALLOW}
EVERYONE = dict.fromkeys(CALLERS, ALLOW)
SCOPED_READ = {"own": ALLOW, "other": HIDE, "buyer": ALLOW, "manager": ALLOW, "admin": ALLOW}
OWN_OBJECT_READ = {"own": ALLOW, "other": DENY, "buyer": ALLOW, "manager": ALLOW, "admin": ALLOW}
#: Another supplier's object is answered as missing (NotFound), not refused: its existence stays hidden.
OWN_OBJECT_READ_AS_MISSING = {
    "own": ALLOW,
    "other": MISSING,
    "buyer": ALLOW,
    "manager": ALLOW,
    "admin": ALLOW,
}
#: A user's own draft (no supplier object): every role that posts output keeps one; managers post nothing.
OWN_DRAFT = {"own": ALLOW, "other": ALLOW, "buyer": ALLOW, "manager": DENY, "admin": ALLOW}
OWN_OBJECT_WRITE = {"own": ALLOW, "other": DENY, "buyer": ALLOW, "manager": DENY, "admin": ALLOW}
#: Everyone who posts output (a user's own import mappings).
POSTERS = {"own": ALLOW, "other": ALLOW, "buyer": ALLOW, "manager": DENY, "admin": ALLOW}


# --------------------------------------------------------------------------- reading the database


def scalar(c: Ctx, stmt: Any) -> Any:
    with c.db.read() as session:
        return session.scalar(stmt)


def count(c: Ctx, model: Any, *where: Any, db: Database | None = None) -> int:
    with (db or c.db).read() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def shows_acme(result: Any) -> bool:
    """Whether a query result carries any of ACME's data (its code, or its PO number)."""
    if isinstance(result, pd.DataFrame):
        text = result.to_string(max_rows=None, max_cols=None)
    elif isinstance(result, tuple | list):
        return any(shows_acme(part) for part in result)
    else:
        text = repr(result)
    return "ACME" in text or "PO-1/" in text or "PO-1 " in text


# --------------------------------------------------------------------------- setups


def _acme_token(c: Ctx, a: Actor) -> int:
    """An API token of ACME's supplier user, for the revoke row."""
    from portal.services.api_tokens import create_api_token

    return create_api_token(c.db, SYSTEM, "to revoke", username="acme").token_id


def _own_token(c: Ctx, a: Actor) -> int:
    """A token of the caller itself, for the row that lists one's own tokens."""
    from portal.services.api_tokens import create_api_token

    return create_api_token(c.db, SYSTEM, "my script", username=a.username).token_id


def _acme_posting_link(c: Ctx, a: Actor) -> int:
    """A posting link of ACME, for the revoke and list rows."""
    from portal.services.posting_links import create_posting_link

    return create_posting_link(c.db, SYSTEM, c.world.acme_id)[0]


def _webhook(c: Ctx, a: Actor) -> int:
    from portal.services.notifications import add_webhook

    return add_webhook(c.db, SYSTEM, "Planning", "http://127.0.0.1:9/hook")


def _snoozed(c: Ctx, a: Actor) -> None:
    from portal.services.alerts import snooze_alerts

    snooze_alerts(c.db, SYSTEM, [c.acme_alert], AS_OF + dt.timedelta(days=3), today=AS_OF)


def _draft(c: Ctx, a: Actor) -> None:
    """The caller's own draft of AS_OF (a manager, who posts nothing, keeps none)."""
    if a.role is not Role.MANAGER:
        svc("services.drafts.save_output_draft")(c.db, a, AS_OF, {c.acme_line: {"good_qty": 7}})


MAPPING = {"PO": "po_number", "Ln": "line", "Day": "date", "Qty": "good_qty"}


def _mapping(c: Ctx, a: Actor) -> None:
    """The caller's own column mapping of report files (a manager imports nothing, keeps none)."""
    if a.role is not Role.MANAGER:
        svc("services.import_mappings.save_import_mapping")(c.db, a, "reports", MAPPING)


class Mailbox:
    """A transport that keeps what it is given (or refuses it), instead of an SMTP server."""

    def __init__(self, sink: list[str], *, refuse: bool = False) -> None:
        self.sink, self.refuse = sink, refuse

    def send_email(self, message: EmailMessage, sender: str, recipient: str) -> None:
        if self.refuse:
            raise OSError("connection refused")
        self.sink.append(f"{recipient}: {message['Subject']}")

    def post_webhook(self, url: str, body: dict[str, Any]) -> None:
        self.sink.append(url)

    def close(self) -> None:
        pass


def _smtp(c: Ctx, a: Actor) -> None:
    from portal.services.notifications import update_notify_settings

    update_notify_settings(c.db, SYSTEM, {"smtp.host": "127.0.0.1", "smtp.from": "portal@example.com"})


def _failed_mail(c: Ctx, a: Actor) -> int:
    """A test e-mail the mail server refused: a failed row in the outbox."""
    from db.models import Notification
    from portal.services.notifications import send_test_email

    _smtp(c, a)
    send_test_email(c.db, SYSTEM, "ops@example.com", transport=Mailbox(c.mail, refuse=True))
    return int(scalar(c, select(func.max(Notification.id))))


def _scms_file(c: Ctx, a: Actor) -> Path:
    from tests.unit.test_scms import scms_csv

    path = c.tmp / "scms.csv"
    path.write_bytes(scms_csv({}, {"PO / SO #": "SCMS-5", "Line Item Quantity": "40"}).getvalue())
    return path


@pytest.fixture
def tiny_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scale world of a few rows, so the loader's real path runs in a cell."""
    from portal.demo import scale

    tiny = scale.Scale(
        suppliers=3, items=6, open_lines=12, history_lines=12, receipts=12, backorders=4, reported_days=5
    )
    monkeypatch.setitem(scale.SCALES, "XS", tiny)


# --------------------------------------------------------------------------- proofs

Proof = Callable[[Ctx, Actor, Any], None]


def acme_data(c: Ctx, a: Actor, result: Any) -> None:
    """A read that returns ACME's data to whoever may see it."""
    assert shows_acme(result), f"no ACME data in {result!r}"[:500]


def alert_status(status: AlertStatus) -> Proof:
    def proof(c: Ctx, a: Actor, result: Any) -> None:
        assert scalar(c, select(Alert.status).where(Alert.id == c.acme_alert)) is status

    return proof


def commented(c: Ctx, a: Actor, result: Any) -> None:
    bodies = [
        b
        for (b,) in _rows(c, select(AlertComment.body).where(AlertComment.alert_id == c.acme_alert))
        if b == "On it"
    ]
    assert len(bodies) == 1


def _rows(c: Ctx, stmt: Any) -> list[Any]:
    with c.db.read() as session:
        return list(session.execute(stmt).all())


def user_row(c: Ctx, user_id: int | None) -> User:
    with c.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def loaded(c: Ctx, a: Actor, result: Any) -> None:
    """A loader filled the empty database with suppliers and lines."""
    assert count(c, Supplier, db=c.empty) > 0 and count(c, PoLine, db=c.empty) > 0


def reported(qty: int, day: dt.date = AS_OF) -> Proof:
    def proof(c: Ctx, a: Actor, result: Any) -> None:
        got = scalar(
            c,
            select(ProductionReport.good_qty).where(
                ProductionReport.po_line_id == c.acme_line,
                ProductionReport.report_date == day,
                ProductionReport.is_current.is_(True),
            ),
        )
        assert got == qty

    return proof


def rule_names(c: Ctx, a: Actor, result: Any) -> None:
    # ACME's line is projected late; BOLT's has not started: each supplier sees its own rules.
    if a.supplier_id == c.world.acme_id:
        assert "PROJECTED_LATE" in result and "LATE_START" not in result
    elif a.is_supplier:
        assert "LATE_START" in result and "PROJECTED_LATE" not in result
    else:
        assert {"PROJECTED_LATE", "LATE_START"} <= set(result)


def severity_counts(c: Ctx, a: Actor, result: Any) -> None:
    everyone = svc("queries.alerts.alert_severity_counts")(c.db, c.world.admin, today=AS_OF)
    assert set(result) == {"critical", "warning", "info"} and sum(result.values()) > 0
    if a.is_supplier:
        assert sum(result.values()) < sum(everyone.values()), "a supplier counts only its own alerts"
    else:
        assert result == everyone


def succeeded(c: Ctx, a: Actor, result: Any) -> None:
    """A batch write (an import, a list of reports) that took every row."""
    assert result.ok, result.errors


def all_of(*proofs: Proof) -> Proof:
    def proof(c: Ctx, a: Actor, result: Any) -> None:
        for each in proofs:
            each(c, a, result)

    return proof


@dataclass(frozen=True)
class Row:
    """How one service is called on ACME's objects, who gets what, and what an allowed call did."""

    call: Callable[[Ctx, Actor], Any]
    expected: dict[str, str]
    proof: Proof
    setup: Callable[[Ctx, Actor], Any] | None = None
    #: How a caller whose role may call the service is refused ACME's object.
    refusal: str = "another supplier"


def _reports_table() -> Any:
    text = "po_number,line,date,good_qty\nPO-1,1,2026-03-10,5\n"
    return check_rows(read_table(text.encode(), "r.csv", "reports"), "reports")


#: service -> how it is called, who gets what, and what an allowed call did
MATRIX: dict[str, Row] = {
    # --- demo loading (admin, command line) -------------------------------------------------
    "demo.load.load_demo_world": Row(
        lambda c, a: svc("demo.load.load_demo_world")(c.empty, userless(a), seed=1, today=AS_OF),
        ONLY_ADMIN,
        loaded,
    ),
    "demo.load.load_scms": Row(
        lambda c, a: svc("demo.load.load_scms")(c.empty, userless(a), c.prepared),
        ONLY_ADMIN,
        all_of(
            loaded,
            lambda c, a, r: assert_equal(
                count(c, PoLine, PoLine.po_number.in_(["SCMS-4", "SCMS-5"]), db=c.empty), 2
            ),
        ),
        setup=_scms_file,
    ),
    "demo.scale.load_scale": Row(
        lambda c, a: svc("demo.scale.load_scale")(
            c.empty, userless(a), "XS", today=AS_OF, progress=lambda m: None, run_sweep=False
        ),
        ONLY_ADMIN,
        loaded,
    ),
    # --- alerts ---------------------------------------------------------------------------
    "queries.alerts.alert_comments": Row(
        lambda c, a: svc("queries.alerts.alert_comments")(c.db, a, c.acme_alert),
        OWN_OBJECT_READ,
        lambda c, a, r: assert_true("Please confirm the date" in r.to_string()),
    ),
    "queries.alerts.alert_inbox": Row(
        lambda c, a: svc("queries.alerts.alert_inbox")(c.db, a, today=AS_OF),
        SCOPED_READ,
        acme_data,
    ),
    "queries.alerts.alert_problems": Row(
        lambda c, a: svc("queries.alerts.alert_problems")(c.db, a, today=AS_OF).rows,
        SCOPED_READ,
        acme_data,
    ),
    "queries.alerts.alert_rule_names": Row(
        lambda c, a: svc("queries.alerts.alert_rule_names")(c.db, a),
        EVERYONE,
        rule_names,
    ),
    "queries.alerts.alert_severity_counts": Row(
        lambda c, a: svc("queries.alerts.alert_severity_counts")(c.db, a, today=AS_OF),
        EVERYONE,
        severity_counts,
    ),
    "queries.supplier_alerts.supplier_alert_lines": Row(
        lambda c, a: svc("queries.supplier_alerts.supplier_alert_lines")(c.db, a, today=AS_OF).rows,
        SCOPED_READ,
        acme_data,
    ),
    "services.alerts.acknowledge_alerts": Row(
        lambda c, a: svc("services.alerts.acknowledge_alerts")(c.db, a, [c.acme_alert]),
        BUYER_ADMIN,
        all_of(
            alert_status(AlertStatus.ACKNOWLEDGED),
            lambda c, a, r: assert_equal(
                scalar(c, select(Alert.acknowledged_by_id).where(Alert.id == c.acme_alert)), a.user_id
            ),
        ),
    ),
    "services.alerts.resolve_alerts": Row(
        lambda c, a: svc("services.alerts.resolve_alerts")(c.db, a, [c.acme_alert]),
        BUYER_ADMIN,
        alert_status(AlertStatus.RESOLVED),
    ),
    "services.alerts.snooze_alerts": Row(
        lambda c, a: svc("services.alerts.snooze_alerts")(
            c.db, a, [c.acme_alert], AS_OF + dt.timedelta(days=3), today=AS_OF
        ),
        BUYER_ADMIN,
        lambda c, a, r: assert_equal(
            scalar(c, select(Alert.snoozed_until).where(Alert.id == c.acme_alert)), dt.date(2026, 3, 14)
        ),
    ),
    "services.alerts.unsnooze_alerts": Row(
        lambda c, a: svc("services.alerts.unsnooze_alerts")(c.db, a, [c.acme_alert]),
        BUYER_ADMIN,
        lambda c, a, r: assert_equal(
            scalar(c, select(Alert.snoozed_until).where(Alert.id == c.acme_alert)), None
        ),
        setup=_snoozed,
    ),
    "services.alerts.comment_on_alert": Row(
        lambda c, a: svc("services.alerts.comment_on_alert")(c.db, a, c.acme_alert, "On it"),
        OWN_OBJECT_WRITE,
        commented,
    ),
    "services.alerts.comment_on_alerts": Row(
        lambda c, a: svc("services.alerts.comment_on_alerts")(c.db, a, [c.acme_alert], "On it"),
        OWN_OBJECT_WRITE,
        commented,
    ),
    "services.alerts.mark_alerts_seen": Row(
        lambda c, a: svc("services.alerts.mark_alerts_seen")(c.db, a),
        EVERYONE,
        lambda c, a, r: assert_true(user_row(c, a.user_id).alerts_seen_at is not None),
    ),
    # --- backorders (customers: staff only) -----------------------------------------------
    "queries.backorders.backorder_promises": Row(
        lambda c, a: svc("queries.backorders.backorder_promises")(c.db, a),
        staff(),
        lambda c, a, r: assert_true({"SO-1", "SO-2"} <= set(r[0]["order_ref"]) and r[1] == 2),
    ),
    "queries.backorders.backorder_supply": Row(
        lambda c, a: svc("queries.backorders.backorder_supply")(c.db, a, c.backorder),
        staff(),
        lambda c, a, r: assert_equal(list(r["source"]), ["PO-1/1"]),
    ),
    "services.backorders.mark_promises_communicated": Row(
        lambda c, a: svc("services.backorders.mark_promises_communicated")(
            c.db, a, [c.backorder], today=AS_OF
        ),
        BUYER_ADMIN,
        # The promise as told to the customer: the communicated date is the promise date.
        lambda c, a, r: assert_true(
            r == 1
            and _rows(
                c,
                select(Backorder.communicated_date, Backorder.promise_date).where(
                    Backorder.id == c.backorder
                ),
            )[0]
            == (dt.date(2026, 3, 21),) * 2
        ),
    ),
    # --- directory and users --------------------------------------------------------------
    "queries.directory.list_users": Row(
        lambda c, a: svc("queries.directory.list_users")(c.db, a),
        ONLY_ADMIN,
        lambda c, a, r: assert_true({"admin", "acme", "bolt"} <= set(r["username"])),
    ),
    "queries.directory.supplier_choices": Row(
        lambda c, a: svc("queries.directory.supplier_choices")(c.db, a, "", limit=50),
        staff(),
        lambda c, a, r: assert_equal(list(r.suppliers["code"]), ["ACME", "BOLT"]),
    ),
    "queries.directory.supplier_codes": Row(
        lambda c, a: svc("queries.directory.supplier_codes")(c.db, a),
        staff(),
        lambda c, a, r: assert_equal(list(r["code"]), ["ACME", "BOLT"]),
    ),
    "queries.directory.supplier_overview": Row(
        lambda c, a: svc("queries.directory.supplier_overview")(c.db, a),
        staff(),
        acme_data,
    ),
    "queries.directory.supplier_profile": Row(
        lambda c, a: svc("queries.directory.supplier_profile")(c.db, a, c.world.acme_id, today=AS_OF),
        staff(),
        lambda c, a, r: assert_true("Acme Plastics" in repr(r)),
    ),
    "services.users.create_user": Row(
        lambda c, a: svc("services.users.create_user")(c.db, a, "newbuyer", "long-password-1", "buyer"),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(user_row(c, r).role, Role.BUYER),
    ),
    "services.users.reset_password": Row(
        lambda c, a: svc("services.users.reset_password")(c.db, a, c.bolt_user_id, "bolt-password-2"),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(logs_in(c, "bolt", "bolt-password-2")),
    ),
    "services.drafts.save_output_draft": Row(
        lambda c, a: svc("services.drafts.save_output_draft")(c.db, a, AS_OF, {c.acme_line: {"good_qty": 5}}),
        OWN_DRAFT,
        lambda c, a, r: assert_equal(
            svc("services.drafts.output_draft")(c.db, a, AS_OF), {c.acme_line: {"good_qty": 5}}
        ),
    ),
    "services.drafts.output_draft": Row(
        lambda c, a: svc("services.drafts.output_draft")(c.db, a, AS_OF),
        OWN_DRAFT,
        lambda c, a, r: assert_equal(r, {c.acme_line: {"good_qty": 7}}),
        setup=_draft,
    ),
    "services.drafts.clear_output_draft": Row(
        lambda c, a: svc("services.drafts.clear_output_draft")(c.db, a, AS_OF),
        OWN_DRAFT,
        lambda c, a, r: assert_equal(svc("services.drafts.output_draft")(c.db, a, AS_OF), {}),
        setup=_draft,
    ),
    "services.posting_links.create_posting_link": Row(
        lambda c, a: svc("services.posting_links.create_posting_link")(c.db, a, c.world.acme_id),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(
            scalar(c, select(PostingLink.supplier_id).where(PostingLink.id == r[0])), c.world.acme_id
        ),
    ),
    "services.posting_links.revoke_posting_link": Row(
        lambda c, a: svc("services.posting_links.revoke_posting_link")(c.db, a, c.prepared),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(
            scalar(c, select(PostingLink.revoked_at).where(PostingLink.id == c.prepared)) is not None
        ),
        setup=_acme_posting_link,
    ),
    "services.posting_links.list_posting_links": Row(
        lambda c, a: svc("services.posting_links.list_posting_links")(c.db, a),
        ONLY_ADMIN,
        acme_data,
        setup=_acme_posting_link,
    ),
    "services.suppliers.set_supplier_timezone": Row(
        lambda c, a: svc("services.suppliers.set_supplier_timezone")(
            c.db, a, c.world.acme_id, "Asia/Shanghai"
        ),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(
            scalar(c, select(Supplier.timezone).where(Supplier.id == c.world.acme_id)), "Asia/Shanghai"
        ),
    ),
    "services.users.set_user_active": Row(
        lambda c, a: svc("services.users.set_user_active")(c.db, a, c.bolt_user_id, False),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(user_row(c, c.bolt_user_id).active, False),
    ),
    "services.users.set_user_language": Row(
        lambda c, a: svc("services.users.set_user_language")(c.db, a, "de"),
        EVERYONE,
        lambda c, a, r: assert_equal(user_row(c, a.user_id).language, "de"),
    ),
    "services.auth.change_own_password": Row(
        lambda c, a: svc("services.auth.change_own_password")(
            c.db, a, f"{a.username}-password-1", "new-password-12"
        ),
        EVERYONE,
        lambda c, a, r: assert_true(logs_in(c, a.username, "new-password-12")),
    ),
    "services.auth.current_user_still_valid": Row(
        lambda c, a: svc("services.auth.current_user_still_valid")(c.db, a),
        EVERYONE,
        lambda c, a, r: assert_true(r is True),
    ),
    # --- exports -------------------------------------------------------------------------
    "queries.exports.export_frame": Row(
        lambda c, a: svc("queries.exports.export_frame")(c.db, a, "pos"),
        SCOPED_READ,
        acme_data,
    ),
    # --- lines --------------------------------------------------------------------------
    "queries.late_lines.find_lines": Row(
        lambda c, a: svc("queries.late_lines.find_lines")(c.db, a, "PO"),
        SCOPED_READ,
        acme_data,
    ),
    "queries.late_lines.late_lines": Row(
        lambda c, a: svc("queries.late_lines.late_lines")(c.db, a),
        SCOPED_READ,
        acme_data,
    ),
    "queries.line_detail.line_detail": Row(
        lambda c, a: svc("queries.line_detail.line_detail")(c.db, a, c.acme_line),
        OWN_OBJECT_READ,
        lambda c, a, r: assert_equal((r.header["label"], r.header["supplier_code"]), ("PO-1/1", "ACME")),
    ),
    "queries.lines.line_choices": Row(
        lambda c, a: svc("queries.lines.line_choices")(c.db, a), SCOPED_READ, acme_data
    ),
    "queries.lines.open_lines": Row(
        lambda c, a: svc("queries.lines.open_lines")(c.db, a), SCOPED_READ, acme_data
    ),
    "queries.lines.output_sheet": Row(
        lambda c, a: svc("queries.lines.output_sheet")(c.db, a, AS_OF),
        SCOPED_READ,
        lambda c, a, r: assert_true(c.acme_line in set(r["line_id"])),
    ),
    "queries.lines.my_today": Row(
        lambda c, a: svc("queries.lines.my_today")(c.db, a),
        EVERYONE,
        lambda c, a, r: assert_true(abs((r - dt.datetime.now(dt.UTC).date()).days) <= 1),
    ),
    "queries.lines.recent_working_days": Row(
        lambda c, a: svc("queries.lines.recent_working_days")(c.db, a, AS_OF),
        EVERYONE,
        # Wednesday 11 March back over the weekend of 7-8 March.
        lambda c, a, r: assert_equal(r[:4], [dt.date(2026, 3, d) for d in (11, 10, 9, 6)]),
    ),
    # --- production writes ------------------------------------------------------------
    "services.production.post_report": Row(
        lambda c, a: svc("services.production.post_report")(
            c.db, a, c.acme_line, report_date=AS_OF, good_qty=5, today=AS_OF
        ),
        OWN_OBJECT_WRITE,
        reported(5),
    ),
    "services.production.post_reports": Row(
        lambda c, a: svc("services.production.post_reports")(
            c.db,
            a,
            [{"po_number": "PO-1", "line": 1, "good_qty": 5}],
            report_date=AS_OF,
            today=AS_OF,
        ),
        # Another supplier's line is a row error worded as for a line that does not exist.
        {"own": ALLOW, "other": REFUSE, "buyer": ALLOW, "manager": DENY, "admin": ALLOW},
        all_of(succeeded, reported(5)),
    ),
    "services.production.revise_schedule": Row(
        lambda c, a: svc("services.production.revise_schedule")(
            c.db,
            a,
            c.acme_line,
            start_date=dt.date(2026, 3, 2),
            daily_output=100,
            estimated_end_date=dt.date(2026, 3, 18),
            reason="Tooling repair",
            expected_revision=1,
            today=AS_OF,
        ),
        OWN_OBJECT_WRITE,
        lambda c, a, r: assert_equal(
            _rows(
                c,
                select(ProductionSchedule.revision, ProductionSchedule.estimated_end_date)
                .where(ProductionSchedule.po_line_id == c.acme_line)
                .order_by(ProductionSchedule.revision.desc())
                .limit(1),
            )[0],
            (2, dt.date(2026, 3, 18)),
        ),
    ),
    "services.imports.import_table": Row(
        lambda c, a: svc("services.imports.import_table")(c.db, a, _reports_table(), today=AS_OF),
        {"own": ALLOW, "other": REFUSE, "buyer": ALLOW, "manager": DENY, "admin": ALLOW},
        all_of(succeeded, reported(5, dt.date(2026, 3, 10))),
    ),
    "services.import_mappings.load_import_mapping": Row(
        lambda c, a: svc("services.import_mappings.load_import_mapping")(c.db, a, "reports"),
        POSTERS,
        lambda c, a, r: assert_equal(dict(r), MAPPING),
        setup=_mapping,
    ),
    "services.import_mappings.save_import_mapping": Row(
        lambda c, a: svc("services.import_mappings.save_import_mapping")(c.db, a, "reports", MAPPING),
        POSTERS,
        lambda c, a, r: assert_equal(
            scalar(c, select(ImportMapping.mapping).where(ImportMapping.user_id == a.user_id)), MAPPING
        ),
    ),
    # --- API tokens and lines by key (portal.api) ---------------------------------------
    "services.api_tokens.create_api_token": Row(
        lambda c, a: svc("services.api_tokens.create_api_token")(c.db, a, "matrix", username="acme"),
        {"own": ALLOW, "other": DENY, "buyer": DENY, "manager": DENY, "admin": ALLOW},
        lambda c, a, r: assert_equal(
            scalar(c, select(ApiToken.user_id).where(ApiToken.id == r.token_id)), c.world.acme_user.user_id
        ),
        refusal="Only an admin makes tokens for other users.",
    ),
    "services.api_tokens.revoke_api_token": Row(
        lambda c, a: svc("services.api_tokens.revoke_api_token")(c.db, a, c.prepared),
        {"own": ALLOW, "other": DENY, "buyer": DENY, "manager": DENY, "admin": ALLOW},
        lambda c, a, r: assert_true(
            scalar(c, select(ApiToken.revoked_at).where(ApiToken.id == c.prepared)) is not None
        ),
        setup=_acme_token,
        refusal="This API token belongs to another user.",
    ),
    "services.api_tokens.my_api_tokens": Row(
        lambda c, a: svc("services.api_tokens.my_api_tokens")(c.db, a),
        EVERYONE,
        lambda c, a, r: assert_equal(list(r["token_id"]), [c.prepared]),
        setup=_own_token,
    ),
    "queries.line_keys.line_id_for": Row(
        lambda c, a: svc("queries.line_keys.line_id_for")(c.db, a, "PO-1", 1),
        OWN_OBJECT_READ_AS_MISSING,
        lambda c, a, r: assert_equal(r, c.acme_line),
    ),
    "queries.line_keys.current_plans": Row(
        lambda c, a: svc("queries.line_keys.current_plans")(c.db, a, [c.acme_line]),
        SCOPED_READ,
        lambda c, a, r: assert_equal(list(zip(r["label"], r["revision"], strict=True)), [("PO-1/1", 1)]),
    ),
    # --- planning and settings --------------------------------------------------------
    "services.planning.full_sweep.sweep": Row(
        lambda c, a: svc("services.planning.full_sweep.sweep")(c.db, a, AS_OF),
        BUYER_ADMIN,
        lambda c, a, r: assert_equal((r.as_of, r.lines, r.backorders), (AS_OF, 3, 2)),
    ),
    "services.summaries.rebuild": Row(
        lambda c, a: svc("services.summaries.rebuild")(c.db, a),
        ONLY_ADMIN,
        # ACME's PO-1/1 is the one line with reports; its summary was right.
        lambda c, a, r: assert_equal((r.lines, len(r.repaired)), (1, 0)),
    ),
    "services.settings.get_settings": Row(
        lambda c, a: svc("services.settings.get_settings")(c.db, a),
        EVERYONE,
        lambda c, a, r: assert_equal(r.stale_update_days, 7),
        setup=lambda c, a: svc("services.settings.update_settings")(c.db, SYSTEM, {"stale_update_days": 7}),
    ),
    "services.settings.update_settings": Row(
        lambda c, a: svc("services.settings.update_settings")(c.db, a, {"stale_update_days": 3}),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(svc("services.settings.get_settings")(c.db, a).stale_update_days, 3),
    ),
    # --- scorecards -------------------------------------------------------------------
    "queries.scorecards.compare_suppliers": Row(
        lambda c, a: svc("queries.scorecards.compare_suppliers")(
            c.db, a, [c.world.acme_id, c.world.bolt_id], today=AS_OF
        ),
        staff(),
        lambda c, a, r: assert_true("ACME" in repr(r) and "BOLT" in repr(r)),
    ),
    "queries.scorecards.scorecard_months": Row(
        lambda c, a: svc("queries.scorecards.scorecard_months")(c.db, a, today=AS_OF),
        EVERYONE,
        lambda c, a, r: assert_equal(r, (["2026-03"], "2026-03")),
    ),
    "services.scorecards.refresh_scorecards": Row(
        lambda c, a: svc("services.scorecards.refresh_scorecards")(c.db, a, today=AS_OF),
        {"own": DENY, "other": DENY, "buyer": DENY, "manager": ALLOW, "admin": ALLOW},
        lambda c, a, r: assert_true(r.as_of == AS_OF and r.rows > 0 and count(c, ScorecardTotal) == r.rows),
    ),
    "queries.scorecards.supplier_ranking": Row(
        lambda c, a: svc("queries.scorecards.supplier_ranking")(c.db, a, today=AS_OF),
        staff(),
        lambda c, a, r: assert_equal(sorted(r.table["code"]), ["ACME", "BOLT"]),
    ),
    "queries.scorecards.supplier_scorecard": Row(
        lambda c, a: svc("queries.scorecards.supplier_scorecard")(c.db, a, c.world.acme_id, today=AS_OF),
        OWN_OBJECT_READ,
        lambda c, a, r: assert_equal((r.code, r.end_month), ("ACME", "2026-03")),
    ),
    "queries.scorecards.scorecard_lines": Row(
        lambda c, a: svc("queries.scorecards.scorecard_lines")(
            c.db, a, c.world.acme_id, "lines", today=AS_OF
        ),
        OWN_OBJECT_READ,
        lambda c, a, r: assert_equal(sorted(set(r["label"])), ["PO-1/1"]),
    ),
    # --- notifications ----------------------------------------------------------------
    "services.notifications.webhooks.add_webhook": Row(
        lambda c, a: svc("services.notifications.webhooks.add_webhook")(
            c.db, a, "Planning", "http://127.0.0.1:9/hook"
        ),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(scalar(c, select(Webhook.active).where(Webhook.id == r)) is True),
    ),
    "queries.notifications.follow_choices": Row(
        lambda c, a: svc("queries.notifications.follow_choices")(c.db, a),
        {"own": DENY, "other": DENY, "buyer": ALLOW, "manager": DENY, "admin": DENY},
        lambda c, a, r: assert_equal(
            (r[0], r[1]),
            ([(c.world.acme_id, "ACME · Acme Plastics"), (c.world.bolt_id, "BOLT · Bolt Works")], []),
        ),
    ),
    "services.notifications.preferences.set_followed_suppliers": Row(
        lambda c, a: svc("services.notifications.preferences.set_followed_suppliers")(
            c.db, a, [c.world.acme_id]
        ),
        {"own": DENY, "other": DENY, "buyer": ALLOW, "manager": DENY, "admin": DENY},
        lambda c, a, r: assert_equal(
            [
                s
                for (s,) in _rows(
                    c, select(SupplierFollow.supplier_id).where(SupplierFollow.user_id == a.user_id)
                )
            ],
            [c.world.acme_id],
        ),
    ),
    "queries.notifications.get_notify_settings": Row(
        lambda c, a: svc("queries.notifications.get_notify_settings")(c.db, a),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(r.values["smtp.host"] == "127.0.0.1" and r.email_enabled),
        setup=_smtp,
    ),
    "services.notifications.settings.update_notify_settings": Row(
        lambda c, a: svc("services.notifications.settings.update_notify_settings")(
            c.db, a, {"smtp.host": "mail.example.com"}
        ),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(
            scalar(c, select(Setting.value).where(Setting.key == "smtp.host")), "mail.example.com"
        ),
    ),
    "queries.notifications.list_webhooks": Row(
        lambda c, a: svc("queries.notifications.list_webhooks")(c.db, a),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(list(r["team"]), ["Planning"]),
        setup=_webhook,
    ),
    "services.notifications.webhooks.set_webhook_active": Row(
        lambda c, a: svc("services.notifications.webhooks.set_webhook_active")(c.db, a, c.prepared, False),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(
            scalar(c, select(Webhook.active).where(Webhook.id == c.prepared)) is False
        ),
        setup=_webhook,
    ),
    "queries.notifications.my_notifications": Row(
        lambda c, a: svc("queries.notifications.my_notifications")(c.db, a),
        EVERYONE,
        # Each kind the caller's role receives, on (managers and admins receive none).
        lambda c, a, r: assert_equal(r.kinds, dict.fromkeys(my_kinds(a), True)),
    ),
    "services.notifications.preferences.set_my_notification_preferences": Row(
        lambda c, a: svc("services.notifications.preferences.set_my_notification_preferences")(
            c.db, a, dict.fromkeys(my_kinds(a), False)
        ),
        EVERYONE,
        lambda c, a, r: assert_equal(
            svc("queries.notifications.my_notifications")(c.db, a).kinds, dict.fromkeys(my_kinds(a), False)
        ),
    ),
    "queries.notifications.notification_counts": Row(
        lambda c, a: svc("queries.notifications.notification_counts")(c.db, a),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(r["failed"], 1),
        setup=_failed_mail,
    ),
    "queries.notifications.notification_log": Row(
        lambda c, a: svc("queries.notifications.notification_log")(c.db, a),
        ONLY_ADMIN,
        lambda c, a, r: assert_equal(
            list(zip(r["recipient"], r["status"], strict=True)), [("ops@example.com", "failed")]
        ),
        setup=_failed_mail,
    ),
    "services.notifications.admin.retry_notifications": Row(
        lambda c, a: svc("services.notifications.admin.retry_notifications")(
            c.db, a, [c.prepared], transport=Mailbox(c.mail)
        ),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(len(c.mail) == 1 and c.mail[0].startswith("ops@example.com")),
        setup=_failed_mail,
    ),
    "services.notifications.admin.send_test_email": Row(
        lambda c, a: svc("services.notifications.admin.send_test_email")(
            c.db, a, "ops@example.com", transport=Mailbox(c.mail)
        ),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(r.sent and len(c.mail) == 1),
        setup=_smtp,
    ),
    "services.notifications.job.sweep_and_notify": Row(
        lambda c, a: svc("services.notifications.job.sweep_and_notify")(
            c.db, a, AS_OF, lock_wait=5, transport=Mailbox(c.mail)
        ),
        ONLY_ADMIN,
        lambda c, a, r: assert_true(r.plan is not None and r.sweep.as_of == AS_OF and not r.errors),
    ),
}


def userless(a: Actor) -> Actor:
    """The caller in the empty database, which has no users yet: its role, no user row to point to."""
    return dataclasses.replace(a, user_id=None)


def assert_true(value: bool) -> None:
    assert value


def assert_equal(got: Any, want: Any) -> None:
    assert got == want, f"{got!r} != {want!r}"


def my_kinds(a: Actor) -> list[str]:
    """The notification kinds the caller's role receives."""
    from portal.core import notifications as msg

    return [kind for kind, (role, _label, _help) in msg.USER_KINDS.items() if role == a.role.value]


def logs_in(c: Ctx, username: str, password: str) -> bool:
    from portal.services.auth import AuthenticationError, authenticate

    try:
        authenticate(c.db, username, password)
    except AuthenticationError:
        return False
    return True


# --------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Path, Ctx]]:
    """The small world swept as of AS_OF, with a buyer's comment on ACME's alert, in one file."""
    path = tmp_path_factory.mktemp("authz") / "portal.db"
    shutil.copy(sqlite_template, path)
    db = open_database(f"sqlite:///{path}")
    world = small_world(db)
    sweep(db, world.admin, AS_OF)
    with db.read() as session:
        acme_line = session.scalar(select(PoLine.id).where(PoLine.po_number == "PO-1", PoLine.line == 1))
        assert acme_line is not None
        acme_alert = session.scalar(
            select(Alert.id)
            .where(Alert.po_line_id == acme_line, Alert.status != AlertStatus.RESOLVED)
            .order_by(Alert.id)
            .limit(1)
        )
        backorder = session.scalar(select(Backorder.id).where(Backorder.order_ref == "SO-1"))
    assert acme_line is not None and backorder is not None and world.bolt_user.user_id is not None
    assert acme_alert is not None, "the world must have a live alert on ACME's line"
    svc("services.alerts.comment_on_alert")(db, world.buyer, acme_alert, "Please confirm the date")
    db.dispose()
    yield (
        path,
        Ctx(
            db=db,
            world=world,
            acme_line=acme_line,
            acme_alert=acme_alert,
            backorder=backorder,
            bolt_user_id=world.bolt_user.user_id,
            empty=db,
            tmp=path.parent,
        ),
    )


@pytest.fixture
def ctx(template: tuple[Path, Ctx], sqlite_template: Path, tmp_path: Path, tiny_scale: None) -> Iterator[Ctx]:
    """A copy of the world for one cell, and an empty database beside it."""
    path, shape = template
    shutil.copy(path, tmp_path / "world.db")
    shutil.copy(sqlite_template, tmp_path / "empty.db")
    db = open_database(f"sqlite:///{tmp_path / 'world.db'}")
    empty = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    # The template's world and ACME objects, with this cell's databases and a mailbox of its own.
    yield dataclasses.replace(shape, db=db, empty=empty, tmp=tmp_path, mail=[])
    db.dispose()
    empty.dispose()


def caller(ctx: Ctx, who: str) -> Actor:
    w = ctx.world
    return {
        "own": w.acme_user,
        "other": w.bolt_user,
        "buyer": w.buyer,
        "manager": w.manager,
        "admin": w.admin,
    }[who]


def test_every_registered_service_has_a_row_in_the_matrix() -> None:
    missing = sorted(set(REGISTRY) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(REGISTRY))
    assert not missing, f"services without an authorization row: {missing}"
    assert not stale, f"rows for services that no longer exist: {stale}"


def test_every_row_says_what_each_caller_gets() -> None:
    for name, row in MATRIX.items():
        assert set(row.expected) == set(CALLERS), name


def test_the_matrix_agrees_with_the_declared_roles() -> None:
    """A caller the decorator refuses must be DENY in the table, and the other way round."""
    kinds = {"own": "supplier", "other": "supplier", "buyer": "buyer", "manager": "manager", "admin": "admin"}
    for name, row in MATRIX.items():
        roles = {r.value for r in REGISTRY[name].roles}
        for who, outcome in row.expected.items():
            if kinds[who] not in roles:
                assert outcome == DENY, f"{name}: {who} is not an allowed role but the table says {outcome}"


def _role_refusal(name: str, actor: Actor) -> str:
    return f"A {actor.role.value} user cannot do this ({name.rsplit('.', 1)[-1]})."


CASES = [(name, who) for name in MATRIX for who in CALLERS]


@pytest.mark.parametrize(("name", "who"), CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_authorization(ctx: Ctx, name: str, who: str) -> None:
    row = MATRIX[name]
    outcome = row.expected[who]
    actor = caller(ctx, who)
    if row.setup is not None:
        ctx.prepared = row.setup(ctx, actor)
    if outcome in (ALLOW, HIDE):
        result = row.call(ctx, actor)
        if outcome == HIDE:
            assert not shows_acme(result), f"{name} shows ACME's data to another supplier"
            assert shows_acme(row.call(ctx, caller(ctx, "own"))), f"{name}: the own call shows no ACME data"
        else:
            row.proof(ctx, actor, result)
        return
    before = (fingerprint(ctx.db), fingerprint(ctx.empty))
    if outcome == DENY:
        with pytest.raises(PermissionDenied) as refused:
            row.call(ctx, actor)
        if actor.role in REGISTRY[name].roles:
            # The role may call it: the refusal is of ACME's object, worded as such.
            assert row.refusal in str(refused.value) or NOT_YOUR_LINE in str(refused.value)
        else:
            assert str(refused.value) == _role_refusal(name, actor)
    elif outcome == MISSING:
        with pytest.raises(NotFound):
            row.call(ctx, actor)
    else:
        assert outcome == REFUSE
        result = row.call(ctx, actor)
        assert not result.ok
        assert result.errors and all(e.reason == NOT_YOUR_LINE for e in result.errors)
    assert (fingerprint(ctx.db), fingerprint(ctx.empty)) == before, f"{name} refused {who} but wrote"


def test_a_refused_call_is_seen_to_write_nothing(ctx: Ctx) -> None:
    """The fingerprint sees a single changed value (so "nothing written" is not vacuous)."""
    before = fingerprint(ctx.db)
    with ctx.db.write() as session:
        session.execute(text("UPDATE suppliers SET timezone = 'Europe/Berlin' WHERE code = 'BOLT'"))
        session.commit()
    assert fingerprint(ctx.db) != before
