"""The benchmark: `python -m bench [--scale L] [--backend sqlite postgresql]`.

Scale XL (1,000,000 open lines, ~30 million reports) runs on PostgreSQL only:
`python -m bench --scale XL --backend postgresql` (its load takes tens of minutes: it prints its
progress; `--reuse` measures a world already loaded).

On each backend it loads the synthetic world of the chosen scale (or reuses one), then measures:

* full sweep (forecasts + promises + alerts): wall time and peak memory (a child process);
* the reference: the same forecasts by one DuckDB query over the SQLite file, and the ratio;
* incremental recompute after one report post: p50/p95 over 200 posts (and the post itself);
* report-post latency with 16 concurrent writers (PostgreSQL), p50/p95: closed loop as threads of
  one process and spread over processes as replicas serve them (``--writer-processes P``, default
  one per core), and with people's think time;
* server time of the buyer's late-lines page, the alert inbox and the manager's ranking
  (Streamlit AppTest, first load), and of the forecasts, promises and alerts exports.

It prints a table and writes JSON to bench/results/. Figures are measurements of this machine at
this moment, not assertions: no test depends on them.

Over 500 lines on purpose (about 900): one measure per function (the sweep, a post, the writers, the
pages, the exports), run in order by :func:`main` (``--only sweep``: the sweep and its reference
alone) and printed in one table; the larger helpers have their own modules (``bench.reference``,
``bench.curve``, ``bench.browser``, ``bench.post_profile``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import multiprocessing
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "bench" / "data"
AS_OF = dt.date(2026, 11, 27)  # a Friday: the world is generated relative to it

#: measure -> (label, comparison, limit, the backends the issue sets the target for)
TARGETS = {
    # Issue 15 (was: sweep < 20 s, peak < 2 GiB, against a forecasts-only reference).
    "sweep_seconds": ("full sweep (s)", "<=", 5.0, {"sqlite"}),
    # Not a target of its own: the sweep's CPU time, the fair figure on a shared machine.
    "sweep_cpu_seconds": ("  its CPU time (s)", "<=", 5.0, set()),
    "sweep_vs_reference": ("sweep / DuckDB reference (same work)", "<=", 3.0, {"sqlite"}),
    "sweep_peak_mib": ("sweep peak memory (MiB)", "<=", 1024.0, {"sqlite"}),
    "post_cpu_p50_ms": ("CPU per report post p50 (ms)", "<=", 10.0, {"sqlite"}),
    "incremental_p95_ms": ("incremental recompute p95 (ms)", "<", 100.0, {"sqlite"}),
    "page_late_lines_s": ("late-lines page (s)", "<", 1.5, {"sqlite"}),
    "page_alert_inbox_s": ("alert inbox page (s)", "<", 1.5, {"sqlite"}),
    "page_ranking_s": ("manager ranking page (s)", "<", 1.5, {"sqlite"}),
    # 16 writers spread over processes as the replicas serve them (bench.run.default_writer_processes).
    "concurrent_post_p95_ms": ("report post p95, 16 writers (ms)", "<", 150.0, {"postgresql"}),
    # Not a target: the same 16 writers as threads of one process (its GIL serialises their Python).
    "one_process_post_p95_ms": ("  the same, all in one process (ms)", "<", 150.0, set()),
    # Not a target of the issue: the same writers pausing between posts as people do.
    "paced_post_p95_ms": ("  the same, 4 s think time (ms)", "<", 150.0, set()),
}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "date": dt.datetime.now().isoformat(timespec="seconds"),
    }


# --------------------------------------------------------------------------- databases


def _upgrade(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "portal", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


def pg_database(scale: str, suffix: str = "") -> str:
    """The PostgreSQL database of a scale's world: portal_bench_<scale>[_<suffix>]."""
    return f"portal_bench_{scale.lower()}" + (f"_{suffix}" if suffix else "")


def prepare(
    backend: str, scale: str, reuse: bool, pg_admin_url: str, pg_suffix: str = ""
) -> tuple[str, float | None]:
    """A database holding the scale world: (url, load seconds or None when reused)."""
    if backend == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"scale-{scale}.db"
        url = f"sqlite:///{path}"
        if reuse and path.exists():
            _upgrade(url)
            return url, None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = pg_database(scale, pg_suffix)
        admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if reuse and exists:
                admin.dispose()
                url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
                _upgrade(url)
                return url, None
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url}
    _upgrade(url)
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "portal",
            "demo",
            "load",
            "--scale",
            scale,
            "--as-of",
            AS_OF.isoformat(),
            "--no-sweep",
        ],
        cwd=ROOT,
        env=env,
        # The loader's progress (stderr) shows as it goes: an XL load takes a while.
        stdout=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise SystemExit(f"loading scale {scale} failed (its output is above)")
    return url, time.perf_counter() - started


def python_on(url: str, args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    """Run a fresh Python with ``args`` on the database at ``url``, its output captured; stop the bench
    with the end of its errors when it fails (``what`` says what failed)."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    return done


def _child(code: str, url: str, what: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python on ``url``; its last output line is JSON. Adds its own peak RSS."""
    code += (
        ";import resource; peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "print(json.dumps({**out, 'peak_kib': peak}))"
    )
    done = python_on(url, ["-c", code], what)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_sweep(url: str) -> dict[str, float]:
    """The full sweep in a child process: its wall time, the engine's step timings, its peak RSS."""
    result = _child(
        # Rows read: every bulk read goes through db.frames.read_frame, wrapped before anything imports it.
        "import datetime as dt, json, time; import db.frames as frames; read = frames.read_frame;"
        "rows = [0]; frames.read_frame = lambda *a, **k: "
        "(f := read(*a, **k), rows.__setitem__(0, rows[0] + len(f)))[0];"
        "from portal.bootstrap import open_configured_database;"
        "from portal.services.access import Actor; from portal.services.planning import sweep;"
        "db = open_configured_database(); t = time.perf_counter();"
        "cpu = time.process_time();"
        f"r = sweep(db, Actor.system('bench'), dt.date.fromisoformat('{AS_OF.isoformat()}'));"
        "out = {'seconds': time.perf_counter() - t, 'cpu_seconds': time.process_time() - cpu,"
        " 'timings': r.timings, 'rows_read': rows[0], 'rows_written': r.written}",
        url,
        "sweep",
    )
    return {
        "seconds": result["seconds"],
        # The sweep's own CPU: on a shared machine the wall time also counts the waits for a core.
        "cpu_seconds": result["cpu_seconds"],
        "peak_mib": result["peak_kib"] / 1024,
        "rows_read": result["rows_read"],
        "rows_written": result["rows_written"],
        **{f"step_{k}": v for k, v in result["timings"].items()},
    }


def refresh_scorecards(url: str, changed_only: bool = False) -> dict[str, float]:
    """``scorecards refresh`` (what the nightly job runs; ``changed_only``: what the scheduler runs after
    each sweep) in a child process: time, peak RSS, suppliers stored."""
    result = _child(
        "import json, time; from portal.bootstrap import open_configured_database;"
        "from portal.services.access import Actor; from portal.services.scorecards import refresh_scorecards;"
        "db = open_configured_database(); t = time.perf_counter();"
        f"info = refresh_scorecards(db, Actor.system('bench'), changed_only={changed_only});"
        "out = {'seconds': time.perf_counter() - t, 'rows': info.rows, 'suppliers': info.suppliers}",
        url,
        "scorecards refresh",
    )
    return {
        "seconds": result["seconds"],
        "rows": result["rows"],
        "suppliers": result["suppliers"],
        "peak_mib": result["peak_kib"] / 1024,
    }


def reference(url: str) -> dict[str, Any]:
    """The DuckDB reference over the same SQLite file."""
    from bench.reference import duckdb_forecasts
    from db.engine import open_database
    from db.models import Supplier
    from portal.services.calendars import load_calendars

    db = open_database(url)
    with db.read() as session:
        calendars = load_calendars(session)
        suppliers = np.array(session.scalars(select(Supplier.id)).all())
    db.dispose()
    started = time.perf_counter()
    path = make_url(url).database
    assert path is not None, f"not a SQLite file URL: {url}"
    result = duckdb_forecasts(path, AS_OF, calendars, suppliers, plan=True)
    return {
        "seconds": time.perf_counter() - started,
        "calendar_seconds": result.calendar_seconds,
        "query_seconds": result.query_seconds,
        "plan_seconds": result.plan_seconds,
        "lines": len(result.forecasts),
        "backorders": len(result.promises) if result.promises is not None else 0,
        "conditions": (
            dict(zip(result.conditions["rule"], result.conditions["n"].astype(int), strict=True))
            if result.conditions is not None
            else {}
        ),
    }


# --------------------------------------------------------------------------- writes


def _posting_targets(db: Any, count: int) -> list[tuple[int, Any]]:
    """(line id, actor of its supplier) for ``count`` in-production lines: every fifth of the lowest ids,
    which belong mostly to the biggest suppliers (at L the 50 posts reach 36 suppliers holding 43% of
    the lines: the ranking page's worst case after the posts)."""
    from db.models import PoLine, Supplier
    from portal.core.domain import Role
    from portal.services.access import Actor

    with db.read() as session:
        rows = session.execute(
            select(PoLine.id, PoLine.supplier_id, Supplier.code)
            .join(Supplier, Supplier.id == PoLine.supplier_id)
            .where(PoLine.status == "in_production")
            .order_by(PoLine.id)
            .limit(count * 5)
        ).all()
    picked = rows[:: max(1, len(rows) // count)][:count]
    return [
        (line_id, Actor(None, f"bench-{code}", Role.SUPPLIER, supplier_id))
        for line_id, supplier_id, code in picked
    ]


def _timing(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    """``fn``, appending the milliseconds each call takes to ``into`` (returned or raised)."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into.append((time.perf_counter() - started) * 1000)

    return timed


def incremental(url: str, posts: int = 200) -> dict[str, float]:
    """Post one report at a time; time the recompute inside each post, and the whole post."""
    from db.engine import open_database
    from portal.services import one_report, planning, production
    from portal.services.production import post_report

    db = open_database(url)
    recompute_ms: list[float] = []
    original = planning.recompute_affected
    # Every caller's name for it: the planning module's own, and the one production imported; a
    # single post recomputes through one_report's recompute_posted (its line alone).
    planning.recompute_affected = production.recompute_affected = _timing(original, recompute_ms)
    lean = one_report.recompute_posted
    one_report.recompute_posted = _timing(lean, recompute_ms)
    post_ms: list[float] = []
    cpu_ms: list[float] = []
    try:
        for line_id, actor in _posting_targets(db, posts):
            started, cpu = time.perf_counter(), time.process_time()
            post_report(
                db, actor, line_id, report_date=AS_OF, good_qty=50, confirm_correction=True, today=AS_OF
            )
            post_ms.append((time.perf_counter() - started) * 1000)
            # This process's CPU (one thread posting): what a post costs the machine, whatever the load.
            cpu_ms.append((time.process_time() - cpu) * 1000)
    finally:
        planning.recompute_affected = production.recompute_affected = original
        one_report.recompute_posted = lean
        db.dispose()
    return {
        "posts": len(post_ms),
        "recompute_p50_ms": percentile(recompute_ms, 50),
        "recompute_p95_ms": percentile(recompute_ms, 95),
        "post_p50_ms": percentile(post_ms, 50),
        "post_p95_ms": percentile(post_ms, 95),
        "post_cpu_p50_ms": percentile(cpu_ms, 50),
        "post_cpu_p95_ms": percentile(cpu_ms, 95),
    }


def default_writer_processes(writers: int = 16, cpus: int | None = None) -> int:
    """How many processes the bench spreads its writers over by default: one per core (at most one
    per writer).

    Why: in production a writer is a browser session or an API call, and both are served by a
    Streamlit replica (the API is mounted in Streamlit's server, README "The API"); the replicas sit
    behind a sticky load balancer (README "PostgreSQL in production", docs/scaling.md "Streamlit
    replicas with sticky sessions"). A replica's Python runs on one core at a time (the GIL), so a
    machine runs one replica per core: on this 2-core machine, 16 writers are 8 sessions in each
    of 2 replicas. One process holding all 16 (``--writer-processes 1``) measures its GIL instead.
    """
    return max(1, min(writers, cpus or os.cpu_count() or 1))


def _post_in_threads(
    url: str,
    chunks: list[list[tuple[int, Any]]],
    seeds: list[int],
    think_seconds: float,
    ready: Callable[[], Any],
) -> dict[str, Any]:
    """One writer thread per chunk in this process, on an engine of its own, all starting together once
    ``ready`` returns (the other processes' writers are ready too). What this process measured: each
    post's milliseconds, the failures' names, when its writers started and ended (``time.time``:
    comparable between processes) and the CPU this process used meanwhile (every thread's).

    First, unmeasured, the process posts each writer's first report once, one at a time: a replica
    serving posts has imported and run the post's code before (a fresh process spends its first posts
    on lazy imports and caches: 4 fresh processes took 10.1 ms of CPU a post where the warm bench
    process took 5.5), and the bench's own process did so in the posts one at a time before. The
    measured posts then correct those days, as every post of a bench run after the first does."""
    from db.engine import open_database
    from portal.services.production import post_report

    db = open_database(url, pool_size=len(chunks) + 4, max_overflow=0)
    for chunk in chunks:
        for line_id, actor in chunk[:1]:
            post_report(
                db, actor, line_id, report_date=AS_OF, good_qty=60, confirm_correction=True, today=AS_OF
            )
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(len(chunks) + 1)

    def writer(chunk: list[tuple[int, Any]], seed: int) -> None:
        pause = np.random.default_rng(seed)
        go.wait()
        for line_id, actor in chunk:
            if think_seconds:
                time.sleep(float(pause.exponential(think_seconds)))
            started = time.perf_counter()
            try:
                post_report(
                    db, actor, line_id, report_date=AS_OF, good_qty=60, confirm_correction=True, today=AS_OF
                )
            except Exception as exc:  # counted and reported, the benchmark goes on
                with lock:
                    failures.append(type(exc).__name__)
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [
        threading.Thread(target=writer, args=(chunk, seed)) for chunk, seed in zip(chunks, seeds, strict=True)
    ]
    for thread in threads:
        thread.start()
    ready()
    started, cpu = time.time(), time.process_time()
    go.wait()
    for thread in threads:
        thread.join()
    ended, cpu = time.time(), time.process_time() - cpu
    db.dispose()
    return {
        "latencies_ms": latencies,
        "failures": failures,
        "started": started,
        "ended": ended,
        "cpu_seconds": cpu,
    }


def _writer_process(
    url: str,
    chunks: list[list[tuple[int, Any]]],
    seeds: list[int],
    think_seconds: float,
    start: Any,
    results: Any,
) -> None:
    """A writer process (spawned): its writers post once every process's writers are ready, and its
    measures go back on ``results`` (an error's text when it failed)."""
    try:
        results.put(_post_in_threads(url, chunks, seeds, think_seconds, lambda: start.wait(timeout=600)))
    except BaseException as exc:  # the parent reports it; a hung parent would be worse
        start.abort()
        results.put({"error": f"{type(exc).__name__}: {exc}"})


def merge_writer_runs(parts: list[dict[str, Any]], writers: int, think_seconds: float) -> dict[str, float]:
    """The figures of writers spread over ``len(parts)`` processes (:func:`_post_in_threads`' results):
    percentiles over every post of every process, the throughput from the first process's start to
    the last one's end, and the writers' own CPU (every process's) per post."""
    latencies = [ms for part in parts for ms in part["latencies_ms"]]
    elapsed = max(p["ended"] for p in parts) - min(p["started"] for p in parts) if parts else 0.0
    posts = len(latencies)
    return {
        "writers": writers,
        "processes": len(parts),
        "posts": posts,
        "failures": sum(len(p["failures"]) for p in parts),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "posts_per_second": posts / elapsed if elapsed > 0 else float("nan"),
        "client_cpu_ms_per_post": 1000 * sum(p["cpu_seconds"] for p in parts) / posts
        if posts
        else float("nan"),
        "think_seconds": think_seconds,
    }


def concurrent_posts(
    url: str, writers: int = 16, each: int = 25, think_seconds: float = 0.0, processes: int = 1
) -> dict[str, float]:
    """``writers`` writers posting reports at once, ``each`` posts per writer, spread over
    ``processes`` processes (threads in each; 1: all of them threads of this process).

    With ``think_seconds`` 0 (closed loop) every writer posts again as soon as its post returns:
    the machine is saturated, and by Little's law the latency is writers / throughput. With a
    think time (exponential, that mean) writers pause between posts as people do (open loop).
    Writer ``i`` posts ``targets[i::writers]`` whatever the processes, and process ``k`` holds the
    writers ``k, k + processes, ...``; each process opens its own engine (spawned, not forked: no
    connection or lock is inherited) and the measures come back to :func:`merge_writer_runs`.
    """
    from db.engine import open_database

    db = open_database(url, pool_size=1, max_overflow=0)
    targets = _posting_targets(db, writers * each)
    db.dispose()
    chunks = [targets[i::writers] for i in range(writers)]
    processes = max(1, min(processes, writers))
    if processes == 1:
        parts = [_post_in_threads(url, chunks, list(range(writers)), think_seconds, lambda: None)]
        return merge_writer_runs(parts, writers, think_seconds)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results = context.Queue()
    children = [
        context.Process(
            target=_writer_process,
            args=(
                url,
                chunks[k::processes],
                list(range(k, writers, processes)),
                think_seconds,
                start,
                results,
            ),
            daemon=True,
        )
        for k in range(processes)
    ]
    for child in children:
        child.start()
    try:
        parts = [results.get(timeout=1800) for _ in children]
    finally:
        for child in children:
            child.join(timeout=60)
    errors = [p["error"] for p in parts if "error" in p]
    if errors:
        raise RuntimeError("a writer process failed: " + "; ".join(errors))
    return merge_writer_runs(parts, writers, think_seconds)


# --------------------------------------------------------------------------- reads


def page_world(url: str) -> tuple[Any, Any, Any]:
    """The database at ``url`` with Streamlit quiet outside a server, and its first buyer and manager:
    (db, buyer, manager), for timing pages in AppTest."""
    from streamlit import logger as streamlit_logger

    # Outside a server every cached call warns "No runtime found": expected here, and noise.
    streamlit_logger.set_log_level("error")
    logging.disable(logging.WARNING)

    from db.engine import open_database
    from db.models import User
    from portal.core.domain import Role
    from portal.services.auth import actor_for

    os.environ["DATABASE_URL"] = url
    db = open_database(url)
    with db.read() as session:
        buyer = actor_for(session.scalars(select(User).where(User.role == Role.BUYER).limit(1)).one())
        manager = actor_for(session.scalars(select(User).where(User.role == Role.MANAGER).limit(1)).one())
    return db, buyer, manager


def first_load(page: str, actor: Any) -> tuple[float, float, str | None]:
    """(wall s, CPU s, error or None) of ``page``'s first run in AppTest as ``actor``, caches empty."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from portal.ui.context import ACTOR_KEY

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.session_state[ACTOR_KEY] = actor
    at.run()
    at.switch_page(page)
    st.cache_data.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    at.run()
    spent = (time.perf_counter() - wall, time.process_time() - cpu)
    return (*spent, str(at.exception[0].message)[:200] if at.exception else None)


def pages(url: str, only_ranking: bool = False) -> dict[str, float | str]:
    """First-load server time of three pages in Streamlit's AppTest (caches empty), and exports
    (``only_ranking``: the ranking page alone, and how many suppliers it showed as stored)."""
    from portal.queries.exports import export_frame, to_csv_bytes
    from portal.services.access import Actor

    db, buyer, manager = page_world(url)
    out: dict[str, float | str] = {}
    measured = (
        ("page_late_lines_s", buyer, "portal/ui/views/buyer/late_lines.py"),
        ("page_alert_inbox_s", buyer, "portal/ui/views/buyer/alert_inbox.py"),
        ("page_ranking_s", manager, "portal/ui/views/manager/ranking.py"),
    )
    for key, actor, page in measured[2:] if only_ranking else measured:
        out[key], _, error = first_load(page, actor)
        if error is not None:
            out[f"{key}_error"] = error
    from portal.queries.scorecards import supplier_ranking

    # Suppliers the ranking showed with stored numbers (too many lines changed to compute live).
    out["ranking_stale_suppliers"] = float(supplier_ranking(db, manager).stale_suppliers)
    if only_ranking:
        db.dispose()
        return out
    system = Actor.system("bench")
    for kind in ("forecasts", "promises", "alerts"):
        started = time.perf_counter()
        data = to_csv_bytes(export_frame(db, system, kind))
        out[f"export_{kind}_s"] = time.perf_counter() - started
        out[f"export_{kind}_mib"] = len(data) / 2**20
    db.dispose()
    return out


# --------------------------------------------------------------------------- report


def _forget_statistics_inputs(url: str) -> None:
    """Supplier statistics of unknown inputs: the next sweep learns them again."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE supplier_stats SET inputs_fingerprint = NULL"))
    finally:
        engine.dispose()


def _analyze(url: str) -> None:
    """Fresh planner statistics on PostgreSQL, as autovacuum gives a production server a minute after a
    big write. This machine's server runs with autovacuum off: without this, the pages after the first
    sweep (which opens every alert) are planned on the statistics of a world without alerts (the
    late-lines page's alerts of 100 lines: a sequential scan, 106 ms at L, 5 ms after)."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def _swept(url: str) -> bool:
    """Whether the world has been swept once (forecasts stored): posts then meet a steady state."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM line_forecasts LIMIT 1")).first() is not None
    finally:
        engine.dispose()


def run_posts(
    backend: str, url: str, figures: dict[str, Any], writer_processes: int | None = None
) -> dict[str, Any]:
    """The post measures alone (``--only post``): one report at a time, then 16 writers (PostgreSQL),
    closed loop (in one process and spread over ``writer_processes``) and with think time."""
    if not _swept(url):
        run_sweep(url)
        _analyze(url)
    figures["incremental"] = incremental(url)
    inc = figures["incremental"]
    print(
        f"post CPU p50/p95 {inc['post_cpu_p50_ms']:.1f}/{inc['post_cpu_p95_ms']:.1f} ms, "
        f"wall p50/p95 {inc['post_p50_ms']:.1f}/{inc['post_p95_ms']:.1f} ms, load {os.getloadavg()}",
        flush=True,
    )
    if backend == "postgresql":
        _writers(url, figures, writer_processes)
    return figures


def _writers(url: str, figures: dict[str, Any], processes: int | None = None) -> None:
    """16 writers at once: closed loop as threads of one process, closed loop spread over ``processes``
    (default: :func:`default_writer_processes`), then spread likewise and pausing (4 s on average)
    between posts as people do."""
    processes = default_writer_processes(16) if processes is None else processes
    runs = [("concurrent_one_process", "16 writers closed loop, 1 process", 25, 0.0, 1)]
    if processes > 1:
        runs.append(("concurrent", f"16 writers closed loop, {processes} processes", 25, 0.0, processes))
    runs.append(("concurrent_paced", f"16 writers, 4 s think time, {processes} processes", 8, 4.0, processes))
    for name, label, each, think, spread in runs:
        figures[name] = run = concurrent_posts(url, each=each, think_seconds=think, processes=spread)
        print(
            f"{label}: p50/p95 {run['p50_ms']:.0f}/{run['p95_ms']:.0f} ms, "
            f"{run['posts_per_second']:.0f} posts/s, "
            f"writers' CPU {run['client_cpu_ms_per_post']:.1f} ms a post, {run['failures']:.0f} failed, "
            f"load {os.getloadavg()}",
            flush=True,
        )
    if processes == 1:
        figures["concurrent"] = figures["concurrent_one_process"]


def run_backend(
    backend: str,
    scale: str,
    reuse: bool,
    pg_admin_url: str,
    only: str = "all",
    pg_suffix: str = "",
    writer_processes: int | None = None,
) -> dict[str, Any]:
    print(f"\n== {backend}, scale {scale} ==", flush=True)
    url, load_seconds = prepare(backend, scale, reuse, pg_admin_url, pg_suffix)
    figures: dict[str, Any] = {"load_seconds": load_seconds, "load_average": os.getloadavg()}
    print(
        f"world ready ({'reused' if load_seconds is None else f'loaded in {load_seconds:.1f} s'})", flush=True
    )
    if only == "post":
        return run_posts(backend, url, figures, writer_processes)
    # The first sweep opens every alert in a new world; in a swept one (--reuse) it learns the supplier
    # statistics again, as the first sweep after any new receipt or report does. Then the steady
    # state: a sweep over a swept world, unchanged.
    _forget_statistics_inputs(url)
    first = run_sweep(url)
    _analyze(url)
    figures["sweep_learning"] = first
    print(
        f"first sweep (learns supplier statistics) {first['seconds']:.1f} s "
        f"({first['cpu_seconds']:.1f} s CPU), {first['rows_written']:,} written, "
        f"supplier_stats {first['step_supplier_stats']:.2f} s",
        flush=True,
    )
    sweep = run_sweep(url)
    figures["sweep"] = sweep
    print(
        f"sweep {sweep['seconds']:.1f} s ({sweep['cpu_seconds']:.1f} s CPU), "
        f"peak {sweep['peak_mib']:.0f} MiB, {sweep['rows_read']:,} rows read, "
        f"{sweep['rows_written']:,} written, load {os.getloadavg()}; steps: "
        + ", ".join(f"{k[5:]} {v:.2f}" for k, v in sweep.items() if k.startswith("step_")),
        flush=True,
    )
    if backend == "sqlite" and only != "curve":
        figures["reference"] = reference(url)
        figures["sweep_vs_reference"] = sweep["seconds"] / figures["reference"]["seconds"]
        print(f"DuckDB reference {figures['reference']['seconds']:.1f} s", flush=True)
    if only == "sweep":
        return figures
    if only == "curve":  # what the growth curve plots (bench.curve): the sweep, a post, the pages
        # The ranking reads the stored scorecards (the nightly job's), as in the full run.
        figures["scorecards"] = refresh_scorecards(url)
        print(
            f"scorecards refresh {figures['scorecards']['seconds']:.1f} s, "
            f"peak {figures['scorecards']['peak_mib']:.0f} MiB",
            flush=True,
        )
        figures["incremental"] = incremental(url, posts=50)
        print(f"post CPU p50 {figures['incremental']['post_cpu_p50_ms']:.0f} ms", flush=True)
        figures["pages"] = pages(url)
        print(
            "pages: "
            + ", ".join(f"{k} {v:.2f}" for k, v in figures["pages"].items() if isinstance(v, float)),
            flush=True,
        )
        # What the scheduler does after its next sweep: store the changed suppliers again; then the
        # ranking has none to compute live or to show as stored.
        figures["scorecards_changed"] = changed = refresh_scorecards(url, changed_only=True)
        figures["pages_caught_up"] = again = pages(url, only_ranking=True)
        print(
            f"scorecards refresh --changed-only: {changed['suppliers']:.0f} suppliers in "
            f"{changed['seconds']:.1f} s, peak {changed['peak_mib']:.0f} MiB; then the ranking page "
            f"{again['page_ranking_s']:.2f} s ({again['ranking_stale_suppliers']:.0f} shown as stored)",
            flush=True,
        )
        return figures
    figures["scorecards"] = refresh_scorecards(url)
    print(f"scorecards refresh {figures['scorecards']['seconds']:.1f} s", flush=True)
    figures["incremental"] = incremental(url)
    print(f"incremental p95 {figures['incremental']['recompute_p95_ms']:.0f} ms", flush=True)
    if backend == "postgresql":
        _writers(url, figures, writer_processes)
    figures["pages"] = pages(url)
    print(
        "pages: " + ", ".join(f"{k} {v:.2f}" for k, v in figures["pages"].items() if isinstance(v, float)),
        flush=True,
    )
    return figures


def verdicts(backend: str, f: dict[str, Any]) -> dict[str, float]:
    """The measured figures of the targets; a measure not run (``--only``) is left out."""
    values: dict[str, float] = {}
    if "incremental" in f:
        values |= {
            "incremental_p95_ms": f["incremental"]["recompute_p95_ms"],
            "post_cpu_p50_ms": f["incremental"]["post_cpu_p50_ms"],
        }
    if "sweep" in f:
        values |= {
            "sweep_seconds": f["sweep"]["seconds"],
            "sweep_cpu_seconds": f["sweep"]["cpu_seconds"],
            "sweep_peak_mib": f["sweep"]["peak_mib"],
        }
    if "pages" in f:
        values |= {k: f["pages"][k] for k in ("page_late_lines_s", "page_alert_inbox_s", "page_ranking_s")}
    if "sweep_vs_reference" in f:
        values["sweep_vs_reference"] = f["sweep_vs_reference"]
    if "concurrent" in f:
        values["concurrent_post_p95_ms"] = f["concurrent"]["p95_ms"]
    if "concurrent_one_process" in f:
        values["one_process_post_p95_ms"] = f["concurrent_one_process"]["p95_ms"]
    if "concurrent_paced" in f:
        values["paced_post_p95_ms"] = f["concurrent_paced"]["p95_ms"]
    return values


def table(results: dict[str, Any]) -> str:
    """Measures against targets: "ok" / "!!" where the issue sets the target for that backend."""
    lines = [f"{'measure':<40} {'target':>10} " + " ".join(f"{b:>12}" for b in results["backends"])]
    for key, (label, op, limit, applies) in TARGETS.items():
        cells = []
        for backend in results["backends"]:
            value = results["backends"][backend]["verdict"].get(key)
            if value is None:
                cells.append(f"{'-':>12}")
                continue
            ok = value < limit if op == "<" else value <= limit
            mark = ("ok" if ok else "!!") if backend in applies else "  "
            cells.append(f"{value:>9.2f} {mark}")
        lines.append(f"{label:<40} {op + ' ' + format(limit, 'g'):>10} " + " ".join(cells))
    lines.append("")
    for key, (label, op, limit, applies) in TARGETS.items():
        for backend in sorted(applies & set(results["backends"])):
            value = results["backends"][backend]["verdict"].get(key)
            if value is None:
                lines.append(f"{label.strip()} on {backend}: not measured")
                continue
            ok = value < limit if op == "<" else value <= limit
            verdict = "met" if ok else "MISSED"
            lines.append(f"{label.strip()} on {backend}: {value:,.2f} {op} {limit:g}? {verdict}")
            if not ok and key == "concurrent_post_p95_ms":
                lines.append("  " + closed_loop_cause(results["backends"][backend]["concurrent"], limit))
    return "\n".join(lines)


def closed_loop_cause(run: dict[str, float], limit_ms: float, cpus: int | None = None) -> str:
    """Why closed-loop writers miss a latency target, from their own figures: they never pause, so
    the machine is saturated and by Little's law the mean latency is writers / throughput; each post
    then costs cpus / throughput of core time (the portal's Python and the database together). With
    the writers' own CPU measured: how much of that core time was theirs, and how busy each writer
    process kept its one core (its Python runs on one core at a time: the GIL)."""
    cpus = cpus or os.cpu_count() or 1
    rate = run["posts_per_second"]
    needed = run["writers"] / (limit_ms / 1000)
    processes = int(run.get("processes", 1))
    where = f" in {processes} processes" if processes > 1 else ""
    cause = (
        f"cause: {run['writers']:.0f} writers{where} that never pause, {rate:.0f} posts/s on {cpus} cores = "
        f"{1000 * cpus / rate:.1f} ms of core time per post"
    )
    client = run.get("client_cpu_ms_per_post")
    if client is not None and client == client:  # measured (not NaN)
        busy = client * rate / 1000 / processes
        cause += f" ({client:.1f} ms of it the writers' Python, each process busy {busy:.0%} of a core)"
    return cause + (
        f"; a mean of {limit_ms:g} ms needs >= {needed:.0f} posts/s, "
        f"<= {1000 * cpus / needed:.1f} ms per post "
        "(and p95 more)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        default="L",
        choices=["S", "M", "L", "XL"],
        help="XL: PostgreSQL only (--backend postgresql)",
    )
    parser.add_argument(
        "--backend", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--reuse", action="store_true", help="reuse an already loaded world of that scale")
    parser.add_argument(
        "--only",
        choices=["all", "post", "sweep", "curve"],
        default="all",
        help="post: only the report-post measures; sweep: the steady-state sweep and the reference; "
        "curve: the sweep, 50 posts one at a time and the pages (what bench.curve plots)",
    )
    parser.add_argument(
        "--pg-db",
        default="",
        metavar="SUFFIX",
        help="on PostgreSQL use the database portal_bench_<scale>_SUFFIX (e.g. your own copy of a scale "
        "another run uses)",
    )
    parser.add_argument(
        "--writer-processes",
        type=int,
        default=None,
        metavar="P",
        help="spread the 16 writers over P processes (default: one per core, as one Streamlit replica per "
        "core serves them; see bench.run.default_writer_processes); the 1-process figure is measured too",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args(argv)
    if args.scale == "XL" and "sqlite" in args.backend:
        parser.error(
            "scale XL runs on PostgreSQL only (30 million reports in one SQLite file is not a setup "
            "the portal supports): add --backend postgresql"
        )
    # AppTest and the caches are used outside a running server here: keep Streamlit's log quiet.
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    results: dict[str, Any] = {"scale": args.scale, "only": args.only, "machine": machine(), "backends": {}}
    for backend in args.backend:
        figures = run_backend(
            backend, args.scale, args.reuse, args.pg, args.only, args.pg_db, args.writer_processes
        )
        figures["verdict"] = verdicts(backend, figures)
        results["backends"][backend] = figures
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{args.scale}-{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print("\n" + table(results))
    print(f"\nmachine: {results['machine']}\nJSON: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
