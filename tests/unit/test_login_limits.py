"""The login limiter: a sliding window per username and per client address, kept in memory."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.services import login_limits
from portal.services.login_limits import LoginLimiter, LoginLimits

T0 = dt.datetime(2026, 3, 6, 9, 0)


def test_the_window_slides_so_old_failures_stop_counting() -> None:
    limiter = LoginLimiter(LoginLimits(per_address=0, per_username=2, window=dt.timedelta(minutes=10)))
    assert limiter.try_acquire("bea", None, T0)
    assert limiter.try_acquire("bea", None, T0 + dt.timedelta(minutes=5))
    assert not limiter.try_acquire("bea", None, T0 + dt.timedelta(minutes=9))
    assert limiter.try_acquire("bea", None, T0 + dt.timedelta(minutes=10, seconds=1))
    assert not limiter.try_acquire("bea", None, T0 + dt.timedelta(minutes=11))


def test_a_refused_attempt_does_not_count_against_either_key() -> None:
    limiter = LoginLimiter(LoginLimits(per_address=2, per_username=1))
    assert limiter.try_acquire("ann", "203.0.113.9", T0)
    assert not limiter.try_acquire("ann", "203.0.113.9", T0)  # ann is at her limit
    assert limiter.try_acquire("bob", "203.0.113.9", T0)  # so the address still had one left
    assert not limiter.try_acquire("cid", "203.0.113.9", T0)


def test_a_connection_without_an_address_is_limited_by_username_only() -> None:
    limiter = LoginLimiter(LoginLimits(per_address=1, per_username=5))
    assert all(limiter.try_acquire(name, None, T0) for name in ("ann", "bob", "cid"))


def test_a_flood_of_made_up_usernames_does_not_grow_memory_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(login_limits, "_SWEEP_ABOVE", 100)
    limiter = LoginLimiter(LoginLimits(per_address=0, per_username=3, window=dt.timedelta(minutes=1)))
    for minute in range(10):
        for n in range(60):
            limiter.try_acquire(f"user-{minute}-{n}", None, T0 + dt.timedelta(minutes=minute))
    assert len(limiter._attempts) <= 160


def test_the_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_LOGIN_MAX_PER_ADDRESS", "100")
    monkeypatch.setenv("PORTAL_LOGIN_MAX_PER_USERNAME", "0")
    monkeypatch.setenv("PORTAL_LOGIN_WINDOW_MINUTES", "5")
    monkeypatch.setenv("PORTAL_LOGIN_REFUSAL_DELAY_MS", "250")
    assert LoginLimits.from_environment() == LoginLimits(
        100, 0, dt.timedelta(minutes=5), dt.timedelta(milliseconds=250)
    )
    monkeypatch.delenv("PORTAL_LOGIN_MAX_PER_ADDRESS")
    assert LoginLimits.from_environment().per_address == 30


def test_a_refused_attempt_is_held_as_long_as_the_refusal_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(login_limits.time, "sleep", slept.append)
    LoginLimiter(LoginLimits(refusal_delay=dt.timedelta(milliseconds=750))).pause_after_refusal()
    assert slept == [0.75]
