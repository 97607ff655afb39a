"""The API is served by the README's run command: `streamlit run streamlit_app.py` answers /api/v1 too."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import requests

from tests.e2e.conftest import ROOT, PortalServer


def _token(server: PortalServer, username: str) -> str:
    env = {**os.environ, "DATABASE_URL": server.database_url, "PYTHONPATH": str(ROOT)}
    made = subprocess.run(
        [sys.executable, "-m", "portal", "token", "create", username, "--name", "e2e"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip()


def test_the_openapi_document_and_the_docs_are_served_at_api_v1(portal_server: PortalServer) -> None:
    document = requests.get(f"{portal_server.base_url}/api/v1/openapi.json", timeout=30)
    assert document.status_code == 200
    assert "/reports" in document.json()["paths"]
    assert requests.get(f"{portal_server.base_url}/api/v1/docs", timeout=30).status_code == 200


def test_a_supplier_token_posts_output_and_the_buyer_token_reads_the_changed_forecast(
    portal_server: PortalServer,
) -> None:
    api = f"{portal_server.base_url}/api/v1"
    supplier = {"Authorization": f"Bearer {_token(portal_server, 'supplier')}"}
    buyer = {"Authorization": f"Bearer {_token(portal_server, 'buyer')}"}
    assert requests.get(f"{api}/lines", timeout=30).status_code == 401
    lines = requests.get(f"{api}/lines", headers=supplier, params={"status": "in_production"}, timeout=30)
    assert lines.status_code == 200, lines.text
    line = lines.json()["items"][0]
    key = (line["po_number"], line["line"])

    def produced() -> int:
        pages = requests.get(f"{api}/forecasts", headers=buyer, params={"limit": 500}, timeout=30).json()
        return next(i["produced"] for i in pages["items"] if (i["po_number"], i["line"]) == key)

    before = produced()
    detail = requests.get(f"{api}/lines/{key[0]}/{key[1]}", headers=supplier, timeout=30).json()
    on_record = {r["date"]: r["good_qty"] for r in detail["reports"]}
    # The latest working day of the supplier: today, or a day or two back over a weekend or holiday.
    for back in range(10):
        day = dt.date.today() - dt.timedelta(days=back)
        row = {"po_number": key[0], "line": key[1], "date": day.isoformat(), "good_qty": 7}
        posted = requests.post(
            f"{api}/reports",
            headers=supplier,
            json={"reports": [row], "confirm_corrections": True},
            timeout=60,
        )
        if posted.status_code == 201:
            break
        assert posted.status_code == 422 and "working day" in posted.text, posted.text
    assert posted.status_code == 201
    assert produced() == before + 7 - on_record.get(day.isoformat(), 0)
