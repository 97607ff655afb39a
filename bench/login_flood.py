"""A login flood against a writer: `python -m bench.login_flood [--seconds 20] [--attackers 4]`.

On a temporary SQLite file with the demo world, one thread posts daily reports through the
production service (as a supplier does) while ``--attackers`` threads guess passwords through
:func:`portal.services.auth.authenticate` as fast as it answers, at the demo's real usernames and
at made-up ones. Threads in one process, like the Streamlit server, where every browser session's
script runs in a thread of the same process.

Three runs, each ``--seconds`` long: no attack (the baseline); the attackers from one address with
the login limits at their defaults, measured once the limits bite; and the limits off (a botnet,
an address per guess: every attempt costs an argon2 hash). Each prints the latency of a report
post (p50/p95/max), the wait for SQLite's write lock alone (an empty write transaction between
posts: what a login holding the lock would show), and the login attempts per second. Argon2 runs
at the portal's production cost unless PORTAL_ARGON2_* say otherwise.

Figures are measurements of this machine at this moment, not assertions: no test depends on them.
The target of issue 13: a write's p95 under 200 ms with 4 attackers on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bench.run import AS_OF, _posting_targets, percentile, python_on

TARGET_P95_MS = 200.0


def build_world(folder: Path) -> str:
    """A SQLite file holding the demo world as of the bench's date; returns its URL."""
    url = f"sqlite:///{folder / 'portal.db'}"
    python_on(url, ["-m", "portal", "demo", "load", "--as-of", AS_OF.isoformat()], "loading the demo world")
    return url


def flood(
    url: str,
    *,
    attackers: int,
    seconds: float,
    limits: Any,
    one_address: bool = False,
    max_warmup: float = 120.0,
) -> dict[str, float]:
    """Post reports for ``seconds`` while ``attackers`` threads guess; the figures of that run."""
    from db.engine import open_database
    from portal.core.domain import AuthenticationError
    from portal.services import auth
    from portal.services.login_limits import LoginLimiter
    from portal.services.production import post_report

    class CountingLimiter(LoginLimiter):
        refused = 0

        def try_acquire(self, username: str, address: str | None, now: Any) -> bool:
            allowed = super().try_acquire(username, address, now)
            CountingLimiter.refused += not allowed
            return allowed

    db = open_database(url)  # one engine shared by every thread, as the server's cached one is
    auth.LOGIN_LIMITER = CountingLimiter(limits)
    targets = _posting_targets(db, 20)
    stop = threading.Event()
    attempts = [0] * attackers
    usernames = ["supplier", "buyer", "manager", "admin", "nobody", "root", "test"]

    def attack(index: int) -> None:
        n = 0
        while not stop.is_set():
            address = "203.0.113.7" if one_address else f"198.51.{index}.{n % 250}"
            username = usernames[n % len(usernames)] if n % 3 else f"user{index}-{n}"
            with contextlib.suppress(AuthenticationError):
                auth.authenticate(db, username, f"guess-{index}-{n}", client_address=address)
            n += 1
            attempts[index] = n

    threads = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(attackers)]
    for thread in threads:
        thread.start()
    warmup_started = time.perf_counter()
    time.sleep(min(2.0, seconds / 5))  # let the flood get going before measuring
    while one_address and not CountingLimiter.refused and time.perf_counter() - warmup_started < max_warmup:
        time.sleep(0.5)  # measure the flood the limits have caught up with
    warmup = time.perf_counter() - warmup_started
    counted_from = list(attempts)
    started = time.perf_counter()
    post_ms: list[float] = []
    lock_ms: list[float] = []
    good = 10
    failed = 0
    while time.perf_counter() - started < seconds:
        line_id, actor = targets[len(post_ms) % len(targets)]
        good = good % 90 + 10  # a different figure each time: a correction really writes
        began = time.perf_counter()
        try:
            post_report(
                db, actor, line_id, report_date=AS_OF, good_qty=good, confirm_correction=True, today=AS_OF
            )
        except OperationalError:  # "database is locked" after the busy timeout: a lost write
            failed += 1
        post_ms.append((time.perf_counter() - began) * 1000)
        time.sleep(0.05)
        began = time.perf_counter()
        try:
            with db.write() as session:  # BEGIN IMMEDIATE: waits for the write lock, writes nothing
                session.execute(text("SELECT 1"))
                session.commit()
        except OperationalError:
            failed += 1
        lock_ms.append((time.perf_counter() - began) * 1000)
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    made = sum(attempts) - sum(counted_from)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    db.dispose()
    return {
        "warmup_s": warmup,
        "writes": len(post_ms),
        "post_p50_ms": percentile(post_ms, 50),
        "post_p95_ms": percentile(post_ms, 95),
        "post_max_ms": max(post_ms),
        "lock_p50_ms": percentile(lock_ms, 50),
        "lock_p95_ms": percentile(lock_ms, 95),
        "lock_max_ms": max(lock_ms),
        "attempts_per_s": made / elapsed,
        "refused": CountingLimiter.refused,
        "failed": failed,
    }


def main(argv: list[str] | None = None) -> int:
    """Build the world, run the three floods, print a table."""
    from portal.services.login_limits import LoginLimits

    parser = argparse.ArgumentParser(prog="python -m bench.login_flood", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run (default 20)")
    parser.add_argument("--attackers", type=int, default=4, help="guessing threads (default 4)")
    args = parser.parse_args(argv)
    defaults = LoginLimits.from_environment()
    off = LoginLimits(per_address=0, per_username=0)
    runs = [
        ("no attack", 0, defaults, False),
        (f"{args.attackers} attackers, one address, limits on", args.attackers, defaults, True),
        (f"{args.attackers} attackers, limits off (botnet)", args.attackers, off, False),
    ]
    with tempfile.TemporaryDirectory(prefix="login-flood-") as folder:
        print("Loading the demo world...", flush=True)
        url = build_world(Path(folder))
        print(
            f"\n{'':<40} {'':>6} {'report post (ms)':^26} {'write-lock wait (ms)':^26}\n"
            f"{'run':<40} {'writes':>6} {'p50':>8} {'p95':>8} {'max':>8} {'p50':>8} {'p95':>8} {'max':>8}"
            f" {'attempts/s':>11} {'refused':>8} {'failed':>6}",
            flush=True,
        )
        worst = 0.0
        for name, attackers, limits, one_address in runs:
            f = flood(url, attackers=attackers, seconds=args.seconds, limits=limits, one_address=one_address)
            worst = max(worst, f["post_p95_ms"]) if attackers else worst
            print(
                f"{name:<40} {f['writes']:>6} {f['post_p50_ms']:>8.1f} {f['post_p95_ms']:>8.1f} "
                f"{f['post_max_ms']:>8.1f} {f['lock_p50_ms']:>8.1f} {f['lock_p95_ms']:>8.1f} "
                f"{f['lock_max_ms']:>8.1f} {f['attempts_per_s']:>11.1f} {f['refused']:>8} {f['failed']:>6}"
                + (f"   (after {f['warmup_s']:.0f} s of flood)" if attackers else ""),
                flush=True,
            )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nMachine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) at the end.")
    verdict = "met" if worst < TARGET_P95_MS else "NOT met"
    print(
        f"Target: report post p95 < {TARGET_P95_MS:.0f} ms under the flood: {verdict} (worst {worst:.1f} ms)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
