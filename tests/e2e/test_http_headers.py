"""The real server (streamlit run) sends the security headers on every response, keeps
/_stcore/metrics closed without the token, and cannot be framed by another page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page

from portal.ui.http_security import SECURITY_HEADERS
from tests.e2e.conftest import PortalServer, wait_until

pytestmark = pytest.mark.browser
TOKEN = "metrics-token-for-the-test"


@pytest.fixture(scope="module", autouse=True)
def _metrics_token() -> Iterator[None]:
    # Module-scoped autouse: set before the module's portal_server starts, so the server reads it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTAL_METRICS_TOKEN", TOKEN)
        yield


def _static_asset(base_url: str) -> str:
    page = requests.get(base_url, timeout=10).text
    return "/" + page.split('src="./', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/_stcore/health",
        "/_stcore/host-config",
        "/portal-auth/start?ticket=forged&next=/",
        "/portal-auth/end",
        "/no/such/page.txt",
        "/_stcore/metrics",
        "STATIC",
    ],
)
def test_every_response_of_the_real_server_forbids_framing(portal_server: PortalServer, path: str) -> None:
    if path == "STATIC":
        path = _static_asset(portal_server.base_url)
    response = requests.get(portal_server.base_url + path, allow_redirects=False, timeout=10)
    assert response.status_code < 500
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name, response.headers)


def test_metrics_are_refused_without_the_token_and_served_with_it(portal_server: PortalServer) -> None:
    url = f"{portal_server.base_url}/_stcore/metrics"
    assert requests.get(url, timeout=10).status_code == 404
    assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 404
    allowed = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert allowed.status_code == 200
    assert "session" in allowed.text  # Streamlit's own metric families, so the guard let it through


def test_another_site_cannot_show_the_portal_in_a_frame(portal_server: PortalServer, page: Page) -> None:
    page.set_content(f'<iframe id="decoy" src="{portal_server.base_url}/" width="800" height="600"></iframe>')
    # set_content returns on the page's load event, which waits for the frame's answer (or error page).
    wait_until(lambda: any(f.url not in ("", "about:blank") for f in page.frames[1:]), "framed")
    frame = page.frame_locator("#decoy")
    assert frame.get_by_role("button", name="Log in").count() == 0
    framed = next(f for f in page.frames if f != page.main_frame)
    assert not framed.url.startswith(portal_server.base_url)  # Chromium shows its own error page instead
