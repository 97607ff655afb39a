"""What each staff page's first load spends, part by part: its queries, then the whole page in AppTest.

`python -m bench.page_parts DATABASE_URL [--rounds 3]`: for the buyer's alert inbox, the late lines and
the manager ranking, the wall and CPU seconds of each query the page calls (caches empty) and of the
page itself (AppTest, first load); the rest of the page's time is rendering. Best of ``--rounds``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import time
from collections.abc import Callable
from typing import Any


def _best(fn: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """(wall s, CPU s of this process) of the fastest of ``rounds`` calls."""
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def measure(url: str, rounds: int, ranking: bool = True) -> dict[str, tuple[float, float]]:
    """Every part's (wall, CPU) seconds."""
    from bench.run import first_load, page_world
    from portal.queries import directory
    from portal.queries.alerts import AlertFilter, alert_problems, alert_rule_names
    from portal.queries.directory import supplier_codes
    from portal.queries.late_lines import LateLineFilter, late_lines
    from portal.queries.scorecards import supplier_ranking

    db, buyer, manager = page_world(url)
    paged = "limit" in inspect.signature(supplier_ranking).parameters
    parts: dict[str, Callable[[], Any]] = {
        "inbox: alert_problems (page of 50)": lambda: alert_problems(db, buyer, AlertFilter(), limit=50),
        "inbox: alert_rule_names": lambda: alert_rule_names(db, buyer),
        "inbox, late lines: supplier_codes": lambda: supplier_codes(db, buyer),
        **(
            {
                "inbox, late lines: supplier_choices (first load, 200 listed)": lambda: (
                    directory.supplier_choices(db, buyer, limit=200)
                ),
                "inbox, late lines: supplier_choices (a search, 50)": lambda: directory.supplier_choices(
                    db, buyer, "factory 00", limit=50
                ),
            }
            if hasattr(directory, "supplier_choices")
            else {}
        ),
        "late lines: late_lines (page of 100)": lambda: late_lines(db, buyer, LateLineFilter(), limit=100),
        "ranking: supplier_ranking (as the page asks)": lambda: (
            supplier_ranking(db, manager, limit=50) if paged else supplier_ranking(db, manager)
        ),
        "ranking: supplier_ranking (every row, the download)": lambda: supplier_ranking(db, manager),
    }
    out = {name: _best(fn, rounds) for name, fn in parts.items() if ranking or not name.startswith("ranking")}
    for name, page, actor in (
        ("inbox page (AppTest)", "portal/ui/views/buyer/alert_inbox.py", buyer),
        ("late lines page (AppTest)", "portal/ui/views/buyer/late_lines.py", buyer),
        ("ranking page (AppTest)", "portal/ui/views/manager/ranking.py", manager),
    ):
        if not ranking and name.startswith("ranking"):
            continue
        best = (float("inf"), float("inf"))
        for _ in range(rounds):
            wall, cpu, error = first_load(page, actor)
            assert error is None, error
            best = min(best, (wall, cpu))
        out[name] = best
    db.dispose()
    return out


def filter_bytes(actor: Any) -> int:
    """The bytes of the late lines page's supplier filter as sent to the browser (its widgets' protos)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench.run import ROOT
    from portal.ui.context import ACTOR_KEY

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.session_state[ACTOR_KEY] = actor
    at.run()
    at.switch_page("portal/ui/views/buyer/late_lines.py").run()
    widgets = [*at.multiselect, *at.text_input]
    return sum(w.proto.ByteSize() for w in widgets if str(w.key).startswith("late_lines.suppliers"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-ranking", action="store_true", help="leave the ranking's parts out")
    args = parser.parse_args()
    print(f"load before {os.getloadavg()}", flush=True)
    for name, (wall, cpu) in measure(args.url, args.rounds, not args.no_ranking).items():
        print(f"{name:55s} {wall:7.3f} s wall {cpu:7.3f} s CPU", flush=True)
    from bench.run import page_world

    _db, buyer, _manager = page_world(args.url)
    print(
        f"{'late lines: supplier filter sent to the browser':55s} {filter_bytes(buyer):7d} bytes", flush=True
    )
    print(f"load after {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
