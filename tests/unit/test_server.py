"""The cookie routes only ever redirect within the portal."""

from __future__ import annotations

import pytest

from portal.ui.server import safe_next, start_url


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


def test_the_start_url_quotes_the_ticket_and_the_page() -> None:
    url = start_url("a b&c", "/line_detail?line=5")
    assert url == "/portal-auth/start?ticket=a+b%26c&next=%2Fline_detail%3Fline%3D5"
