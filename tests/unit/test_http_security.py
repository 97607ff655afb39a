"""The HTTP hardening middleware: security headers on every response, metrics closed without the token."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.config import load_config
from portal.ui.http_security import (
    SECURITY_HEADERS,
    MetricsGuardMiddleware,
    SecurityHeadersMiddleware,
    is_metrics_path,
)


def _metrics(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("streamlit_sessions 3")


def _framable(_request: Request) -> PlainTextResponse:
    return PlainTextResponse(
        "hi", headers={"X-Frame-Options": "ALLOWALL", "Content-Security-Policy": "img-src *"}
    )


def _client(token: str | None = None) -> TestClient:
    app = Starlette(
        routes=[
            Route("/", lambda _r: PlainTextResponse("page")),
            Route("/go", lambda _r: RedirectResponse("/", status_code=303)),
            Route("/framable", _framable),
            Route("/_stcore/metrics", _metrics),
            Route("/portal/_stcore/metrics", _metrics),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(MetricsGuardMiddleware, token=token)],
    )
    return TestClient(app)


@pytest.mark.parametrize("path", ["/", "/go", "/missing", "/_stcore/metrics"])
def test_every_response_forbids_framing_and_sniffing_whatever_its_status(path: str) -> None:
    response = _client().get(path, follow_redirects=False)
    assert response.status_code in (200, 303, 404)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


def test_the_apps_own_frame_option_is_replaced_and_its_csp_kept_beside_ours() -> None:
    response = _client().get("/framable")
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    assert sorted(response.headers.get_list("content-security-policy")) == [
        "frame-ancestors 'none'",
        "img-src *",
    ]


@pytest.mark.parametrize(
    "path", ["/_stcore/metrics", "/_stcore/metrics/", "//_stcore//metrics", "/portal/_stcore/metrics"]
)
def test_metrics_are_not_found_without_a_configured_token(path: str) -> None:
    assert is_metrics_path(path)
    response = _client().get(path, headers={"Authorization": "Bearer "}, follow_redirects=False)
    assert response.status_code == 404
    assert "streamlit_sessions" not in response.text


def test_metrics_need_the_exact_bearer_token_once_one_is_configured() -> None:
    client = _client(token="s3cret-token")
    assert client.get("/_stcore/metrics").status_code == 404
    assert client.get("/_stcore/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/_stcore/metrics", headers={"Authorization": "Basic s3cret-token"}).status_code == 404
    allowed = client.get("/_stcore/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert allowed.status_code == 200 and allowed.text == "streamlit_sessions 3"
    assert allowed.headers["x-frame-options"] == "DENY"


def test_other_paths_are_not_mistaken_for_metrics() -> None:
    assert not is_metrics_path("/_stcore/health")
    assert not is_metrics_path("/_stcore/metrics-old")
    assert _client().get("/").text == "page"


def test_the_metrics_token_comes_from_the_environment() -> None:
    assert load_config({"PORTAL_METRICS_TOKEN": "abc"}).metrics_token == "abc"
    assert load_config({"PORTAL_METRICS_TOKEN": ""}).metrics_token is None
    assert load_config({}).metrics_token is None
