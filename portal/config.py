"""One place that reads the portal's configuration from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    """Process-wide configuration, read once from environment variables."""

    database_url: str
    data_dir: Path
    base_url: str
    #: Bearer token that opens Streamlit's /_stcore/metrics (closed to everyone when unset).
    metrics_token: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def default_sqlite_url(data_dir: Path) -> str:
    """The embedded database: a SQLite file in the data folder."""
    return f"sqlite:///{(data_dir / 'portal.db').as_posix()}"


def load_config(env: dict[str, str] | None = None) -> Config:
    """Build the configuration from ``env`` (default: the process environment)."""
    env = dict(os.environ) if env is None else env
    data_dir = Path(env.get("PORTAL_DATA_DIR") or PROJECT_ROOT / "data")
    url = env.get("DATABASE_URL") or default_sqlite_url(data_dir)
    # Heroku-style URLs name the scheme "postgres://"; SQLAlchemy wants a driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    base_url = env.get("PORTAL_BASE_URL", "http://localhost:8501").rstrip("/")
    metrics_token = env.get("PORTAL_METRICS_TOKEN") or None
    return Config(database_url=url, data_dir=data_dir, base_url=base_url, metrics_token=metrics_token)
