"""A supplier's own day: its IANA time zone, and "today" as its local date.

A factory in Shanghai starts its Tuesday while Europe is still on Monday evening: everything that
means "today" for a supplier (the day it posts for, the latest day it may post, stale updates,
reminders, responsiveness) is the local date in its time zone, never the server's date.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd

#: The default zone of a supplier from its country (ISO code): the demo countries and the common
#: sourcing ones. A country with several zones gets its main manufacturing one; others get UTC.
COUNTRY_ZONES: dict[str, str] = {
    "BD": "Asia/Dhaka",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "CN": "Asia/Shanghai",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "HK": "Asia/Hong_Kong",
    "ID": "Asia/Jakarta",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KH": "Asia/Phnom_Penh",
    "KR": "Asia/Seoul",
    "MA": "Africa/Casablanca",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NL": "Europe/Amsterdam",
    "PK": "Asia/Karachi",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "TH": "Asia/Bangkok",
    "TR": "Europe/Istanbul",
    "TW": "Asia/Taipei",
    "US": "America/Chicago",
    "VN": "Asia/Ho_Chi_Minh",
}
DEFAULT_ZONE = "UTC"


class HasTimezone(Protocol):
    """Anything with a ``timezone`` attribute (a Supplier row, a frame row)."""

    timezone: str | None


def default_timezone(country: str | None) -> str:
    """The zone a supplier of ``country`` gets unless an admin sets another (UTC when unknown)."""
    return COUNTRY_ZONES.get((country or "").strip().upper(), DEFAULT_ZONE)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str | None) -> bool:
    """Whether ``name`` is an IANA time zone name this system knows ("Asia/Shanghai", "UTC")."""
    if not name or name != name.strip() or name not in _known_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_timezone(name: str | None) -> str:
    """``name`` itself when it is an IANA time zone, else ValueError with a sentence a person can act on."""
    value = (name or "").strip()
    if not is_timezone(value):
        raise ValueError(f"'{value}' is not an IANA time zone (like Asia/Shanghai, Europe/Berlin or UTC)")
    return value


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def utc_now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def _aware(now: dt.datetime | None) -> dt.datetime:
    """``now`` as an aware instant: naive values are UTC (what the database stores)."""
    if now is None:
        return utc_now()
    return now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)


def zone_of(supplier: HasTimezone | str | None) -> str:
    """The zone name of a supplier (or a zone name given as is); unknown or empty: UTC."""
    name = supplier if isinstance(supplier, str) or supplier is None else supplier.timezone
    return name if name and is_timezone(name) else DEFAULT_ZONE


def local_time(supplier: HasTimezone | str | None, now: dt.datetime | None = None) -> dt.datetime:
    """``now`` (default: this instant) on the supplier's wall clock, aware."""
    return _aware(now).astimezone(_zone(zone_of(supplier)))


def supplier_today(supplier: HasTimezone | str | None, now: dt.datetime | None = None) -> dt.date:
    """The supplier's "today": the local date in its time zone at ``now`` (default: this instant)."""
    return local_time(supplier, now).date()


def local_dates(utc_times: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive UTC timestamps as each row's local date (midnight datetime64), in that row's zone."""
    out = pd.Series(pd.NaT, index=utc_times.index, dtype="datetime64[ns]")
    times = pd.to_datetime(utc_times, errors="coerce")
    if times.empty:
        return out
    # Each distinct zone checked once (a scorecard's millions of events name a few dozen zones).
    codes, given = pd.factorize(zones.fillna(DEFAULT_ZONE).astype(str), use_na_sentinel=False)
    names = np.asarray([zone_of(name) for name in given], dtype=object)[codes]
    for name in pd.unique(names):
        mask = names == name
        local = times[mask].dt.tz_localize("UTC").dt.tz_convert(name).dt.tz_localize(None)
        out.loc[mask] = local.dt.normalize().to_numpy()
    return out


__all__ = [
    "COUNTRY_ZONES",
    "DEFAULT_ZONE",
    "check_timezone",
    "default_timezone",
    "is_timezone",
    "local_dates",
    "local_time",
    "supplier_today",
    "utc_now",
    "zone_of",
]
