"""A small client of the portal's API: a supplier posts a day's output, a buyer pulls every promise.

Run: PORTAL_URL=http://localhost:8501 PORTAL_TOKEN=spt_... python docs/api_client.py
(tokens: My account, or `python -m portal token create USERNAME`). Needs only `httpx2`.
"""

import os
import sys
import uuid

import httpx2

api = httpx2.Client(
    base_url=os.environ.get("PORTAL_URL", "http://localhost:8501") + "/api/v1",
    headers={"Authorization": f"Bearer {os.environ['PORTAL_TOKEN']}"},
    timeout=60,
)


def post_output(reports: list[dict]) -> dict:
    """Post a day's output (all rows or none); the key makes a retry after a timeout safe."""
    key = str(uuid.uuid4())
    for _attempt in range(3):
        try:
            answer = api.post("/reports", json={"reports": reports}, headers={"Idempotency-Key": key})
        except httpx2.TransportError:
            continue  # same key, same body: never posted twice
        if answer.status_code < 400:
            return answer.json()
        problem = answer.json()  # RFC 9457: type, title, status, detail, errors
        sys.exit(f"{problem['title']}: {problem['detail']} {problem.get('errors', '')}")
    sys.exit("the portal did not answer")


def promises() -> list[dict]:
    """Every waiting backorder's promise date, page by page."""
    items, cursor = [], None
    while True:
        page = api.get("/promises", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


if __name__ == "__main__":
    if sys.argv[1:2] == ["promises"]:
        for p in promises():
            print(p["order_ref"], p["sku"], p["quantity"], p["promise_date"] or "unpromisable")
    else:  # python docs/api_client.py PO-1042 3 2026-03-06 120
        po_number, line, day, good = sys.argv[1:5]
        print(post_output([{"po_number": po_number, "line": int(line), "date": day, "good_qty": int(good)}]))
