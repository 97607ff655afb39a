"""What every page needs: the database, the logged-in actor, calling services, and caches.

Caching lives only here, in the UI layer: query results are cached per actor with a
short ttl, and every successful write clears them so the next render shows the change.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import streamlit as st

from db.engine import Database
from portal.bootstrap import open_configured_database
from portal.config import load_config
from portal.core.domain import PortalError
from portal.i18n import _
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
    return value  # type: ignore[return-value]


def call(fn: Callable[..., T], *args: Any, success: str | None = None, **kwargs: Any) -> T | None:
    """Call a service for the current actor; show its refusal as an error, and success as a toast.

    Writes clear the cached queries so every table shows the new state.
    """
    try:
        result = fn(get_db(), actor(), *args, **kwargs)
    except PortalError as exc:
        st.error(plain(exc))
        return None
    st.cache_data.clear()
    if success:
        st.toast(plain(success), icon=":material/check_circle:")
    return result


def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a query for the current actor, cached for a minute per actor and arguments."""
    return _cached_read(
        load_config().database_url,
        fn.__module__ + "." + fn.__qualname__,
        fn,
        actor(),
        args,
        tuple(sorted(kwargs.items())),
    )


@st.cache_data(ttl=60, show_spinner=False, max_entries=500)
def _cached_read(url: str, name: str, _fn: Callable[..., Any], who: Actor, args: tuple, kwargs: tuple) -> Any:
    return _fn(_open(url), who, *args, **dict(kwargs))


def today() -> dt.date:
    """The logged-in user's today: a supplier's local date in its time zone (staff: the UTC date).

    Not cached: a page open across midnight in Shanghai must move on to the new day.
    """
    from portal.queries.lines import my_today

    return my_today(get_db(), actor())
