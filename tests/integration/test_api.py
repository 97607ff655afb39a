"""The JSON API's endpoints on SQLite and PostgreSQL: what each returns and writes, through the services."""

# The ``api`` fixture is imported from api_helpers, so every test's ``api`` argument "redefines" it.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.models import Alert, AlertComment, ApiToken, AuditEvent, PoLine, ProductionReport
from portal.api.routes import buying
from portal.core import fileformats
from portal.core.domain import AlertStatus, LineStatus
from portal.queries.backorders import STATUSES as PROMISE_STATUSES
from tests.integration.api_helpers import Api, api, is_problem  # noqa: F401

DAY = "2026-03-09"  # Monday: a working day for ACME (DE) after the small world's last report


def _reports_of(api: Api, label: str, day: str) -> list[tuple[int, int, bool]]:
    po, number = label.split("/")
    with api.db.read() as session:
        return [
            (r.revision, r.good_qty, r.is_current)
            for r in session.scalars(
                select(ProductionReport)
                .join(PoLine, PoLine.id == ProductionReport.po_line_id)
                .where(
                    PoLine.po_number == po,
                    PoLine.line == int(number),
                    ProductionReport.report_date == dt.date.fromisoformat(day),
                )
                .order_by(ProductionReport.revision)
            )
        ]


def _acme_alert(api: Api) -> int:
    with api.db.read() as session:
        return session.scalars(
            select(Alert.id)
            .join(PoLine, PoLine.id == Alert.po_line_id)
            .where(PoLine.po_number == "PO-1", PoLine.line == 1, Alert.status != AlertStatus.RESOLVED)
            .order_by(Alert.id)
            .limit(1)
        ).one()


# --------------------------------------------------------------------------- lines


def test_a_supplier_lists_its_own_open_lines_with_plan_output_and_forecast(api: Api) -> None:
    response = api.get("own", "/lines")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["next_cursor"] is None
    first = next(i for i in body["items"] if (i["po_number"], i["line"]) == ("PO-1", 1))
    assert first["supplier_code"] == "ACME"
    assert first["schedule"] == {
        "revision": 1,
        "start_date": "2026-03-02",
        "daily_output": 100,
        "estimated_end_date": "2026-03-13",
    }
    assert first["produced"] == 500 and first["remaining"] == 500
    assert first["forecast"]["completion_p50"] is not None
    assert {i["supplier_code"] for i in body["items"]} == {"ACME"}


def test_lines_are_paginated_with_an_opaque_cursor(api: Api) -> None:
    first = api.get("buyer", "/lines", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["total"] == 3 and first["next_cursor"]
    second = api.get("buyer", "/lines", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    seen = {(i["po_number"], i["line"]) for i in first["items"] + second["items"]}
    assert seen == {("PO-1", 1), ("PO-1", 2), ("PO-2", 1)}


def test_a_cursor_the_api_did_not_give_is_refused(api: Api) -> None:
    response = api.get("buyer", "/lines", params={"cursor": "not-a-cursor"})
    assert is_problem(response, 422)
    assert response.json()["errors"][0]["field"] == "query.cursor"


@pytest.mark.parametrize("path", ["/forecasts", "/scorecards"])
def test_a_forbidden_caller_hears_403_before_its_bad_cursor_is_read(api: Api, path: str) -> None:
    assert is_problem(api.get("own", path, params={"cursor": "not-a-cursor"}), 403)
    assert is_problem(api.get("manager", "/scorecards", params={"cursor": "not-a-cursor"}), 422)


@pytest.mark.parametrize("limit", [0, 501])
def test_a_limit_out_of_1_to_500_is_refused_as_a_query_error(api: Api, limit: int) -> None:
    response = api.get("buyer", "/alerts", params={"limit": limit})
    assert is_problem(response, 422)
    assert "limit" in response.text


def test_scorecards_are_paginated_like_every_list(api: Api) -> None:
    first = api.get("manager", "/scorecards", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["total"] >= 2 and first["next_cursor"]
    rest = api.get("manager", "/scorecards", params={"limit": 500, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == first["total"] - 1 and rest["next_cursor"] is None
    assert first["items"][0] not in rest["items"]


def test_one_line_shows_its_schedule_revisions_reports_and_forecast(api: Api) -> None:
    response = api.get("own", "/lines/PO-1/1")
    assert response.status_code == 200
    line = response.json()
    assert line["schedule"]["revision"] == 1
    assert [r["date"] for r in line["reports"]] == [f"2026-03-0{d}" for d in range(2, 7)]
    assert line["forecast"]["produced"] == 500
    assert line["need_by_date"] == "2026-03-20"


def test_another_suppliers_line_is_not_found_like_a_line_that_does_not_exist(api: Api) -> None:
    theirs = api.get("own", "/lines/PO-2/1")
    missing = api.get("own", "/lines/PO-9/1")
    assert is_problem(theirs, 404) and is_problem(missing, 404)
    assert "BOLT" not in theirs.text
    assert theirs.json()["detail"] == "No PO line PO-2/1."
    assert missing.json()["detail"] == "No PO line PO-9/1."


# --------------------------------------------------------------------------- schedules


def _schedule(revision: int | None, end: str = "2026-03-13", reason: str | None = None) -> dict:
    return {
        "start_date": "2026-03-02",
        "daily_output": 100,
        "estimated_end_date": end,
        "reason": reason,
        "revision": revision,
    }


def test_a_schedule_revision_based_on_the_current_one_is_saved(api: Api) -> None:
    response = api.put("own", "/lines/PO-1/1/schedule", json=_schedule(1, end="2026-03-12"))
    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 2
    assert api.get("own", "/lines/PO-1/1").json()["schedule"]["estimated_end_date"] == "2026-03-12"


def test_a_first_schedule_is_based_on_no_revision(api: Api) -> None:
    body = {**_schedule(None, end="2026-03-20"), "start_date": "2026-03-10", "daily_output": 30}
    response = api.put("own", "/lines/PO-1/2/schedule", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 1


def test_a_schedule_based_on_an_old_revision_is_a_conflict_naming_the_current_one(api: Api) -> None:
    assert api.put("own", "/lines/PO-1/1/schedule", json=_schedule(1, end="2026-03-12")).status_code == 200
    stale = api.put("buyer", "/lines/PO-1/1/schedule", json=_schedule(1, end="2026-03-11"))
    assert is_problem(stale, 409)
    assert stale.json()["current_revision"] == 2
    assert api.get("own", "/lines/PO-1/1").json()["schedule"]["estimated_end_date"] == "2026-03-12"


def test_moving_the_end_later_needs_a_reason(api: Api) -> None:
    without = api.put("own", "/lines/PO-1/1/schedule", json=_schedule(1, end="2026-03-18"))
    assert is_problem(without, 422)
    assert "reason" in without.json()["detail"].lower()
    with_reason = api.put(
        "own", "/lines/PO-1/1/schedule", json=_schedule(1, end="2026-03-18", reason="Mould repair")
    )
    assert with_reason.status_code == 200, with_reason.text


def test_a_schedule_of_another_suppliers_line_is_not_found(api: Api) -> None:
    response = api.put("own", "/lines/PO-2/1/schedule", json=_schedule(1))
    assert is_problem(response, 404)
    assert api.get("buyer", "/lines/PO-2/1").json()["schedule"]["revision"] == 1


# --------------------------------------------------------------------------- reports


def test_a_supplier_posts_a_days_output_and_the_buyer_reads_the_changed_forecast(api: Api) -> None:
    before = {(i["po_number"], i["line"]): i for i in api.get("buyer", "/forecasts").json()["items"]}[
        ("PO-1", 1)
    ]
    batch = {"reports": [{"po_number": "PO-1", "line": 1, "date": DAY, "good_qty": 250, "rejected_qty": 5}]}
    response = api.post("own", "/reports", json=batch)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "posted": 1,
        "corrected": 0,
        "rows": [{"index": 0, "po_number": "PO-1", "line": 1, "date": DAY, "result": "posted"}],
    }
    after = {(i["po_number"], i["line"]): i for i in api.get("buyer", "/forecasts").json()["items"]}[
        ("PO-1", 1)
    ]
    assert after["produced"] == before["produced"] + 250
    assert after["remaining"] == before["remaining"] - 250


def test_a_day_already_reported_needs_confirming_and_then_is_a_correction(api: Api) -> None:
    row = {"po_number": "PO-1", "line": 1, "date": "2026-03-06", "good_qty": 90}
    refused = api.post("own", "/reports", json={"reports": [row]})
    assert is_problem(refused, 409)
    assert refused.json()["corrections"] and "confirm_corrections" in refused.json()["detail"]
    assert _reports_of(api, "PO-1/1", "2026-03-06") == [(1, 100, True)]
    confirmed = api.post("own", "/reports", json={"reports": [row], "confirm_corrections": True})
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["corrected"] == 1 and confirmed.json()["rows"][0]["result"] == "corrected"
    assert _reports_of(api, "PO-1/1", "2026-03-06") == [(1, 100, False), (2, 90, True)]


def test_a_batch_with_bad_rows_writes_nothing_and_names_every_bad_row(api: Api) -> None:
    batch = {
        "reports": [
            {"po_number": "PO-1", "line": 1, "date": DAY, "good_qty": 100},
            {"po_number": "PO-1", "line": 2, "date": "2026-03-07", "good_qty": 10},
            {"po_number": "PO-1", "line": 1, "date": "2026-03-10", "good_qty": -5},
            {"po_number": "PO-1", "line": 2, "date": "2026-03-12", "good_qty": 10},
        ]
    }
    response = api.post("own", "/reports", json=batch)
    assert is_problem(response, 422)
    errors = response.json()["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {(1, "date"), (2, "good_qty"), (3, "date")}
    assert all(e["reason"] for e in errors)
    assert _reports_of(api, "PO-1/1", DAY) == []


def test_a_row_of_another_suppliers_line_reads_as_a_line_that_does_not_exist(api: Api) -> None:
    batch = {
        "reports": [
            {"po_number": "PO-2", "line": 1, "date": DAY, "good_qty": 10},
            {"po_number": "PO-9", "line": 1, "date": DAY, "good_qty": 10},
            {"po_number": "PO-1", "line": 1, "date": DAY, "good_qty": -1},
        ]
    }
    response = api.post("own", "/reports", json=batch)
    assert is_problem(response, 422)
    errors = {e["index"]: e for e in response.json()["errors"]}
    assert set(errors) == {0, 1, 2}
    assert errors[0]["reason"] == errors[1]["reason"] == "is not one of your lines"
    assert errors[2]["field"] == "good_qty"
    assert "BOLT" not in response.text
    assert _reports_of(api, "PO-2/1", DAY) == []


def test_every_write_through_a_token_is_audited_with_the_tokens_id(api: Api) -> None:
    batch = {"reports": [{"po_number": "PO-1", "line": 1, "date": DAY, "good_qty": 100}]}
    assert api.post("own", "/reports", json=batch).status_code == 201
    with api.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "report.posted")).one()
        token = session.get(ApiToken, api.token_ids["own"])
        assert token is not None
    assert event.api_token_id == api.token_ids["own"]
    assert event.actor_name == "acme"
    assert token.last_used_at is not None


# --------------------------------------------------------------------------- alerts


def test_a_supplier_reads_its_alerts_and_replies_on_one(api: Api) -> None:
    alert_id = _acme_alert(api)
    alerts = api.get("own", "/alerts").json()
    assert alert_id in {a["alert_id"] for a in alerts["items"]}
    assert {a["supplier_code"] for a in alerts["items"]} == {"ACME"}
    reply = api.post("own", f"/alerts/{alert_id}/reply", json={"body": "Mould fixed, back at 100/day"})
    assert reply.status_code == 201, reply.text
    with api.db.read() as session:
        comment = session.get(AlertComment, reply.json()["comment_id"])
        assert comment is not None
    assert comment.body == "Mould fixed, back at 100/day" and comment.alert_id == alert_id


def test_another_suppliers_alert_is_not_found_for_a_reply(api: Api) -> None:
    alert_id = _acme_alert(api)
    theirs = api.post("other", f"/alerts/{alert_id}/reply", json={"body": "Hello"})
    missing = api.post("other", "/alerts/999999/reply", json={"body": "Hello"})
    assert is_problem(theirs, 404) and is_problem(missing, 404)
    assert theirs.json()["detail"] == f"No alert with id {alert_id}."
    with api.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AlertComment)) == 0


def test_a_buyer_acknowledges_snoozes_and_resolves_an_alert(api: Api) -> None:
    alert_id = _acme_alert(api)
    assert api.post("buyer", f"/alerts/{alert_id}/acknowledge").json() == {"changed": 1}
    assert api.post("buyer", f"/alerts/{alert_id}/acknowledge").json() == {"changed": 0}
    snoozed = api.post("buyer", f"/alerts/{alert_id}/snooze", json={"until": "2026-03-13"})
    assert snoozed.json() == {"changed": 1}
    assert alert_id not in {a["alert_id"] for a in api.get("buyer", "/alerts").json()["items"]}
    listed = api.get("buyer", "/alerts", params={"include_snoozed": True}).json()["items"]
    assert alert_id in {a["alert_id"] for a in listed}
    assert api.post("buyer", f"/alerts/{alert_id}/resolve").json() == {"changed": 1}
    with api.db.read() as session:
        assert session.get_one(Alert, alert_id).status is AlertStatus.RESOLVED


def test_snoozing_into_the_past_is_refused(api: Api) -> None:
    response = api.post("buyer", f"/alerts/{_acme_alert(api)}/snooze", json={"until": "2026-03-01"})
    assert is_problem(response, 422)


def test_alert_filters_refuse_unknown_values(api: Api) -> None:
    response = api.get("buyer", "/alerts", params={"severity": "catastrophic"})
    assert is_problem(response, 422)
    assert response.json()["errors"][0]["field"] == "query.severity"


@pytest.mark.parametrize(
    ("path", "known"),
    [
        ("/alerts", sorted(s.value for s in AlertStatus)),
        ("/lines", sorted(s.value for s in LineStatus)),
        ("/promises", list(PROMISE_STATUSES)),
    ],
)
def test_status_filters_refuse_unknown_values_and_name_the_known_ones(
    api: Api, path: str, known: list[str]
) -> None:
    response = api.get("buyer", path, params={"status": ["bogus", known[0], "nope"]})
    assert is_problem(response, 422)
    assert response.json()["detail"] == "Unknown status: bogus, nope."
    assert response.json()["errors"] == [
        {"index": None, "field": "query.status", "reason": f"must be one of {known}"}
    ]


# --------------------------------------------------------------------------- buyers and managers


def test_a_buyer_pulls_forecasts_filtered_by_supplier(api: Api) -> None:
    response = api.get("buyer", "/forecasts", params={"supplier": "BOLT"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["po_number"], i["line"], i["supplier_code"]) for i in items] == [("PO-2", 1, "BOLT")]
    assert items[0]["arrival_p90"] >= items[0]["arrival_p50"]
    assert is_problem(api.get("buyer", "/forecasts", params={"supplier": "NOPE"}), 422)


def test_a_buyer_pulls_promise_dates(api: Api) -> None:
    response = api.get("buyer", "/promises")
    assert response.status_code == 200
    promises = {p["order_ref"]: p for p in response.json()["items"]}
    assert set(promises) == {"SO-1", "SO-2"}
    assert promises["SO-1"]["promise_date"] is not None
    assert promises["SO-1"]["status"] in ("promised", "promise_slipped")
    only = api.get("buyer", "/promises", params={"status": "unpromisable"}).json()
    assert only["items"] == [] and only["total"] == 0


def test_a_buyer_imports_json_rows_all_or_nothing(api: Api) -> None:
    rows = [
        {
            "po_number": "PO-3",
            "line": 1,
            "supplier_code": "BOLT",
            "sku": "SKU-2",
            "quantity": 50,
            "need_by_date": "2026-05-01",
        },
    ]
    response = api.post("buyer", "/imports/pos", json={"rows": rows})
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 1
    assert api.get("buyer", "/lines/PO-3/1").status_code == 200
    bad = [
        *rows,
        {
            "po_number": "PO-4",
            "line": 1,
            "supplier_code": "NOPE",
            "sku": "SKU-2",
            "quantity": "x",
            "need_by_date": "2026-05-01",
        },
    ]
    refused = api.post("buyer", "/imports/pos", json={"rows": [dict(bad[1], po_number="PO-5"), bad[1]]})
    assert is_problem(refused, 422)
    assert {(e["index"], e["field"]) for e in refused.json()["errors"]} >= {
        (0, "supplier_code"),
        (0, "quantity"),
    }
    assert is_problem(api.get("buyer", "/lines/PO-5/1"), 404)


def _refuse_file_checker(monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON rows are typed values: the text checker of files must not see them."""

    def no_file_checker(*args: object, **kwargs: object) -> None:
        raise AssertionError("JSON rows went through the file checker")

    monkeypatch.setattr(fileformats, "check_rows", no_file_checker)
    monkeypatch.setattr(buying, "check_rows", no_file_checker)


def test_json_import_rows_are_built_as_typed_values_without_the_file_checker(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse_file_checker(monkeypatch)
    rows = [
        # A whole float is a whole number; a number where text is expected is that text.
        {"po_number": 6, "line": 1.0, "supplier_code": "BOLT", "sku": "SKU-2", "quantity": 50.0,
         "order_date": "2026-03-01", "need_by_date": "2026-05-01", "transit_days": None},
        # A change order: a status in any case cancels the line, as in a file.
        {"po_number": "PO-1", "line": 2, "supplier_code": "ACME", "sku": "SKU-2", "quantity": 300,
         "need_by_date": "2026-03-27", "status": "Cancelled"},
    ]  # fmt: skip
    response = api.post("buyer", "/imports/pos", json={"rows": rows})
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 1
    with api.db.read() as session:
        lines = {
            (p.po_number, p.line): (p.quantity, p.order_date, p.status.value)
            for p in session.scalars(select(PoLine).where(PoLine.po_number.in_(["6", "PO-1"])))
        }
    assert lines[("6", 1)] == (50, dt.date(2026, 3, 1), "open")
    assert lines[("PO-1", 2)][2] == "cancelled"


def test_bad_json_import_rows_are_named_by_index_and_field_and_nothing_is_written(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse_file_checker(monkeypatch)
    good = {"po_number": "PO-7", "line": 1, "supplier_code": "BOLT", "sku": "SKU-2", "quantity": 5,
            "order_date": "2026-03-01", "need_by_date": "2026-05-01"}  # fmt: skip
    bad = [
        good,
        {**good, "line": 2, "quantity": 12.5, "need_by_date": "2026-02-01"},
        {**good, "line": 3, "sku": None, "status": "paused"},
        {**good},
    ]
    response = api.post("buyer", "/imports/pos", json={"rows": bad})
    assert is_problem(response, 422)
    assert response.json()["detail"] == "5 error(s) in 3 row(s); nothing was written."
    assert sorted((e["index"], e["field"], e["value"], e["reason"]) for e in response.json()["errors"]) == [
        (1, "need_by_date", "2026-02-01", "is before the order date"),
        (1, "quantity", "12.5", "must be a whole number"),
        (2, "sku", "", "is required"),
        (2, "status", "paused", "must be open or cancelled (or empty)"),
        (3, "po_number+line", "PO-7 / 1", "duplicates row 2 of this file"),
    ]
    assert is_problem(api.get("buyer", "/lines/PO-7/1"), 404)


def test_import_rows_with_a_column_the_kind_does_not_have_are_refused(api: Api) -> None:
    rows = [{"sku": "SKU-9", "description": "Lid", "colour": "red"}]
    response = api.post("buyer", "/imports/items", json={"rows": rows})
    assert is_problem(response, 422)
    assert response.json()["errors"] == [
        {"index": 0, "field": "colour", "reason": "is not a column of items (sku, description, on_hand)"}
    ]


def test_a_buyer_imports_a_csv_file_as_the_command_line_does(api: Api) -> None:
    csv = "sku,description,on_hand\nSKU-9,Lid,12\n"
    response = api.post("buyer", "/imports/items", files={"file": ("items.csv", csv.encode(), "text/csv")})
    assert response.status_code == 201, response.text
    assert response.json() == {"kind": "items", "rows": 1, "created": 1, "corrected": 0, "warnings": []}


def test_an_unknown_import_kind_is_not_found(api: Api) -> None:
    assert is_problem(api.post("buyer", "/imports/invoices", json={"rows": [{"a": 1}]}), 404)


def test_a_manager_reads_every_suppliers_scorecard_for_a_month(api: Api) -> None:
    response = api.get("manager", "/scorecards", params={"period": "2026-03"})
    assert response.status_code == 200
    rows = response.json()["items"]
    assert [r["supplier_code"] for r in rows] == ["ACME", "BOLT"]
    assert all(r["period"] == "2026-03" for r in rows)
    rolling = api.get("manager", "/scorecards").json()["items"]
    assert all(r["period"] == "rolling-12" for r in rolling)


def test_a_period_that_is_not_a_month_is_refused(api: Api) -> None:
    for period in ("2026-13", "March"):
        assert is_problem(api.get("manager", "/scorecards", params={"period": period}), 422)
