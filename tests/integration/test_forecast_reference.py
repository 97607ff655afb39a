"""The forecast's plain rule (DOMAIN.md, no calibration) equals an independent implementation: one
DuckDB query over the same file. The sweep's stored forecasts add the calibration of
portal/core/calibration.py on top, which the reference does not implement."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import select

from bench.reference import duckdb_forecasts
from db.engine import Database
from db.models import Supplier
from portal.core.settings import Settings
from portal.demo.load import load_demo_world
from portal.services import planning
from portal.services.access import Actor
from portal.services.calendars import load_calendars

AS_OF = dt.date(2026, 11, 27)


def test_the_plain_rule_and_the_duckdb_reference_give_the_same_forecasts(
    sqlite_db: Database, sqlite_url: str
) -> None:
    load_demo_world(sqlite_db, Actor.system("test"), seed=11, today=AS_OF)
    with sqlite_db.read() as session:
        calendars = load_calendars(session)
        supplier_ids = np.array(session.scalars(select(Supplier.id)).all())
        lines = planning.load_open_lines(session, as_of=AS_OF)
        # The sweep's own loaders and forecast, without supplier statistics: the plain rule.
        plain = planning.pipeline.forecast_open_lines(
            session, lines, calendars, AS_OF, Settings(), stats=None
        )
        stored = plain[
            [
                "line_id",
                "produced",
                "remaining",
                "completion_p50",
                "completion_p90",
                "arrival_p50",
                "arrival_p90",
            ]
        ]
    reference = duckdb_forecasts(
        sqlite_url.removeprefix("sqlite:///"), AS_OF, calendars, supplier_ids
    ).forecasts
    merged = stored.merge(reference, on="line_id", suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(stored) == len(reference) > 100
    for column in ("produced", "remaining"):
        assert (merged[column] == merged[f"{column}_ref"]).all(), column
    for column in ("completion_p50", "completion_p90", "arrival_p50", "arrival_p90"):
        ours, theirs = pd.to_datetime(merged[column]), pd.to_datetime(merged[f"{column}_ref"])
        assert ((ours == theirs) | (ours.isna() & theirs.isna())).all(), column
