"""The API's write latency: `python -m bench.api [--posts N] [--batches N] [--backend sqlite postgresql]`.

On the demo world (as of AS_OF), on each backend, through the real ASGI app in this process (HTTP
parsing, token check, rate limit, validation, the service's write and recompute, the JSON answer):

* ``POST /reports`` of one report, by the demo supplier's token: p50/p95 over N posts;
* ``POST /reports`` of a 500-report batch, by the buyer's token: p50/p95 over N batches;
* for comparison, the same one-report post calling the service directly (no HTTP): the API's
  own cost is the difference.

PostgreSQL runs on a database made for the run and dropped after it (at BENCH_POSTGRES_URL's
server, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Figures are measurements
of this machine at this moment; nothing asserts them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from db.engine import Database, open_database
from db.migrate import scratch_postgres
from db.models import PoLine, User
from portal.api import create_app
from portal.bootstrap import upgrade_database
from portal.core.domain import LineStatus
from portal.demo.load import load_demo_world
from portal.services.access import Actor
from portal.services.api_tokens import create_api_token
from portal.services.auth import actor_for
from portal.services.production import post_reports

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

AS_OF = dt.date(2026, 11, 27)  # a Friday
BATCH = 500
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(backend: str) -> Iterator[Database]:
    """A fresh, migrated database of ``backend``, removed afterwards."""
    with _empty_database(backend) as url:
        upgrade_database(url)
        db = open_database(url)
        try:
            yield db
        finally:
            db.dispose()


@contextmanager
def _empty_database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench-api.db'}"
    else:
        with scratch_postgres(POSTGRES, "portal_bench_api") as url:
            yield url


def _valid_rows(db: Database, supplier_id: int | None, limit: int) -> list[dict]:
    """Report rows the portal accepts: producing lines x recent working days (checked by the service)."""
    stmt = select(PoLine.po_number, PoLine.line, PoLine.supplier_id).where(
        PoLine.status.in_([LineStatus.IN_PRODUCTION, LineStatus.OPEN])
    )
    if supplier_id is not None:
        stmt = stmt.where(PoLine.supplier_id == supplier_id)
    with db.read() as session:
        lines = session.execute(stmt.order_by(PoLine.po_number, PoLine.line)).all()
    days = [AS_OF - dt.timedelta(days=d) for d in range(0, 42)]
    rows: list[dict[str, Any]] = [
        {"po_number": po, "line": n, "date": day, "good_qty": 50 + (i % 40), "rejected_qty": i % 3}
        for day in days
        for i, (po, n, _) in enumerate(lines)
    ]
    checked = post_reports(db, Actor.system("bench"), rows, today=AS_OF, dry_run=True)
    bad = {e.row - 2 for e in checked.errors}
    good = [r for i, r in enumerate(rows) if i not in bad]
    return [{**r, "date": r["date"].isoformat()} for r in good[:limit]]


def _percentiles(values: list[float]) -> tuple[float, float]:
    data = np.asarray(values) * 1000
    return float(np.percentile(data, 50)), float(np.percentile(data, 95))


def measure(backend: str, posts: int, batches: int) -> dict[str, tuple[float, float]]:
    """p50/p95 (ms) of one-report posts and of 500-report batches on ``backend``."""
    with database(backend) as db:
        system = Actor.system("bench")
        load_demo_world(db, system, seed=7, today=AS_OF)
        with db.read() as session:
            supplier_id = session.scalar(select(User.supplier_id).where(User.username == "supplier"))
        supplier = create_api_token(db, system, "bench", username="supplier").secret
        buyer = create_api_token(db, system, "bench", username="buyer").secret
        app = create_app(lambda: db, requests_per_minute=1_000_000, today=lambda: AS_OF)
        singles = _valid_rows(db, supplier_id, posts)
        with db.read() as session:
            user = session.scalar(select(User).where(User.username == "supplier"))
            assert user is not None
        actor = actor_for(user)
        direct: list[float] = []
        for i in range(posts):
            start = time.perf_counter()
            post_reports(db, actor, [singles[i % len(singles)]], confirm_corrections=True, today=AS_OF)
            direct.append(time.perf_counter() - start)
        batch_rows = _valid_rows(db, None, BATCH * batches)
        results: dict[str, tuple[float, float]] = {}
        with TestClient(app) as client:
            one: list[float] = []
            for i in range(posts):
                row = singles[i % len(singles)]
                body = {"reports": [row], "confirm_corrections": True}
                start = time.perf_counter()
                response = client.post("/reports", json=body, headers={"Authorization": f"Bearer {supplier}"})
                one.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text
            results["one report"] = _percentiles(one)
            results["(service only)"] = _percentiles(direct)
            many: list[float] = []
            for b in range(batches):
                chunk = batch_rows[(b * BATCH) % max(1, len(batch_rows) - BATCH) :][:BATCH]
                body = {"reports": chunk, "confirm_corrections": True}
                start = time.perf_counter()
                response = client.post("/reports", json=body, headers={"Authorization": f"Bearer {buyer}"})
                many.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text
            results[f"batch of {len(chunk)}"] = _percentiles(many)
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200, help="one-report posts per backend (default 200)")
    parser.add_argument("--batches", type=int, default=10, help="500-report batches per backend (default 10)")
    parser.add_argument(
        "--backend", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    args = parser.parse_args(argv)
    table = []
    for backend in args.backend:
        for what, (p50, p95) in measure(backend, args.posts, args.batches).items():
            table.append(
                {"backend": backend, "POST /reports": what, "p50 ms": round(p50), "p95 ms": round(p95)}
            )
            print(
                f"{backend:<10} POST /reports, {what:<14} p50 {p50:8.0f} ms   p95 {p95:8.0f} ms", flush=True
            )
    print()
    print(pd.DataFrame(table).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
