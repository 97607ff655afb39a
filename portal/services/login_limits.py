"""How many failed logins a client address and a username may have in a sliding window.

The lockout (five failures in a row lock an account) protects one known account's password.
These limits protect the rest: guessing spread over many usernames from one address, guesses
at usernames that do not exist (no row to count them in), and the server's CPU (every attempt
costs an argon2 hash). An attempt over a limit is refused like a wrong password, before any
hash is computed and without touching the database, after a pause (``refusal_delay``, about what
a hash takes): the refusal comes no faster than a real answer, and a flood that has hit the limit
sleeps instead of spinning through refusals on the CPU.

The counts live in this process, not in the database: a limited attempt then costs no write
(on SQLite every write takes the database's only write lock, which is what a flood must not
hold), and what the limit protects, the CPU of this process, is per process too. With several
replicas an attacker gets each replica's allowance; the per-account lockout, kept in the
database, still holds across all of them.

Limits (environment, read at start): ``PORTAL_LOGIN_MAX_PER_ADDRESS`` (default 30),
``PORTAL_LOGIN_MAX_PER_USERNAME`` (default 10), ``PORTAL_LOGIN_WINDOW_MINUTES`` (default 15);
0 turns a limit off; ``PORTAL_LOGIN_REFUSAL_DELAY_MS`` (default 1000). The address is the one
Streamlit reports (``st.context.ip_address``): behind a reverse proxy, have the proxy set
X-Forwarded-For and list it in uvicorn's ``FORWARDED_ALLOW_IPS`` (127.0.0.1 by default), else
every user shares the proxy's address.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import deque
from dataclasses import dataclass

#: Forget idle keys once this many are tracked (a flood of made-up usernames must not grow memory).
_SWEEP_ABOVE = 10_000


@dataclass(frozen=True)
class LoginLimits:
    """Failed attempts allowed per client address and per username within ``window``; 0: no limit.
    A refused attempt is answered after ``refusal_delay``."""

    per_address: int = 30
    per_username: int = 10
    window: dt.timedelta = dt.timedelta(minutes=15)
    refusal_delay: dt.timedelta = dt.timedelta(seconds=1)

    @classmethod
    def from_environment(cls) -> LoginLimits:
        """The limits set in the environment, else the defaults."""
        defaults = cls()
        return cls(
            per_address=int(os.environ.get("PORTAL_LOGIN_MAX_PER_ADDRESS", defaults.per_address)),
            per_username=int(os.environ.get("PORTAL_LOGIN_MAX_PER_USERNAME", defaults.per_username)),
            window=dt.timedelta(
                minutes=float(
                    os.environ.get("PORTAL_LOGIN_WINDOW_MINUTES", defaults.window.total_seconds() / 60)
                )
            ),
            refusal_delay=dt.timedelta(
                milliseconds=float(
                    os.environ.get(
                        "PORTAL_LOGIN_REFUSAL_DELAY_MS", defaults.refusal_delay.total_seconds() * 1000
                    )
                )
            ),
        )


class LoginLimiter:
    """Counts failed login attempts per key in a sliding window; safe to share between threads."""

    def __init__(self, limits: LoginLimits | None = None) -> None:
        self.limits = limits or LoginLimits.from_environment()
        self._lock = threading.Lock()
        self._attempts: dict[str, deque[dt.datetime]] = {}

    def _keys(self, username: str, address: str | None) -> list[tuple[str, int]]:
        keys = [(f"user:{username}", self.limits.per_username)]
        if address:  # Streamlit reports no address for a local connection
            keys.append((f"addr:{address}", self.limits.per_address))
        return [(key, limit) for key, limit in keys if limit > 0]

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        times = self._attempts.setdefault(key, deque())
        while times and times[0] <= now - self.limits.window:
            times.popleft()
        return times

    def try_acquire(self, username: str, address: str | None, now: dt.datetime) -> bool:
        """Count one attempt against the username and the address; False (nothing counted) when either
        is at its limit. The caller gives it back with :meth:`release` when the login succeeds."""
        with self._lock:
            keys = self._keys(username, address)
            if any(len(self._recent(key, now)) >= limit for key, limit in keys):
                return False
            for key, _limit in keys:
                self._attempts[key].append(now)
            if len(self._attempts) > _SWEEP_ABOVE:
                self._forget_idle(now)
            return True

    def pause_after_refusal(self) -> None:
        """Hold a refused attempt as long as a real answer would take (the calling thread sleeps)."""
        time.sleep(self.limits.refusal_delay.total_seconds())

    def release(self, username: str, address: str | None, now: dt.datetime) -> None:
        """Give back an attempt that turned out to be a successful login: only failures count."""
        with self._lock:
            for key, _limit in self._keys(username, address):
                times = self._attempts.get(key)
                if times:
                    times.pop()

    def reset(self) -> None:
        """Forget every count (tests; an admin lifting a lock does not need it: counts expire)."""
        with self._lock:
            self._attempts.clear()

    def _forget_idle(self, now: dt.datetime) -> None:
        for key in list(self._attempts):
            if not self._recent(key, now):
                del self._attempts[key]
