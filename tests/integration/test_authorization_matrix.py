"""The authorization matrix: every service and query x every role, and a supplier user against
another supplier's objects, from one table of expected outcomes.

Each row calls the service on ACME's objects (ACME's line, its alert, its scorecard...). The
callers are: ``own`` (ACME's supplier user), ``other`` (BOLT's supplier user), ``buyer``,
``manager``, ``admin``. Outcomes:

* ``ALLOW``: authorization passes (the call may still refuse the input with a ValidationError,
  a ConflictError... that is not an authorization outcome);
* ``DENY``: PermissionDenied;
* ``HIDE``: the call succeeds but returns none of ACME's data (and, as a check that the row
  is not vacuous, the ``own`` call on the same row does return ACME's data);
* ``REFUSE``: a write that returns a refusal naming the row (imports) and writes nothing;
* ``MISSING``: NotFound, exactly as for an object that does not exist (its existence stays hidden).

The JSON API is another caller of these same services: ``test_api_authorization.py`` holds its
table (every endpoint x the same callers, as HTTP statuses).

A service registered with ``@service`` but missing from MATRIX fails the test: a new service
cannot ship without saying who may call it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

import portal.queries
import portal.services
from db.models import Alert, Backorder, PoLine
from portal.core.domain import AlertStatus, NotFound, PermissionDenied, PortalError
from portal.core.fileformats import check_rows, read_table
from portal.services.access import REGISTRY
from portal.services.planning import sweep
from tests.builders import SmallWorld, small_world

ALLOW, DENY, HIDE, REFUSE, MISSING = "allow", "deny", "hide", "refuse", "missing"
CALLERS = ("own", "other", "buyer", "manager", "admin")
AS_OF = dt.date(2026, 3, 11)

for package in (portal.services, portal.queries):
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
importlib.import_module("portal.demo.load")
importlib.import_module("portal.demo.scale")


@dataclass
class Ctx:
    """The world and ACME's objects every row acts on."""

    db: Any
    world: SmallWorld
    acme_line: int
    acme_alert: int
    backorder: int
    bolt_user_id: int


def svc(name: str) -> Callable[..., Any]:
    return REGISTRY[name].func


def staff(expect_supplier: str = DENY, manager: str = ALLOW) -> dict[str, str]:
    return {
        "own": expect_supplier,
        "other": expect_supplier,
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


def _acme_token(c: Ctx) -> int:
    """An API token of ACME's supplier user, for the revoke row."""
    from portal.services.access import Actor
    from portal.services.api_tokens import create_api_token

    return create_api_token(c.db, Actor.system("test"), "to revoke", username="acme").token_id


def _acme_posting_link(c: Ctx) -> int:
    """A posting link of ACME, for the revoke row."""
    from portal.services.access import Actor
    from portal.services.posting_links import create_posting_link

    return create_posting_link(c.db, Actor.system("test"), c.world.acme_id)[0]


def _reports_table() -> Any:
    text = "po_number,line,date,good_qty\nPO-1,1,2026-03-10,5\n"
    return check_rows(read_table(text.encode(), "r.csv", "reports"), "reports")


#: service -> (call on ACME's objects, expected outcome per caller)
MATRIX: dict[str, tuple[Callable[[Ctx, Any], Any], dict[str, str]]] = {
    # --- demo loading (admin, command line) -------------------------------------------------
    "demo.load.load_demo_world": (
        lambda c, a: svc("demo.load.load_demo_world")(c.db, a, seed=1, today=AS_OF),
        ONLY_ADMIN,
    ),
    "demo.load.load_scms": (
        lambda c, a: svc("demo.load.load_scms")(c.db, a, Path("/nonexistent.csv")),
        ONLY_ADMIN,
    ),
    "demo.scale.load_scale": (lambda c, a: svc("demo.scale.load_scale")(c.db, a, "XXL"), ONLY_ADMIN),
    # --- alerts ---------------------------------------------------------------------------
    "queries.alerts.alert_comments": (
        lambda c, a: svc("queries.alerts.alert_comments")(c.db, a, c.acme_alert),
        OWN_OBJECT_READ,
    ),
    "queries.alerts.alert_inbox": (
        lambda c, a: svc("queries.alerts.alert_inbox")(c.db, a, today=AS_OF),
        SCOPED_READ,
    ),
    "queries.alerts.alert_problems": (
        lambda c, a: svc("queries.alerts.alert_problems")(c.db, a, today=AS_OF).rows,
        SCOPED_READ,
    ),
    "queries.alerts.alert_rule_names": (
        lambda c, a: svc("queries.alerts.alert_rule_names")(c.db, a),
        EVERYONE,
    ),
    "queries.alerts.alert_severity_counts": (
        lambda c, a: svc("queries.alerts.alert_severity_counts")(c.db, a, today=AS_OF),
        EVERYONE,
    ),
    "services.alerts.acknowledge_alerts": (
        lambda c, a: svc("services.alerts.acknowledge_alerts")(c.db, a, [c.acme_alert]),
        BUYER_ADMIN,
    ),
    "services.alerts.resolve_alerts": (
        lambda c, a: svc("services.alerts.resolve_alerts")(c.db, a, []),
        BUYER_ADMIN,
    ),
    "services.alerts.snooze_alerts": (
        lambda c, a: svc("services.alerts.snooze_alerts")(
            c.db, a, [c.acme_alert], AS_OF + dt.timedelta(days=3), today=AS_OF
        ),
        BUYER_ADMIN,
    ),
    "services.alerts.unsnooze_alerts": (
        lambda c, a: svc("services.alerts.unsnooze_alerts")(c.db, a, [c.acme_alert]),
        BUYER_ADMIN,
    ),
    "services.alerts.comment_on_alert": (
        lambda c, a: svc("services.alerts.comment_on_alert")(c.db, a, c.acme_alert, "On it"),
        OWN_OBJECT_WRITE,
    ),
    "services.alerts.comment_on_alerts": (
        lambda c, a: svc("services.alerts.comment_on_alerts")(c.db, a, [c.acme_alert], "On it"),
        OWN_OBJECT_WRITE,
    ),
    "services.alerts.mark_alerts_seen": (
        lambda c, a: svc("services.alerts.mark_alerts_seen")(c.db, a),
        EVERYONE,
    ),
    # --- backorders (customers: staff only) -----------------------------------------------
    "queries.backorders.backorder_promises": (
        lambda c, a: svc("queries.backorders.backorder_promises")(c.db, a),
        staff(),
    ),
    "queries.backorders.backorder_supply": (
        lambda c, a: svc("queries.backorders.backorder_supply")(c.db, a, c.backorder),
        staff(),
    ),
    "services.backorders.mark_promises_communicated": (
        lambda c, a: svc("services.backorders.mark_promises_communicated")(
            c.db, a, [c.backorder], today=AS_OF
        ),
        BUYER_ADMIN,
    ),
    # --- directory and users --------------------------------------------------------------
    "queries.directory.list_users": (lambda c, a: svc("queries.directory.list_users")(c.db, a), ONLY_ADMIN),
    "queries.directory.supplier_codes": (
        lambda c, a: svc("queries.directory.supplier_codes")(c.db, a),
        staff(),
    ),
    "queries.directory.supplier_overview": (
        lambda c, a: svc("queries.directory.supplier_overview")(c.db, a),
        staff(),
    ),
    "queries.directory.supplier_profile": (
        lambda c, a: svc("queries.directory.supplier_profile")(c.db, a, c.world.acme_id, today=AS_OF),
        staff(),
    ),
    "services.users.create_user": (
        lambda c, a: svc("services.users.create_user")(
            c.db, a, f"u{uuid.uuid4().hex[:8]}", "long-password-1", "buyer"
        ),
        ONLY_ADMIN,
    ),
    "services.users.reset_password": (
        lambda c, a: svc("services.users.reset_password")(c.db, a, c.bolt_user_id, "bolt-password-1"),
        ONLY_ADMIN,
    ),
    "services.drafts.save_output_draft": (
        lambda c, a: svc("services.drafts.save_output_draft")(c.db, a, AS_OF, {c.acme_line: {"good_qty": 5}}),
        OWN_DRAFT,
    ),
    "services.drafts.output_draft": (
        lambda c, a: svc("services.drafts.output_draft")(c.db, a, AS_OF),
        OWN_DRAFT,
    ),
    "services.drafts.clear_output_draft": (
        lambda c, a: svc("services.drafts.clear_output_draft")(c.db, a, AS_OF),
        OWN_DRAFT,
    ),
    "services.posting_links.create_posting_link": (
        lambda c, a: svc("services.posting_links.create_posting_link")(c.db, a, c.world.acme_id),
        ONLY_ADMIN,
    ),
    "services.posting_links.revoke_posting_link": (
        lambda c, a: svc("services.posting_links.revoke_posting_link")(c.db, a, _acme_posting_link(c)),
        ONLY_ADMIN,
    ),
    "services.posting_links.list_posting_links": (
        lambda c, a: svc("services.posting_links.list_posting_links")(c.db, a),
        ONLY_ADMIN,
    ),
    "services.suppliers.set_supplier_timezone": (
        lambda c, a: svc("services.suppliers.set_supplier_timezone")(
            c.db, a, c.world.acme_id, "Asia/Shanghai"
        ),
        ONLY_ADMIN,
    ),
    "services.users.set_user_active": (
        lambda c, a: svc("services.users.set_user_active")(c.db, a, c.bolt_user_id, True),
        ONLY_ADMIN,
    ),
    "services.users.set_user_language": (
        lambda c, a: svc("services.users.set_user_language")(c.db, a, "de"),
        EVERYONE,
    ),
    "services.auth.change_own_password": (
        lambda c, a: svc("services.auth.change_own_password")(c.db, a, "not-my-password", "new-password-12"),
        EVERYONE,
    ),
    "services.auth.current_user_still_valid": (
        lambda c, a: svc("services.auth.current_user_still_valid")(c.db, a),
        EVERYONE,
    ),
    # --- exports -------------------------------------------------------------------------
    "queries.exports.export_frame": (
        lambda c, a: svc("queries.exports.export_frame")(c.db, a, "pos"),
        SCOPED_READ,
    ),
    # --- lines --------------------------------------------------------------------------
    "queries.late_lines.find_lines": (
        lambda c, a: svc("queries.late_lines.find_lines")(c.db, a, "PO"),
        SCOPED_READ,
    ),
    "queries.late_lines.late_lines": (
        lambda c, a: svc("queries.late_lines.late_lines")(c.db, a),
        SCOPED_READ,
    ),
    "queries.line_detail.line_detail": (
        lambda c, a: svc("queries.line_detail.line_detail")(c.db, a, c.acme_line),
        OWN_OBJECT_READ,
    ),
    "queries.lines.line_choices": (lambda c, a: svc("queries.lines.line_choices")(c.db, a), SCOPED_READ),
    "queries.lines.open_lines": (lambda c, a: svc("queries.lines.open_lines")(c.db, a), SCOPED_READ),
    "queries.lines.output_sheet": (
        lambda c, a: svc("queries.lines.output_sheet")(c.db, a, AS_OF),
        SCOPED_READ,
    ),
    "queries.lines.my_today": (lambda c, a: svc("queries.lines.my_today")(c.db, a), EVERYONE),
    "queries.lines.recent_working_days": (
        lambda c, a: svc("queries.lines.recent_working_days")(c.db, a, AS_OF),
        EVERYONE,
    ),
    # --- production writes ------------------------------------------------------------
    "services.production.post_report": (
        lambda c, a: svc("services.production.post_report")(
            c.db, a, c.acme_line, report_date=AS_OF, good_qty=5, today=AS_OF
        ),
        OWN_OBJECT_WRITE,
    ),
    "services.production.post_reports": (
        lambda c, a: svc("services.production.post_reports")(
            c.db,
            a,
            [{"po_number": "PO-1", "line": 1, "good_qty": 5}],
            report_date=AS_OF,
            today=AS_OF,
            dry_run=True,
        ),
        # Another supplier's line is a row error worded as for a line that does not exist.
        {"own": ALLOW, "other": REFUSE, "buyer": ALLOW, "manager": DENY, "admin": ALLOW},
    ),
    "services.production.revise_schedule": (
        lambda c, a: svc("services.production.revise_schedule")(
            c.db,
            a,
            c.acme_line,
            start_date=dt.date(2026, 3, 2),
            daily_output=100,
            estimated_end_date=dt.date(2026, 3, 13),
            expected_revision=1,
            today=AS_OF,
        ),
        OWN_OBJECT_WRITE,
    ),
    "services.imports.import_table": (
        lambda c, a: svc("services.imports.import_table")(
            c.db, a, _reports_table(), today=AS_OF, dry_run=True
        ),
        {"own": ALLOW, "other": REFUSE, "buyer": ALLOW, "manager": DENY, "admin": ALLOW},
    ),
    "services.import_mappings.load_import_mapping": (
        lambda c, a: svc("services.import_mappings.load_import_mapping")(c.db, a, "reports"),
        {"own": ALLOW, "other": ALLOW, "buyer": ALLOW, "manager": DENY, "admin": ALLOW},
    ),
    "services.import_mappings.save_import_mapping": (
        lambda c, a: svc("services.import_mappings.save_import_mapping")(
            c.db, a, "reports", {"Qty": "good_qty"}
        ),
        {"own": ALLOW, "other": ALLOW, "buyer": ALLOW, "manager": DENY, "admin": ALLOW},
    ),
    # --- API tokens and lines by key (portal.api) ---------------------------------------
    "services.api_tokens.create_api_token": (
        lambda c, a: svc("services.api_tokens.create_api_token")(c.db, a, "matrix", username="acme"),
        {"own": ALLOW, "other": DENY, "buyer": DENY, "manager": DENY, "admin": ALLOW},
    ),
    "services.api_tokens.revoke_api_token": (
        lambda c, a: svc("services.api_tokens.revoke_api_token")(c.db, a, _acme_token(c)),
        {"own": ALLOW, "other": DENY, "buyer": DENY, "manager": DENY, "admin": ALLOW},
    ),
    "services.api_tokens.my_api_tokens": (
        lambda c, a: svc("services.api_tokens.my_api_tokens")(c.db, a),
        EVERYONE,
    ),
    "queries.line_keys.line_id_for": (
        lambda c, a: svc("queries.line_keys.line_id_for")(c.db, a, "PO-1", 1),
        OWN_OBJECT_READ_AS_MISSING,
    ),
    "queries.line_keys.current_plans": (
        lambda c, a: svc("queries.line_keys.current_plans")(c.db, a, [c.acme_line]),
        SCOPED_READ,
    ),
    # --- planning and settings --------------------------------------------------------
    "services.planning.full_sweep.sweep": (
        lambda c, a: svc("services.planning.full_sweep.sweep")(c.db, a, AS_OF),
        BUYER_ADMIN,
    ),
    "services.summaries.rebuild": (lambda c, a: svc("services.summaries.rebuild")(c.db, a), ONLY_ADMIN),
    "services.settings.get_settings": (lambda c, a: svc("services.settings.get_settings")(c.db, a), EVERYONE),
    "services.settings.update_settings": (
        lambda c, a: svc("services.settings.update_settings")(c.db, a, {"stale_update_days": 3}),
        ONLY_ADMIN,
    ),
    # --- scorecards -------------------------------------------------------------------
    "queries.scorecards.compare_suppliers": (
        lambda c, a: svc("queries.scorecards.compare_suppliers")(
            c.db, a, [c.world.acme_id, c.world.bolt_id], today=AS_OF
        ),
        staff(),
    ),
    "queries.scorecards.scorecard_months": (
        lambda c, a: svc("queries.scorecards.scorecard_months")(c.db, a, today=AS_OF),
        EVERYONE,
    ),
    "services.scorecards.refresh_scorecards": (
        lambda c, a: svc("services.scorecards.refresh_scorecards")(c.db, a, today=AS_OF),
        {"own": DENY, "other": DENY, "buyer": DENY, "manager": ALLOW, "admin": ALLOW},
    ),
    "queries.scorecards.supplier_ranking": (
        lambda c, a: svc("queries.scorecards.supplier_ranking")(c.db, a, today=AS_OF),
        staff(),
    ),
    "queries.scorecards.supplier_scorecard": (
        lambda c, a: svc("queries.scorecards.supplier_scorecard")(c.db, a, c.world.acme_id, today=AS_OF),
        OWN_OBJECT_READ,
    ),
    # --- notifications ----------------------------------------------------------------
    "services.notifications.webhooks.add_webhook": (
        lambda c, a: svc("services.notifications.webhooks.add_webhook")(
            c.db, a, f"team-{uuid.uuid4().hex[:6]}", "http://127.0.0.1:9/hook"
        ),
        ONLY_ADMIN,
    ),
    "queries.notifications.follow_choices": (
        lambda c, a: svc("queries.notifications.follow_choices")(c.db, a),
        {"own": DENY, "other": DENY, "buyer": ALLOW, "manager": DENY, "admin": DENY},
    ),
    "services.notifications.preferences.set_followed_suppliers": (
        lambda c, a: svc("services.notifications.preferences.set_followed_suppliers")(c.db, a, []),
        {"own": DENY, "other": DENY, "buyer": ALLOW, "manager": DENY, "admin": DENY},
    ),
    "queries.notifications.get_notify_settings": (
        lambda c, a: svc("queries.notifications.get_notify_settings")(c.db, a),
        ONLY_ADMIN,
    ),
    "services.notifications.settings.update_notify_settings": (
        lambda c, a: svc("services.notifications.settings.update_notify_settings")(c.db, a, {}),
        ONLY_ADMIN,
    ),
    "queries.notifications.list_webhooks": (
        lambda c, a: svc("queries.notifications.list_webhooks")(c.db, a),
        ONLY_ADMIN,
    ),
    "services.notifications.webhooks.set_webhook_active": (
        lambda c, a: svc("services.notifications.webhooks.set_webhook_active")(c.db, a, 999_999, False),
        ONLY_ADMIN,
    ),
    "queries.notifications.my_notifications": (
        lambda c, a: svc("queries.notifications.my_notifications")(c.db, a),
        EVERYONE,
    ),
    "services.notifications.preferences.set_my_notification_preferences": (
        lambda c, a: svc("services.notifications.preferences.set_my_notification_preferences")(c.db, a, {}),
        EVERYONE,
    ),
    "queries.notifications.notification_counts": (
        lambda c, a: svc("queries.notifications.notification_counts")(c.db, a),
        ONLY_ADMIN,
    ),
    "queries.notifications.notification_log": (
        lambda c, a: svc("queries.notifications.notification_log")(c.db, a),
        ONLY_ADMIN,
    ),
    "services.notifications.admin.retry_notifications": (
        lambda c, a: svc("services.notifications.admin.retry_notifications")(c.db, a, []),
        ONLY_ADMIN,
    ),
    "services.notifications.admin.send_test_email": (
        lambda c, a: svc("services.notifications.admin.send_test_email")(c.db, a, "not-an-address"),
        ONLY_ADMIN,
    ),
    "services.notifications.job.sweep_and_notify": (
        lambda c, a: svc("services.notifications.job.sweep_and_notify")(c.db, a, AS_OF, lock_wait=5),
        ONLY_ADMIN,
    ),
}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Ctx:
    import shutil

    from db.engine import open_database

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
            .limit(1)
        )
        backorder = session.scalar(select(Backorder.id).limit(1))
        assert backorder is not None
    assert acme_alert is not None, "the world must have a live alert on ACME's line"
    assert world.bolt_user.user_id is not None
    return Ctx(
        db=db,
        world=world,
        acme_line=acme_line,
        acme_alert=acme_alert,
        backorder=backorder,
        bolt_user_id=world.bolt_user.user_id,
    )


def caller(ctx: Ctx, who: str) -> Any:
    w = ctx.world
    return {
        "own": w.acme_user,
        "other": w.bolt_user,
        "buyer": w.buyer,
        "manager": w.manager,
        "admin": w.admin,
    }[who]


def shows_acme(result: Any) -> bool:
    """Whether a query result carries any of ACME's data (its code, or its PO number)."""
    if isinstance(result, pd.DataFrame):
        text = result.to_string(max_rows=None, max_cols=None)
    elif isinstance(result, tuple | list):
        return any(shows_acme(part) for part in result)
    else:
        text = repr(result)
    return "ACME" in text or "PO-1/" in text or "PO-1 " in text


def test_every_registered_service_has_a_row_in_the_matrix() -> None:
    missing = sorted(set(REGISTRY) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(REGISTRY))
    assert not missing, f"services without an authorization row: {missing}"
    assert not stale, f"rows for services that no longer exist: {stale}"


def test_every_row_says_what_each_caller_gets() -> None:
    for name, (_, expected) in MATRIX.items():
        assert set(expected) == set(CALLERS), name


def test_the_matrix_agrees_with_the_declared_roles() -> None:
    """A caller the decorator refuses must be DENY in the table, and the other way round."""
    kinds = {"own": "supplier", "other": "supplier", "buyer": "buyer", "manager": "manager", "admin": "admin"}
    for name, (_, expected) in MATRIX.items():
        roles = {r.value for r in REGISTRY[name].roles}
        for who, outcome in expected.items():
            if kinds[who] not in roles:
                assert outcome == DENY, f"{name}: {who} is not an allowed role but the table says {outcome}"


CASES = [(name, who) for name in MATRIX for who in CALLERS]


@pytest.mark.parametrize(("name", "who"), CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_authorization(ctx: Ctx, name: str, who: str) -> None:
    call, expected = MATRIX[name]
    outcome = expected[who]
    actor = caller(ctx, who)
    if outcome == DENY:
        with pytest.raises(PermissionDenied):
            call(ctx, actor)
        return
    if outcome == MISSING:
        with pytest.raises(NotFound):
            call(ctx, actor)
        return
    try:
        result = call(ctx, actor)
    except PermissionDenied as exc:
        pytest.fail(f"{name} refused {who}: {exc}")
    except (PortalError, FileNotFoundError):
        return  # authorization passed; the input itself was refused
    if outcome == HIDE:
        assert not shows_acme(result), f"{name} shows ACME's data to another supplier"
        assert shows_acme(call(ctx, caller(ctx, "own"))), f"{name}: the own call shows no ACME data (vacuous)"
    if outcome == REFUSE:
        assert not result.ok
        assert all(e.reason == "is not one of your lines" for e in result.errors)
