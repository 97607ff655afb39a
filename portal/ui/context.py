"""What every page needs: the database, the logged-in actor, calling services, and caches.

Caching lives only here, in the UI layer: query results are cached per actor with a
short ttl, and a successful write makes the reads it can change miss the cache, so the next
render shows the change. Not every read: a supplier's post changes its own supplier's lines and
what the staff see, never another supplier's pages; a staff write (an import, a setting, a
reply) can touch anyone's, so it renews them all.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import streamlit as st

from db.engine import Database
from portal.bootstrap import open_configured_database
from portal.config import load_config
from portal.core.domain import PortalError
from portal.i18n import _, current_language
from portal.services.access import Actor
from portal.ui.text import plain

T = TypeVar("T")
ACTOR_KEY = "auth.actor"
log = logging.getLogger("portal.ui")


def get_db() -> Database:
    """The configured database (migrated on first use when it is the embedded SQLite)."""
    return _open(load_config().database_url)


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Database:
    # Keyed by URL: one engine (and pool) per database per process.
    return open_configured_database(replace(load_config(), database_url=url))


def current_actor() -> Actor | None:
    value = st.session_state.get(ACTOR_KEY)
    return value if isinstance(value, Actor) else None


def actor() -> Actor:
    """The logged-in actor; stops the page when nobody is logged in."""
    value = current_actor()
    if value is None:
        st.warning(_("Please log in."))
        st.stop()
    return value


def call(
    fn: Callable[..., T], *args: Any, success: str | None = None, renews: bool = True, **kwargs: Any
) -> T | None:
    """Call a service for the current actor; show its refusal as an error, and success as a toast.

    A write renews the cached reads it can change (:func:`wrote`), so every table shows the new state;
    ``renews=False`` for a write no cached read shows (e.g. when a user last looked at its alerts).
    """
    who = actor()
    try:
        result = fn(get_db(), who, *args, **kwargs)
    except PortalError as exc:
        st.error(plain(exc))
        return None
    if renews and not kwargs.get("dry_run"):  # a dry run (a file's preview) writes nothing
        wrote(who)
    if success:
        st.toast(plain(success), icon=":material/check_circle:")
    return result


#: How often each scope was written to in this process: a cached read is keyed by the counts of
#: the scopes it can see, so a write to one of them makes it miss (the stale entry ages out with
#: the ttl). Shared by every browser session of the process, like the cache itself.
_writes: Counter[tuple[str, int | None]] = Counter()
_writes_lock = threading.Lock()
EVERYONE = ("everyone", None)
STAFF = ("staff", None)


def _own_scope(who: Actor) -> tuple[str, int | None]:
    """What ``who`` reads: its supplier's lines (a supplier user), else every supplier's (the staff)."""
    return ("supplier", who.supplier_id) if who.supplier_id is not None else STAFF


def wrote(who: Actor) -> None:
    """Renew the cached reads a write by ``who`` can change: a supplier user's write changes its own
    supplier's pages (all its users') and the staff's; a staff write may touch anyone's."""
    with _writes_lock:
        if who.supplier_id is not None:
            _writes[_own_scope(who)] += 1
            _writes[STAFF] += 1
        else:
            _writes[EVERYONE] += 1


def refresh() -> None:
    """Renew the current user's cached reads: someone else wrote (e.g. a schedule saved meanwhile)."""
    with _writes_lock:
        _writes[_own_scope(actor())] += 1


def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a query for the current actor, cached for a minute per actor, language and arguments,
    until a write changes what it shows (:func:`wrote`). The language is part of the key: some reads
    give words (the notification settings' problems), and the actor does not say the language when
    it follows the browser's."""
    who = actor()
    with _writes_lock:
        version = (_writes[EVERYONE], _writes[_own_scope(who)])
    return _cached_read(
        load_config().database_url,
        fn.__module__ + "." + fn.__qualname__,
        fn,
        who,
        current_language(),
        version,
        args,
        tuple(sorted(kwargs.items())),
    )


@st.cache_data(ttl=60, show_spinner=False, max_entries=500)
def _cached_read(
    url: str,
    name: str,
    _fn: Callable[..., Any],
    who: Actor,
    language: str,
    version: tuple[int, ...],
    args: tuple,
    kwargs: tuple,
) -> Any:
    # ``language`` and ``version`` are only part of the key: the language the words are in (set for
    # this thread already), and the write counts this entry was computed under.
    return _fn(_open(url), who, *args, **dict(kwargs))


def today() -> dt.date:
    """The logged-in user's today: a supplier's local date in its time zone (staff: the UTC date).

    Not cached: a page open across midnight in Shanghai must move on to the new day.
    """
    from portal.queries.lines import my_today

    return my_today(get_db(), actor())
