"""The app's entry point: who is logged in decides which pages exist (st.navigation, built per role)."""

from __future__ import annotations

import streamlit as st

from portal.core.domain import Role
from portal.i18n import N_, _, choose_language, set_language, set_language_fallback
from portal.services.access import Actor
from portal.services.sessions import COOKIE_NAME
from portal.ui.context import ACTOR_KEY, current_actor
from portal.ui.text import plain

VIEWS = "portal/ui/views"
#: The page a reminder's posting link opens without a login (portal.services.posting_links.PAGE_PATH).
POSTING_PATH = "post_output"

#: On a phone a page title of one long word ("Lieferantenrangliste", "Tedarikçi sıralaması") at
#: Streamlit's 2.75rem broke mid-word: titles are smaller below 640 px, and break between syllables
#: where the browser knows the language's hyphenation.
PHONE_STYLE = (
    "<style>@media (max-width: 640px) {"
    " [data-testid='stHeading'] h1 { font-size: 1.75rem; hyphens: auto; overflow-wrap: anywhere; }"
    " }</style>"
)


def _page(path: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(f"{VIEWS}/{path}", title=_(title), icon=icon, default=default)


#: Each role's menu: its section's title and its pages (file below views/, title, icon), home first.
MENUS: dict[Role, tuple[str, list[tuple[str, str, str]]]] = {
    Role.SUPPLIER: (
        # Translators: menu section of a supplier's pages.
        N_("Production"),
        [
            ("supplier/my_lines.py", N_("My lines"), ":material/factory:"),
            ("supplier/daily_output.py", N_("Daily output"), ":material/edit_note:"),
            ("supplier/schedule.py", N_("Schedules"), ":material/event:"),
            ("supplier/alerts.py", N_("Alerts and messages"), ":material/notifications:"),
            # The buyer's page, scoped to the supplier's own lines: the same story, changes included.
            ("buyer/line_detail.py", N_("Line detail"), ":material/timeline:"),
            ("supplier/scorecard.py", N_("My scorecard"), ":material/star:"),
        ],
    ),
    Role.BUYER: (
        N_("Purchasing"),
        [
            ("buyer/alert_inbox.py", N_("Alert inbox"), ":material/notifications:"),
            ("buyer/late_lines.py", N_("Late and at-risk lines"), ":material/running_with_errors:"),
            ("buyer/open_lines.py", N_("Open lines"), ":material/list_alt:"),
            ("buyer/line_detail.py", N_("Line detail"), ":material/timeline:"),
            ("buyer/backorders.py", N_("Backorders"), ":material/shopping_cart:"),
            ("buyer/suppliers.py", N_("Supplier directory"), ":material/storefront:"),
            ("buyer/imports.py", N_("Imports"), ":material/upload_file:"),
        ],
    ),
    Role.MANAGER: (
        N_("Suppliers"),
        [
            ("manager/ranking.py", N_("Supplier ranking"), ":material/leaderboard:"),
            ("manager/scorecard.py", N_("Scorecard"), ":material/star:"),
            ("manager/compare.py", N_("Compare suppliers"), ":material/compare_arrows:"),
            ("manager/suppliers.py", N_("Suppliers"), ":material/storefront:"),
        ],
    ),
    Role.ADMIN: (
        N_("Administration"),
        [
            ("admin/users.py", N_("Users and suppliers"), ":material/group:"),
            ("admin/settings.py", N_("Settings"), ":material/tune:"),
            ("admin/notifications.py", N_("Notifications"), ":material/mail:"),
        ],
    ),
}


def pages_for(role: Role) -> dict[str, list[st.Page]]:
    """The menu of a role: its first page is its home."""
    section, entries = MENUS[role]
    pages = [_page(path, title, icon, default=i == 0) for i, (path, title, icon) in enumerate(entries)]
    return {_(section): pages, _("Account"): [_page("account.py", N_("My account"), ":material/person:")]}


def page_paths(role: Role) -> set[str]:
    """The URL paths of a role's pages (their file names), e.g. "line_detail"."""
    return {page.url_path for pages in pages_for(role).values() for page in pages}


def login_pages() -> list[st.Page]:
    """Logged out, every page's URL shows the login form, so a link from an e-mail keeps its
    path and query (instead of "page not found") and opens after login. The one exception is the
    posting page of a reminder's link: the link itself is its credential."""
    login = f"{VIEWS}/login.py"
    paths = sorted(set().union(*(page_paths(role) for role in Role)) - {""})
    posting = st.Page(f"{VIEWS}/post_output.py", title=_("Post today's output"), url_path=POSTING_PATH)
    return [st.Page(login, title=_("Log in"), icon=":material/login:", default=True), posting] + [
        st.Page(login, title=_("Log in"), url_path=path) for path in paths if path != POSTING_PATH
    ]


#: A role's name as the sidebar shows it (marked here, translated where shown).
ROLE_NAMES: dict[Role, str] = {
    Role.SUPPLIER: N_("Supplier"),
    Role.BUYER: N_("Buyer"),
    Role.MANAGER: N_("Manager"),
    Role.ADMIN: N_("Admin"),
}


#: The language of this browser session, chosen at the start of each full run.
LANGUAGE_KEY = "i18n.language"


def _session_language() -> str | None:
    """The language chosen at this session's last full run: a fragment's rerun runs on another
    thread without main(), so portal.i18n finds it here (None outside a script run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    value = st.session_state.get(LANGUAGE_KEY)
    return value if isinstance(value, str) else None


set_language_fallback(_session_language)


def _browser_language() -> str | None:
    """The browser's Accept-Language header (None in a bare script run, e.g. some tests)."""
    try:
        return st.context.headers.get("Accept-Language")
    except Exception:  # no request behind this run
        return None


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # no browser behind this run
        return None


#: How the browser leaves on the next render: a script of portal.ui.server (after login: carry the
#: ticket to the cookie route; after logout: post to the route that deletes the cookie).
REDIRECT_KEY = "auth.redirect"
#: The signed session cookie this Streamlit session was restored from, re-checked on every run.
COOKIE_KEY = "auth.cookie"


def current_session_cookie() -> str | None:
    """The signed session cookie of this browser's login, if it has one."""
    return st.session_state.get(COOKIE_KEY) or st.context.cookies.get(COOKIE_NAME)


def _forget_login() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def _logout() -> None:
    """End the server-side session, forget the login, and let the browser drop its cookie."""
    from portal.services.sessions import end_session
    from portal.ui.context import get_db
    from portal.ui.server import logout_script

    cookie = current_session_cookie()
    if cookie:
        end_session(get_db(), cookie)
    _forget_login()
    if cookie:
        st.session_state[REDIRECT_KEY] = logout_script()


def _sidebar(actor: Actor) -> None:
    with st.sidebar:
        st.markdown(f"**{plain(actor.name)}**")
        st.caption(_(ROLE_NAMES[actor.role]))
        if st.button(_("Log out"), icon=":material/logout:", key="auth.logout"):
            _logout()
            st.rerun()


def _oidc_email() -> str | None:
    """The e-mail of a user logged in with the company identity provider (st.login), if configured."""
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or "") or None
    except Exception:  # no [auth] section in secrets: the provider is simply not configured
        return None
    return None


def _restore_actor() -> Actor | None:
    """Who is logged in: this session's actor (re-checked), else the cookie's session, else the IdP."""
    from portal.services.auth import actor_for_identity, current_user_still_valid
    from portal.services.sessions import actor_from_cookie
    from portal.ui.context import get_db

    db = get_db()
    actor = current_actor()
    if actor is not None:
        cookie = st.session_state.get(COOKIE_KEY)
        # Logged out in another tab, idle too long, deactivated: the login ends here too.
        if (cookie and actor_from_cookie(db, cookie) is None) or not current_user_still_valid(db, actor):
            _forget_login()
            return None
        return actor
    cookie = st.context.cookies.get(COOKIE_NAME)
    if cookie:
        actor = actor_from_cookie(db, cookie)
        if actor is not None:
            st.session_state[ACTOR_KEY] = actor
            st.session_state[COOKIE_KEY] = cookie
            return actor
    email = _oidc_email()
    if email:
        actor = actor_for_identity(db, email)
        if actor is not None:
            st.session_state[ACTOR_KEY] = actor
            return actor
    return None


def _follow_redirect() -> None:
    # Kept, not popped: a rerun that comes before the browser ran the script would otherwise drop
    # it, and the login would never fetch its cookie. The script leaves the page, and with it this
    # session, so it runs once in effect.
    script = st.session_state.get(REDIRECT_KEY)
    if script:
        # Built by portal.ui.server from our own paths and a ticket, JSON-quoted: no user text.
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def main() -> None:
    _follow_redirect()
    actor = _restore_actor()
    # Every run: the user's own language, else the browser's (the login and posting-link pages).
    chosen = choose_language(
        actor.language if actor is not None else None, _browser_language(), _browser_locale()
    )
    set_language(chosen)
    st.session_state[LANGUAGE_KEY] = chosen
    st.set_page_config(
        page_title=_("Supplier Portal"), page_icon=":material/precision_manufacturing:", layout="wide"
    )
    st.html(PHONE_STYLE)  # only a style: Streamlit adds it to the page without an element
    if actor is None:
        st.navigation(login_pages(), position="hidden").run()
        return
    _sidebar(actor)
    st.navigation(pages_for(actor.role)).run()
