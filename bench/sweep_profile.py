"""Where a sweep's wall time goes on PostgreSQL: ``python -m bench.sweep_profile [--as-of DAY] [--chunks N]``.

Runs one full sweep on ``DATABASE_URL`` (a PostgreSQL server on this machine) and prints, per step,
the wall time beside what it is made of: this process's CPU and its wait for a core (the run queue,
``/proc/self/schedstat``), the PostgreSQL backend's CPU and its wait for a core
(``/proc/<backend pid>/schedstat``) and the bytes that backend read and wrote (``/proc/<pid>/io``,
readable by root or the server's user). Then the statements and bulk reads and writes by wall
time. On a loaded machine the two waits for a core are most of the wall time; what is left is the
sweep's own work on either side. Figures only: nothing here is a target or a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

BACKENDS: set[int] = set()
COLUMNS = ("wall", "py_cpu", "py_queue", "pg_cpu", "pg_queue", "pg_read_mib", "pg_write_mib")


def _schedstat(pid: int | str) -> tuple[float, float]:
    """(seconds on a CPU, seconds waiting for one) of a process; zeros when unreadable."""
    try:
        on_cpu, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(on_cpu) / 1e9, int(waiting) / 1e9


def _io(pid: int) -> tuple[float, float]:
    """(MiB read, MiB written) from disk by a process; zeros when unreadable."""
    try:
        fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(fields["read_bytes"]) / 2**20, int(fields["write_bytes"]) / 2**20


def _snapshot() -> dict[str, float]:
    backend = [(*_schedstat(p), *_io(p)) for p in BACKENDS]
    py_queue = _schedstat("self")[1]
    return {
        "wall": time.perf_counter(),
        "py_cpu": time.process_time(),
        "py_queue": py_queue,
        **{c: sum(b[i] for b in backend) for i, c in enumerate(COLUMNS[3:])},
    }


def _statement_key(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql)
    return re.sub(r"\(%\(\w+\)s(, %\(\w+\)s)*\)", "(...)", text)[:160]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 27))
    parser.add_argument("--chunks", type=int, default=1)
    args = parser.parse_args(argv)

    import db.bulk
    import db.frames
    import portal.services.planning.result as result_module
    from portal.bootstrap import open_configured_database
    from portal.services import summaries
    from portal.services.access import Actor
    from portal.services.planning import loaders, pipeline, stats_inputs, stores, sweep

    steps: list[tuple[str, dict[str, float]]] = []
    last = [_snapshot()]

    def mark(name: str) -> None:
        now = _snapshot()
        steps.append((name, {c: now[c] - last[0][c] for c in COLUMNS}))
        last[0] = now

    timer_init, timer_mark = result_module.Timer.__init__, result_module.Timer.mark

    def init(self: Any, result: Any) -> None:
        mark("lock, settings, supplier statistics")
        timer_init(self, result)

    def step(self: Any, name: str) -> None:
        mark(name)
        timer_mark(self, name)

    setattr(result_module.Timer, "__init__", init)  # noqa: B010 (a patch for this run only)
    setattr(result_module.Timer, "mark", step)  # noqa: B010

    # name -> [count, wall, this process's CPU, the backend's CPU]
    calls: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])

    def backend_cpu() -> float:
        return sum(_schedstat(p)[0] for p in BACKENDS)

    def timed(name: Callable[..., str], func: Callable[..., Any]) -> Callable[..., Any]:
        def run(*a: Any, **k: Any) -> Any:
            wall, cpu, server = time.perf_counter(), time.process_time(), backend_cpu()
            out = func(*a, **k)
            row = calls[name(*a, **k)]
            row[0] += 1
            row[1] += time.perf_counter() - wall
            row[2] += time.process_time() - cpu
            row[3] += backend_cpu() - server
            return out

        return run

    def read_name(session: Any, stmt: Any, *a: Any, **k: Any) -> str:
        return "read " + _statement_key(str(stmt.compile(dialect=session.get_bind().dialect)))

    read = timed(read_name, db.frames.read_frame)
    db.frames.read_frame = read  # read_frame_for_ids calls it by this name
    for module in (loaders, pipeline, stats_inputs, summaries):
        if hasattr(module, "read_frame"):
            module.read_frame = read  # type: ignore[attr-defined]
    stores.bulk_insert = timed(lambda s, t, f, **k: f"COPY {t} ({len(f)} rows)", db.bulk.bulk_insert)
    stores.bulk_update = timed(lambda s, t, f, **k: f"UPDATE {t} ({len(f)} rows)", db.bulk.bulk_update)

    database = open_configured_database()

    @event.listens_for(database.engine, "checkout")
    def backend_pid(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        BACKENDS.add(int(cursor.fetchone()[0]))
        cursor.close()

    started: dict[int, tuple[float, float]] = {}

    @event.listens_for(database.engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        started[id(cursor)] = (time.perf_counter(), backend_cpu())

    @event.listens_for(database.engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        wall, server = started.pop(id(cursor), (time.perf_counter(), backend_cpu()))
        row = calls["execute " + _statement_key(statement)]
        row[0] += 1
        row[1] += time.perf_counter() - wall
        row[3] += backend_cpu() - server

    first = last[0] = _snapshot()
    result = sweep(database, Actor.system("bench"), args.as_of, chunks=args.chunks)
    mark("audit, commit")
    end = _snapshot()
    print(result.summary())
    print(f"{'step':36s}" + "".join(f"{c:>13s}" for c in COLUMNS))
    for name, figures in [*steps, ("total", {c: end[c] - first[c] for c in COLUMNS})]:
        print(f"{name[:36]:36s}" + "".join(f"{figures[c]:13.2f}" for c in COLUMNS))
    print("\ncount      wall   py_cpu   pg_cpu  statement (execute: the server's part; read: with the fetch)")
    for name, (count, wall, cpu, server) in sorted(calls.items(), key=lambda kv: -kv[1][1])[:25]:
        print(f"{int(count):5d} {wall:9.2f} {cpu:8.2f} {server:8.2f}  {name}")
    print(f"load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
