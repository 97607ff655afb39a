"""The API as another caller of the authorization matrix: every endpoint x the same five callers.

The callers are those of ``test_authorization_matrix.py``: ``own`` (ACME's supplier user), ``other``
(BOLT's supplier user), ``buyer``, ``manager``, ``admin``, each with its own token, each acting on
ACME's objects (line PO-1/1, an alert on it). Expected answers are HTTP statuses: a role the
service refuses is 403; another supplier's object is 404 (422 naming the row as a line that does
not exist, inside a batch), exactly as for an object that does not exist. A refused call writes
nothing; an accepted write writes (so a 2xx cannot be a no-op on state an earlier caller left).
"""

# The ``api`` fixture is imported from api_helpers, so every test's ``api`` argument "redefines" it.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Alert, PoLine
from portal.core.domain import AlertStatus
from tests.integration.api_helpers import Api, api  # noqa: F401
from tests.integration.db_state import fingerprint

CALLERS = ("own", "other", "buyer", "manager", "admin")
#: What every request writes, answered or refused: when its token was last used.
BOOKKEEPING = ("api_tokens",)


def _acme_alert(api: Api, status: AlertStatus | None = None) -> int:
    """A live alert on ACME's line (of ``status``): each allowed caller acts on one it changes."""
    live = Alert.status == status if status else Alert.status != AlertStatus.RESOLVED
    with api.db.read() as session:
        found = session.scalar(
            select(Alert.id)
            .join(PoLine, PoLine.id == Alert.po_line_id)
            .where(PoLine.po_number == "PO-1", PoLine.line == 1, live)
            .order_by(Alert.id)
            .limit(1)
        )
    assert found is not None, f"no {status or 'live'} alert left on ACME's line"
    return found


def _schedule(api: Api, who: str) -> Any:
    # Based on the current revision (read by the admin), so each caller's save is a fresh revision.
    current = api.get("admin", "/lines/PO-1/1").json()["schedule"]["revision"]
    body = {
        "start_date": "2026-03-02",
        "daily_output": 100,
        "estimated_end_date": "2026-03-13",
        "reason": None,
        "revision": current,
    }
    return api.put(who, "/lines/PO-1/1/schedule", json=body)


REPORT = {"po_number": "PO-1", "line": 1, "date": "2026-03-09", "good_qty": 100}
POS_ROW = {
    "po_number": "PO-NEW",
    "line": 1,
    "supplier_code": "ACME",
    "sku": "SKU-1",
    "quantity": 1000,
    "order_date": "2026-02-01",
    "need_by_date": "2026-03-20",
}

#: endpoint -> (the call on ACME's objects, expected status per caller)
ENDPOINTS: dict[str, tuple[Callable[[Api, str], Any], dict[str, int]]] = {
    "GET /lines": (
        lambda a, w: a.get(w, "/lines"),
        {"own": 200, "other": 200, "buyer": 200, "manager": 200, "admin": 200},
    ),
    "GET /lines/PO-1/1": (
        lambda a, w: a.get(w, "/lines/PO-1/1"),
        {"own": 200, "other": 404, "buyer": 200, "manager": 200, "admin": 200},
    ),
    "PUT /lines/PO-1/1/schedule": (
        _schedule,
        {"own": 200, "other": 404, "buyer": 200, "manager": 403, "admin": 200},
    ),
    "POST /reports": (
        lambda a, w: a.post(w, "/reports", json={"reports": [REPORT], "confirm_corrections": True}),
        {"own": 201, "other": 422, "buyer": 201, "manager": 403, "admin": 201},
    ),
    "GET /alerts": (
        lambda a, w: a.get(w, "/alerts"),
        {"own": 200, "other": 200, "buyer": 200, "manager": 200, "admin": 200},
    ),
    "POST /alerts/{id}/reply": (
        lambda a, w: a.post(w, f"/alerts/{_acme_alert(a)}/reply", json={"body": "On it"}),
        {"own": 201, "other": 404, "buyer": 201, "manager": 403, "admin": 201},
    ),
    "POST /alerts/{id}/acknowledge": (
        lambda a, w: a.post(w, f"/alerts/{_acme_alert(a, AlertStatus.OPEN)}/acknowledge"),
        {"own": 403, "other": 403, "buyer": 200, "manager": 403, "admin": 200},
    ),
    "POST /alerts/{id}/snooze": (
        lambda a, w: a.post(w, f"/alerts/{_acme_alert(a)}/snooze", json={"until": "2026-03-20"}),
        {"own": 403, "other": 403, "buyer": 200, "manager": 403, "admin": 200},
    ),
    "POST /alerts/{id}/resolve": (
        lambda a, w: a.post(w, f"/alerts/{_acme_alert(a)}/resolve"),
        {"own": 403, "other": 403, "buyer": 200, "manager": 403, "admin": 200},
    ),
    "GET /forecasts": (
        lambda a, w: a.get(w, "/forecasts"),
        {"own": 403, "other": 403, "buyer": 200, "manager": 200, "admin": 200},
    ),
    "GET /promises": (
        lambda a, w: a.get(w, "/promises"),
        {"own": 403, "other": 403, "buyer": 200, "manager": 200, "admin": 200},
    ),
    "POST /imports/reports": (
        lambda a, w: a.post(w, "/imports/reports", json={"rows": [{**REPORT, "good_qty": 90}]}),
        {"own": 201, "other": 422, "buyer": 201, "manager": 403, "admin": 201},
    ),
    "POST /imports/pos": (
        lambda a, w: a.post(w, "/imports/pos", json={"rows": [{**POS_ROW, "po_number": f"PO-NEW-{w}"}]}),
        {"own": 403, "other": 403, "buyer": 201, "manager": 403, "admin": 201},
    ),
    "GET /scorecards": (
        lambda a, w: a.get(w, "/scorecards", params={"period": "2026-03"}),
        {"own": 403, "other": 403, "buyer": 403, "manager": 200, "admin": 200},
    ),
}


def test_every_endpoint_of_the_openapi_document_has_a_row(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    covered = {
        ("GET", "/lines"),
        ("GET", "/lines/{po_number}/{line}"),
        ("PUT", "/lines/{po_number}/{line}/schedule"),
        ("POST", "/reports"),
        ("GET", "/alerts"),
        ("POST", "/alerts/{alert_id}/reply"),
        ("POST", "/alerts/{alert_id}/acknowledge"),
        ("POST", "/alerts/{alert_id}/snooze"),
        ("POST", "/alerts/{alert_id}/resolve"),
        ("GET", "/forecasts"),
        ("GET", "/promises"),
        ("POST", "/imports/{kind}"),
        ("GET", "/scorecards"),
    }
    assert documented == covered
    assert all(set(expected) == set(CALLERS) for _, expected in ENDPOINTS.values())


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_caller_gets_what_its_role_and_supplier_allow(api: Api, endpoint: str) -> None:
    call, expected = ENDPOINTS[endpoint]
    got = {}
    for who in CALLERS:
        before = fingerprint(api.db, skip=BOOKKEEPING)
        response = call(api, who)
        got[who] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json"), response.text
            assert fingerprint(api.db, skip=BOOKKEEPING) == before, f"{endpoint} refused {who} but wrote"
        elif endpoint.startswith(("POST", "PUT")):
            assert fingerprint(api.db, skip=BOOKKEEPING) != before, (
                f"{endpoint} accepted {who} but wrote nothing"
            )
    assert got == expected


@pytest.mark.parametrize("path", ["/lines", "/alerts"])
def test_another_supplier_sees_none_of_acmes_data_in_lists(api: Api, path: str) -> None:
    own = api.get("own", path).text
    other = api.get("other", path).text
    assert "ACME" in own and "PO-1" in own
    assert "ACME" not in other and "PO-1" not in other


def test_another_suppliers_refusals_read_like_missing_objects(api: Api) -> None:
    report = {**REPORT, "po_number": "PO-1"}
    theirs = api.post("other", "/reports", json={"reports": [report]}).json()["errors"]
    missing = api.post("other", "/reports", json={"reports": [{**report, "po_number": "PO-77"}]}).json()[
        "errors"
    ]
    assert [e["reason"] for e in theirs] == [e["reason"] for e in missing]
    imported = api.post("other", "/imports/reports", json={"rows": [report]}).json()["errors"]
    assert [e["reason"] for e in imported] == [e["reason"] for e in missing]
