"""The JSON API at /api/v1: personal tokens, the same services as the browser, problem+json errors."""

from portal.api.app import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
