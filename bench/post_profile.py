"""Where a report post's core time goes on PostgreSQL: ``python -m bench.post_profile [--posts N]``.

Posts ``N`` reports one at a time on ``DATABASE_URL`` (a PostgreSQL server on this machine, a world
the bench loaded and swept: the lines and day :func:`bench.run.incremental` posts) through one pooled
connection, and prints per post: this process's CPU (``time.process_time``), the CPU of the one
PostgreSQL backend that served them (``/proc/<backend pid>/schedstat``: zero when unreadable), the
statements run and their execution's share of the client's CPU. With ``--statements``, each
statement's count per post, wall time and backend CPU, heaviest first.

Each run posts a good quantity other than the last run's (60, then 50, ...), so every post corrects
its day with new figures, as the bench's own posts do after an earlier bench run. The two CPU
figures add up to a post's core time: what 16 writers that never pause share on 2 cores
(:func:`bench.run.closed_loop_cause`). Figures only: nothing here is a target or a test.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench.run import AS_OF, _posting_targets, percentile

#: The good quantity of the last run (each run posts the other one).
LAST_QUANTITY = Path(__file__).resolve().parent / "results" / ".post_profile_quantity"


def _backend_seconds(pid: int) -> float:
    """Seconds on a CPU of a process (0 when unreadable: a server on another machine)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _quantity() -> int:
    last = LAST_QUANTITY.read_text().strip() if LAST_QUANTITY.exists() else ""
    quantity = 50 if last == "60" else 60
    LAST_QUANTITY.parent.mkdir(parents=True, exist_ok=True)
    LAST_QUANTITY.write_text(str(quantity))
    return quantity


def profile(url: str, posts: int, statements: bool) -> str:
    """Post ``posts`` reports (after 10 unmeasured ones) and describe their cost."""
    from db.engine import open_database
    from portal.services.production import post_report

    db = open_database(url, pool_size=1, max_overflow=0)
    with db.engine.connect() as conn:
        backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    count = [0]
    exec_cpu = [0.0]
    # statement's first 120 characters -> [runs, wall seconds, backend seconds]
    per_statement: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])

    @event.listens_for(db.engine, "before_execute")
    def _before_execute(conn: Any, *_: Any) -> None:
        conn.info["post_profile_cpu"] = time.process_time()

    @event.listens_for(db.engine, "after_execute")
    def _after_execute(conn: Any, *_: Any) -> None:
        started = conn.info.pop("post_profile_cpu", None)
        if started is not None:
            exec_cpu[0] += time.process_time() - started

    @event.listens_for(db.engine, "before_cursor_execute")
    def _before_cursor(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        count[0] += 1
        if statements:
            conn.info["post_profile_at"] = (time.perf_counter(), _backend_seconds(backend))

    @event.listens_for(db.engine, "after_cursor_execute")
    def _after_cursor(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        at = conn.info.pop("post_profile_at", None)
        if at is not None:
            runs = per_statement[" ".join(statement.split())[:120]]
            runs[0] += 1
            runs[1] += time.perf_counter() - at[0]
            runs[2] += _backend_seconds(backend) - at[1]

    quantity = _quantity()
    targets = _posting_targets(db, posts + 10)

    def post(line_id: int, actor: Any) -> None:
        post_report(
            db, actor, line_id, report_date=AS_OF, good_qty=quantity, confirm_correction=True, today=AS_OF
        )

    for line_id, actor in targets[posts:]:  # caches and the connection's prepared statements
        post(line_id, actor)
    count[0], exec_cpu[0] = 0, 0.0
    per_statement.clear()
    client: list[float] = []
    server: list[float] = []
    for line_id, actor in targets[:posts]:
        cpu, on_server = time.process_time(), _backend_seconds(backend)
        post(line_id, actor)
        client.append((time.process_time() - cpu) * 1000)
        server.append((_backend_seconds(backend) - on_server) * 1000)
    db.dispose()
    n = len(client)
    lines = [
        f"{n} posts (good quantity {quantity}), load {os.getloadavg()[0]:.1f}: "
        f"client CPU mean {sum(client) / n:.2f} ms (p50 {percentile(client, 50):.2f}), "
        f"PostgreSQL backend CPU mean {sum(server) / n:.2f} ms (p50 {percentile(server, 50):.2f}), "
        f"core time {(sum(client) + sum(server)) / n:.2f} ms a post; "
        f"{count[0] / n:.2f} statements a post, "
        f"their execution {exec_cpu[0] / n * 1000:.2f} ms of the client's CPU"
    ]
    if statements:
        lines.append(f"{'a post':>6} {'wall ms':>8} {'pg ms':>6}  statement")
        for key, (runs, wall, on_server) in sorted(per_statement.items(), key=lambda kv: -kv[1][2]):
            lines.append(f"{runs / n:6.2f} {wall / runs * 1000:8.3f} {on_server / runs * 1000:6.3f}  {key}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--statements", action="store_true", help="each statement's cost, heaviest first")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        parser.error("DATABASE_URL must name a PostgreSQL database holding a bench world")
    print(profile(url, args.posts, args.statements))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
