"""Scorecard page server times in Streamlit's AppTest: the ranking, one supplier's scorecard and the
comparison, first load with empty caches in a warm process, as the manager
(python -m bench.scorecards DATABASE_URL); then, on the scorecard, the click that opens the lines
behind its OTD (read only then).

``--refresh`` stores the snapshot first (as the nightly job does); ``--write`` then posts a receipt,
so the ranking reads the snapshot with one supplier computed live. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import time
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]


def _page(
    actor: object, page: str, state: dict[str, object] | None = None, click: str | None = None
) -> tuple[float, float, float | None, str | None]:
    """Seconds of the page's first run with empty caches (wall clock, and CPU of this process: on a
    shared machine the wall clock mostly measures the others), then of a click on ``click``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from portal.ui.context import ACTOR_KEY

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=900)
    at.session_state[ACTOR_KEY] = actor
    at.run()
    at.switch_page(page)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    # One untimed run first: the modules the page imports (altair, ...) load once per server
    # process, whichever page uses them first; timing that here would move their cost between pages.
    at.run()
    st.cache_data.clear()
    started, cpu = time.perf_counter(), time.process_time()
    at.run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    clicked = None
    if click is not None and not at.exception:
        at.button(key=click).click()
        started = time.perf_counter()
        at.run()
        clicked = time.perf_counter() - started
    return seconds, cpu, clicked, (str(at.exception[0].message)[:200] if at.exception else None)


def main(argv: list[str] | None = None) -> int:
    """Print the three pages' server times for the database at the given URL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--refresh", action="store_true", help="store the scorecard snapshot first")
    parser.add_argument("--write", action="store_true", help="then post one receipt (one supplier stale)")
    args = parser.parse_args(argv)
    from streamlit import logger as streamlit_logger

    streamlit_logger.set_log_level("error")
    logging.disable(logging.WARNING)
    os.environ["DATABASE_URL"] = args.url

    from db.engine import open_database
    from db.models import PoLine, Receipt, Supplier, User
    from portal.core.domain import LineStatus, Role
    from portal.services.access import Actor
    from portal.services.auth import actor_for

    db = open_database(args.url)
    if args.refresh:
        from portal.services.scorecards import refresh_scorecards

        info = refresh_scorecards(db, Actor.system("bench"))
        print(f"refresh: {info.seconds:.1f} s, {info.rows} rows")
    if args.write:
        from portal.services.imports import import_table, read_upload

        with db.read() as session:
            po, line, qty = session.execute(
                select(PoLine.po_number, PoLine.line, PoLine.quantity)
                .where(
                    PoLine.status == LineStatus.IN_PRODUCTION, PoLine.id.not_in(select(Receipt.po_line_id))
                )
                .limit(1)
            ).one()
        text = f"po_number,line,received_date,quantity,rejected_qty\n{po},{line},{dt.date.today()},{qty},0\n"
        started = time.perf_counter()
        table = read_upload(text.encode(), "r.csv", "receipts")
        assert import_table(db, Actor.system("bench"), table, filename="r.csv").ok
        print(f"receipt import: {time.perf_counter() - started:.2f} s")
    with db.read() as session:
        manager = actor_for(session.scalars(select(User).where(User.role == Role.MANAGER).limit(1)).one())
        biggest = session.execute(
            select(Supplier.id).join(PoLine, PoLine.supplier_id == Supplier.id).group_by(Supplier.id)
        ).first()
        assert biggest is not None, "the database has no supplier with lines"
        ids = [int(i) for i in session.scalars(select(Supplier.id).order_by(Supplier.code).limit(4))]
    db.dispose()
    pages: tuple[tuple[str, str, dict[str, object] | None, str | None], ...] = (
        ("ranking", "portal/ui/views/manager/ranking.py", None, None),
        (
            "scorecard",
            "portal/ui/views/manager/scorecard.py",
            {"scorecard.supplier": int(biggest[0])},
            "scorecard.show.otd",
        ),
        ("comparison", "portal/ui/views/manager/compare.py", {"compare.suppliers": ids}, None),
    )
    for name, page, state, click in pages:
        seconds, cpu, clicked, error = _page(manager, page, state, click)
        print(
            f"{name}: {seconds:.2f} s (CPU {cpu:.2f} s)" + (f" (error: {error})" if error else ""), flush=True
        )
        if clicked is not None:
            print(f"  then the lines behind OTD: {clicked:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
