"""The cookie routes only ever redirect within the portal; the scripts that send the browser there."""

from __future__ import annotations

import pytest

from portal.ui.server import login_script, logout_script, safe_next, start_url


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/line_detail?line=5", "/line_detail?line=5"),
        ("/", "/"),
        ("", "/"),
        (None, "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_only_local_paths_are_followed(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_the_start_url_quotes_the_page_and_carries_no_ticket() -> None:
    assert start_url("/line_detail?line=5") == "/portal-auth/start?next=%2Fline_detail%3Fline%3D5"
    assert start_url("https://evil.example/") == "/portal-auth/start?next=%2F"


def test_the_login_script_keeps_the_ticket_in_a_strict_cookie_for_the_start_route_only() -> None:
    script = login_script("T1cket-_", "/backorders")
    assert '"portal_login_ticket=T1cket-_; path=/portal-auth/start; max-age=60; samesite=strict"' in script
    assert 'window.location.replace("/portal-auth/start?next=%2Fbackorders")' in script
    assert script.count("T1cket-_") == 1  # in the cookie, not in the URL


def test_the_logout_script_posts_to_the_end_route() -> None:
    script = logout_script()
    assert "form.method = 'post'" in script and 'form.action = "/portal-auth/end"' in script
