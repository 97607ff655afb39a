"""Languages: gettext catalogs (managed with Babel) and the language of the current request.

Every user-facing text is written in English in the code and marked for translation:

    from portal.i18n import _, N_, ngettext

    st.header(_("Daily output"))
    st.caption(ngettext("{n} line", "{n} lines", n).format(n=n))
    LABELS = {"open": N_("Open")}  # marked where defined, translated where shown: _(LABELS[k])

The language is per request, not per process: the Streamlit app sets it at the start of every
script run from the logged-in user's choice (or the browser's Accept-Language on the login page),
and `_()` reads it from a context variable, so two users on one server each see their own.
The catalogs live in `portal/locale/<language>/LC_MESSAGES/messages.po`, compiled to `.mo` next
to them (committed, as Django projects do; a test checks each `.mo` matches its `.po`).

    pybabel extract -F babel.cfg -o portal/locale/messages.pot .
    pybabel update -i portal/locale/messages.pot -d portal/locale
    pybabel compile -d portal/locale
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gettext as _gettext
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
#: The languages with a complete catalog, by code (Babel locale identifier), in their own words.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "tr": "Türkçe",
    "vi": "Tiếng Việt",
    "zh_Hans": "简体中文",
}

#: Set by set_language / language(); None: not set in this thread's context.
_language: ContextVar[str | None] = ContextVar("portal_language", default=None)
#: Where a thread whose context has no language finds one (the UI: the browser session's choice).
_fallback: Callable[[], str | None] | None = None


class UnknownLanguage(ValueError):
    """A language code with no catalog."""


def check_language(code: str) -> str:
    """The code if the portal has a catalog for it; else UnknownLanguage naming the choices."""
    if code not in LANGUAGES:
        choices = ", ".join(f"{key} ({name})" for key, name in LANGUAGES.items())
        raise UnknownLanguage(f"language {code!r} has no translation; choose one of {choices}")
    return code


def current_language() -> str:
    """The language of the current request: set_language's, else the fallback's, else English.

    The fallback matters in Streamlit: a fragment reruns on a new thread without the full script,
    so the language set at the start of the last full run is not in that thread's context.
    """
    code = _language.get()
    if code is None and _fallback is not None:
        code = _fallback()
    return code if code is not None and code in LANGUAGES else DEFAULT_LANGUAGE


def set_language_fallback(fallback: Callable[[], str | None] | None) -> None:
    """Where to find the language when none is set in the current context (None: English)."""
    global _fallback
    _fallback = fallback


def set_language(code: str | None) -> None:
    """Use this language for the rest of the current request (thread/context); None: the default."""
    _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)


@contextlib.contextmanager
def language(code: str | None) -> Iterator[None]:
    """Use a language inside a block (an e-mail to a supplier in its user's language, a test)."""
    token = _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


@cache
def _translations(code: str) -> _gettext.NullTranslations:
    if code == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True)


def gettext(message: str) -> str:
    """The message in the current language (the English text when the catalog lacks it)."""
    return _translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for n, in the current language."""
    return _translations(current_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message whose English is ambiguous, told apart by a context ("verb", "column", ...)."""
    return _translations(current_language()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a text for extraction without translating it yet (module-level labels, enums' names)."""
    return message


_ = gettext


def babel_locale(code: str | None = None) -> str:
    """The Babel/CLDR locale identifier for a language code (zh_Hans → zh_Hans_CN formats)."""
    code = code or current_language()
    return {"zh_Hans": "zh_Hans_CN"}.get(code, code)


def format_date(value: dt.date | None, fmt: str = "medium") -> str:
    """A date as the current language writes it (Babel): 2 Dec 2026, 02.12.2026, 2026年12月2日."""
    from babel.dates import format_date as babel_format_date

    if value is None:
        return ""
    return babel_format_date(value, format=fmt, locale=babel_locale())


def message_date(value: dt.date) -> str:
    """A date inside a message: ISO in English, as English messages and the API's clients have always
    read it (2026-12-02); the current language's own way otherwise (02.12.2026, 2026年12月2日). A
    datetime (a pandas Timestamp too) is written as its day."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat() if current_language() == DEFAULT_LANGUAGE else format_date(value)


def format_day(value: dt.date | None) -> str:
    """A day with its weekday, as the current language writes it: Wed, Dec 2, 2026 / Mi., 2. Dez. 2026."""
    from babel.dates import format_skeleton

    if value is None:
        return ""
    return format_skeleton("yMMMEd", value, locale=babel_locale())


def format_utc(value: dt.datetime | None) -> str:
    """A stored UTC time as the current language writes a date and time: Mar 12, 2026, 14:05 UTC.

    The date is format_date's, the time 24-hour with "UTC" beside it (stored times are UTC and the
    reader may sit anywhere), joined in the language's order: 12.03.2026, 14:05 UTC / 14:05 UTC 12 thg 3...
    A naive value is taken as UTC; an aware one is converted to UTC first.
    """
    from babel import Locale
    from babel.dates import format_skeleton

    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    time = format_skeleton("Hm", value, locale=babel_locale()) + " UTC"
    joined = Locale.parse(babel_locale()).datetime_formats["medium"]
    return str(joined).format(time, format_date(value.date()))


def format_number(value: float | int | None, digits: int = 0) -> str:
    """A number with the current language's separators (Babel): 1,234.5 / 1.234,5."""
    from babel.numbers import format_decimal

    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale())


def format_percent(value: float | None, digits: int = 0) -> str:
    """A share (0.934) as a percentage in the current language (Babel): 93%, 93 %, %93."""
    from babel import Locale
    from babel.numbers import format_percent as babel_format_percent

    if value is None:
        return ""
    pattern = Locale.parse(babel_locale()).percent_formats[None].pattern
    if digits:  # "#,##0 %" → "#,##0.0 %": the fraction goes after the last integer digit
        last = pattern.rindex("0") + 1
        pattern = pattern[:last] + "." + "0" * digits + pattern[last:]
    return babel_format_percent(value, format=pattern, locale=babel_locale())


def choose_language(
    user_language: str | None, accept_language: str | None, browser_locale: str | None = None
) -> str:
    """The language of a request: the user's own choice, else the browser's (its Accept-Language
    header, else its navigator.language), else English."""
    if user_language is not None and user_language in LANGUAGES:
        return user_language
    if accept_language:
        return negotiate(accept_language)
    return negotiate(browser_locale)


def negotiate(accept_language: str | None) -> str:
    """The best language for a browser's Accept-Language header (the default when none fits)."""
    from babel import Locale

    if not accept_language:
        return DEFAULT_LANGUAGE
    wanted = []
    for part in accept_language.split(","):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*":
            wanted.append((quality, tag.replace("-", "_")))
    wanted.sort(key=lambda pair: -pair[0])
    for _quality, tag in wanted:
        try:
            parsed = Locale.parse(tag)
        except (ValueError, TypeError, LookupError):
            continue
        if parsed.language == "zh":
            # Simplified Chinese unless the browser asks for Traditional (zh-TW, zh-HK, zh-Hant).
            if parsed.script == "Hant" or (parsed.territory in {"TW", "HK", "MO"} and not parsed.script):
                continue
            return "zh_Hans"
        if parsed.language in LANGUAGES:
            return parsed.language
    return DEFAULT_LANGUAGE
