"""The API refuses bad input clearly and writes nothing: tokens, malformed bodies, limits, retried writes."""

# The ``api`` fixture is imported from api_helpers, so every test's ``api`` argument "redefines" it.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import NoReturn

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from db.engine import Database
from db.models import ApiIdempotencyKey, AuditEvent, Item, ProductionReport
from portal.api.routes import lines as lines_routes
from portal.services.access import Actor
from portal.services.api_tokens import create_api_token, revoke_api_token
from portal.services.sessions import COOKIE_NAME, begin_login, exchange_ticket
from tests.integration.api_helpers import Api, api, is_problem, make_api  # noqa: F401

ROW = {"po_number": "PO-1", "line": 1, "date": "2026-03-09", "good_qty": 100}


def _report_count(api: Api) -> int:
    with api.db.read() as session:
        return int(session.scalars(select(func.count()).select_from(ProductionReport)).one())


# --------------------------------------------------------------------------- tokens


def test_a_request_without_a_token_is_unauthenticated(api: Api) -> None:
    response = api.client.get("/lines")
    assert is_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer spt_not-a-real-token", "Bearer ", "Basic YWNtZTphY21lLXBhc3N3b3JkLTE=", "spt_no-scheme"],
    ids=["unknown", "empty", "basic", "no-scheme"],
)
def test_an_unknown_or_malformed_token_is_unauthenticated(api: Api, header: str) -> None:
    response = api.client.get("/lines", headers={"Authorization": header})
    assert is_problem(response, 401)


def test_a_revoked_token_stops_working_at_once(api: Api) -> None:
    assert api.get("own", "/lines").status_code == 200
    revoke_api_token(api.db, api.world.acme_user, api.token_ids["own"])
    response = api.get("own", "/lines")
    assert is_problem(response, 401)


def test_an_expired_token_is_unauthenticated(api: Api) -> None:
    made = create_api_token(
        api.db,
        Actor.system("test"),
        "old",
        username="acme",
        expires_days=1,
        now=dt.datetime(2020, 1, 1),
    )
    response = api.client.get("/lines", headers={"Authorization": f"Bearer {made.secret}"})
    assert is_problem(response, 401)


def test_a_deactivated_users_token_is_unauthenticated(api: Api) -> None:
    from portal.services.users import set_user_active

    assert api.world.acme_user.user_id is not None
    set_user_active(api.db, api.world.admin, api.world.acme_user.user_id, False)
    assert is_problem(api.get("own", "/lines"), 401)


def test_a_browser_session_cookie_never_authorises_an_api_call(api: Api) -> None:
    cookie = exchange_ticket(api.db, begin_login(api.db, api.world.buyer))
    assert cookie
    api.client.cookies.set(COOKIE_NAME, cookie)
    try:
        response = api.client.get("/forecasts")
    finally:
        api.client.cookies.clear()
    assert is_problem(response, 401)


def test_a_token_acts_with_its_users_role(api: Api) -> None:
    assert is_problem(api.get("own", "/promises"), 403)
    assert is_problem(api.post("own", "/imports/pos", json={"rows": [{"po_number": "X"}]}), 403)
    assert is_problem(api.get("buyer", "/scorecards"), 403)
    assert is_problem(api.post("manager", "/reports", json={"reports": [ROW]}), 403)
    assert _report_count(api) == 5


# --------------------------------------------------------------------------- bodies


def test_malformed_json_is_a_clear_problem_and_writes_nothing(api: Api) -> None:
    response = api.post(
        "own",
        "/reports",
        content=b'{"reports": [{"po_number": ',
        headers={"Content-Type": "application/json"},
    )
    assert is_problem(response, 400)
    assert "not valid JSON" in response.json()["detail"]
    assert _report_count(api) == 5


def test_wrong_types_name_each_bad_field_with_its_row(api: Api) -> None:
    batch = {
        "reports": [
            ROW,
            {**ROW, "good_qty": "a hundred"},
            {**ROW, "date": "yesterday", "line": "one"},
        ]
    }
    response = api.post("own", "/reports", json=batch)
    assert is_problem(response, 422)
    found = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert found == {
        (1, "body.reports.1.good_qty"),
        (2, "body.reports.2.date"),
        (2, "body.reports.2.line"),
    }
    assert _report_count(api) == 5


def test_unknown_fields_are_refused_not_ignored(api: Api) -> None:
    response = api.post("own", "/reports", json={"reports": [{**ROW, "good_quantity": 5}], "dry_run": True})
    assert is_problem(response, 422)
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert errors == {
        "body.reports.0.good_quantity": "is not a known field",
        "body.dry_run": "is not a known field",
    }


def test_an_empty_batch_is_refused(api: Api) -> None:
    assert is_problem(api.post("own", "/reports", json={"reports": []}), 422)


def test_a_body_over_the_limit_is_refused_before_it_is_read(db: Database) -> None:
    for small in make_api(db, max_body_bytes=1_000):
        big = {"reports": [{**ROW, "note": "x" * 1_500}]}
        response = small.post("own", "/reports", json=big)
        assert is_problem(response, 413)
        assert response.json()["max_bytes"] == 1_000
        assert _report_count(small) == 5


def test_a_body_over_the_limit_without_a_length_is_cut_off(db: Database) -> None:
    for small in make_api(db, max_body_bytes=1_000):
        payload = json.dumps({"reports": [{**ROW, "note": "x" * 1_500}]}).encode()

        def chunks(data: bytes = payload) -> Iterator[bytes]:
            for start in range(0, len(data), 500):
                yield data[start : start + 500]

        response = small.post(
            "own", "/reports", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert is_problem(response, 413)
        assert _report_count(small) == 5


def test_a_crash_answers_a_problem_with_a_reference_and_no_traceback(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object, **_kwargs: object) -> NoReturn:
        raise RuntimeError("secret detail from /srv/portal/db.py")

    monkeypatch.setattr(lines_routes, "line_items", boom)
    response = api.get("own", "/lines")
    assert is_problem(response, 500)
    assert "secret detail" not in response.text and "RuntimeError" not in response.text
    assert response.json()["reference"] in response.json()["detail"]


def test_an_unknown_path_is_a_problem_too(api: Api) -> None:
    assert is_problem(api.get("own", "/nothing-here"), 404)
    assert is_problem(api.client.delete("/lines", headers=api.auth("own")), 405)


# --------------------------------------------------------------------------- rate limit


def test_a_token_over_its_rate_is_told_when_to_retry(db: Database) -> None:
    for slow in make_api(db, requests_per_minute=3):
        statuses = [slow.get("own", "/lines").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = slow.get("own", "/lines")
        assert is_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        # Each token has its own allowance.
        assert slow.get("buyer", "/lines").status_code == 200


def test_the_rate_limit_is_the_admin_setting_by_default(db: Database) -> None:
    from portal.services.settings import update_settings

    for default in make_api(db, requests_per_minute=None):
        update_settings(db, default.world.admin, {"api_requests_per_minute": 2})
        assert [default.get("own", "/lines").status_code for _ in range(3)] == [200, 200, 429]


# --------------------------------------------------------------------------- idempotency


def test_a_retry_with_the_same_key_and_body_returns_the_first_answer_without_writing(api: Api) -> None:
    key = {"Idempotency-Key": "erp-2026-03-09-batch-1"}
    first = api.post("own", "/reports", json={"reports": [ROW]}, headers=key)
    again = api.post("own", "/reports", json={"reports": [ROW]}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _report_count(api) == 6
    with api.db.read() as session:
        posted = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report.posted")
        )
    assert posted == 1


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(api: Api) -> None:
    key = {"Idempotency-Key": "erp-2026-03-09-batch-1"}
    assert api.post("own", "/reports", json={"reports": [ROW]}, headers=key).status_code == 201
    other = api.post("own", "/reports", json={"reports": [{**ROW, "good_qty": 120}]}, headers=key)
    assert is_problem(other, 422)
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert _report_count(api) == 6


def test_a_refused_request_frees_its_key_for_the_corrected_one(api: Api) -> None:
    key = {"Idempotency-Key": "erp-batch-7"}
    assert is_problem(
        api.post("own", "/reports", json={"reports": [{**ROW, "good_qty": -1}]}, headers=key), 422
    )
    assert api.post("own", "/reports", json={"reports": [ROW]}, headers=key).status_code == 201
    assert _report_count(api) == 6


def test_keys_belong_to_their_user(api: Api) -> None:
    key = {"Idempotency-Key": "shared-key"}
    assert api.post("own", "/reports", json={"reports": [ROW]}, headers=key).status_code == 201
    buyer = api.post("buyer", "/reports", json={"reports": [{**ROW, "date": "2026-03-10"}]}, headers=key)
    assert buyer.status_code == 201
    assert "idempotent-replayed" not in buyer.headers


def test_a_retry_while_the_first_request_runs_is_told_to_wait(api: Api) -> None:
    from portal.api.idempotency import request_hash

    # The request as the route hashes it: the parsed body with its defaults, keys sorted.
    body = {"confirm_corrections": False, "reports": [{**ROW, "note": None, "rejected_qty": 0}]}
    payload = json.dumps(body, sort_keys=True)
    with api.db.write() as session:
        session.add(
            ApiIdempotencyKey(
                user_id=api.world.acme_user.user_id,
                key="running",
                request_hash=request_hash("POST", "/reports", payload.encode()),
            )
        )
        session.commit()
    response = api.post("own", "/reports", json={"reports": [ROW]}, headers={"Idempotency-Key": "running"})
    assert is_problem(response, 409), response.text
    assert _report_count(api) == 5


def test_an_import_retried_with_its_key_is_imported_once(api: Api) -> None:
    key = {"Idempotency-Key": "items-upload-1"}
    rows = {"rows": [{"sku": "SKU-9", "description": "Lid", "on_hand": 12}]}
    first = api.post("buyer", "/imports/items", json=rows, headers=key)
    again = api.post("buyer", "/imports/items", json=rows, headers=key)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    other = api.post(
        "buyer", "/imports/items", json={"rows": [{"sku": "SKU-8", "description": "Cap"}]}, headers=key
    )
    assert is_problem(other, 422)
    with api.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 3


def test_a_key_is_forgotten_a_week_after_its_first_use(api: Api) -> None:
    key = {"Idempotency-Key": "weekly"}
    assert api.post("own", "/reports", json={"reports": [ROW]}, headers=key).status_code == 201
    with api.db.write() as session:
        row = session.scalar(select(ApiIdempotencyKey).where(ApiIdempotencyKey.key == "weekly"))
        assert row is not None
        row.created_at -= dt.timedelta(days=8)
        session.commit()
    assert (
        api.post("own", "/reports", json={"reports": [ROW]}, headers={"Idempotency-Key": "other"}).status_code
        == 409
    )
    later = api.post("own", "/reports", json={"reports": [{**ROW, "date": "2026-03-10"}]}, headers=key)
    assert later.status_code == 201 and "idempotent-replayed" not in later.headers


def test_a_key_that_is_not_printable_ascii_is_refused(api: Api) -> None:
    response = api.post("own", "/reports", json={"reports": [ROW]}, headers={"Idempotency-Key": "x" * 201})
    assert is_problem(response, 422)
    assert _report_count(api) == 5


# --------------------------------------------------------------------------- the document


def test_the_openapi_document_is_valid_and_lists_every_endpoint(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    expected = {
        ("get", "/lines"),
        ("get", "/lines/{po_number}/{line}"),
        ("put", "/lines/{po_number}/{line}/schedule"),
        ("post", "/reports"),
        ("get", "/alerts"),
        ("post", "/alerts/{alert_id}/reply"),
        ("post", "/alerts/{alert_id}/acknowledge"),
        ("post", "/alerts/{alert_id}/snooze"),
        ("post", "/alerts/{alert_id}/resolve"),
        ("get", "/forecasts"),
        ("get", "/promises"),
        ("post", "/imports/{kind}"),
        ("get", "/scorecards"),
    }
    assert {(m, p) for p, ops in document["paths"].items() for m in ops} == expected
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    problem = document["paths"]["/reports"]["post"]["responses"]["422"]["content"]
    assert "application/problem+json" in problem


def test_the_interactive_docs_are_served(api: Api) -> None:
    response = api.client.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()
