"""portal.i18n: the language of a request, where a thread without one finds it, Babel formats."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from portal import i18n
from portal.i18n import _, current_language, format_day, format_utc, language, ngettext, set_language


@pytest.fixture(autouse=True)
def no_fallback() -> Iterator[None]:
    yield
    i18n.set_language_fallback(None)


def _in_a_new_thread() -> str:
    """current_language() as a new thread sees it (a Streamlit fragment reruns on one)."""
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(current_language()))
    thread.start()
    thread.join()
    return seen[0]


def test_a_new_thread_without_a_language_asks_the_fallback_else_uses_english() -> None:
    assert _in_a_new_thread() == "en"
    i18n.set_language_fallback(lambda: "zh_Hans")
    assert _in_a_new_thread() == "zh_Hans"
    i18n.set_language_fallback(lambda: "xx")  # no catalog: English
    assert _in_a_new_thread() == "en"


def test_a_language_set_in_the_context_wins_over_the_fallback() -> None:
    i18n.set_language_fallback(lambda: "vi")
    with language("de"):
        assert current_language() == "de"
        assert _("Log out") == "Abmelden"
    with language(None):  # explicitly the default, e.g. an e-mail to an address with no user
        assert current_language() == "en"


def test_set_language_refuses_nothing_but_falls_back_to_english_for_an_unknown_code() -> None:
    def run() -> str:
        set_language("fr")
        return current_language()

    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(run()))
    thread.start()
    thread.join()
    assert seen == ["en"]


def test_plurals_and_dates_follow_the_language() -> None:
    with language("en"):
        assert ngettext("Post {n} line", "Post {n} lines", 2).format(n=2) == "Post 2 lines"
        assert format_day(dt.date(2026, 3, 12)) == "Thu, Mar 12, 2026"
    with language("de"):
        assert format_day(dt.date(2026, 3, 12)) == "Do., 12. März 2026"


def test_a_stored_utc_time_reads_as_the_language_writes_a_date_and_time_with_utc() -> None:
    stored = dt.datetime(2026, 3, 12, 14, 5)
    with language("en"):
        assert format_utc(stored) == "Mar 12, 2026, 14:05 UTC"
        assert format_utc(None) == ""
    with language("de"):
        assert format_utc(stored) == "12.03.2026, 14:05 UTC"
    with language("zh_Hans"):
        assert format_utc(stored) == "2026年3月12日 14:05 UTC"


def test_an_aware_time_is_shown_in_utc() -> None:
    berlin_summer = dt.timezone(dt.timedelta(hours=2))
    with language("en"):
        assert format_utc(dt.datetime(2026, 7, 1, 9, 30, tzinfo=berlin_summer)) == "Jul 1, 2026, 07:30 UTC"
