"""The benchmark's reference: the same forecasts as the sweep, computed by one DuckDB query
reading the portal's SQLite file directly (DuckDB's SQLite scanner).

Working days need each supplier's calendar (weekmask, public holidays, closures): the
calendar is handed to DuckDB as a table of (supplier_id, day, working, cum) rows built with
the portal's own WorkCalendar, where ``cum`` counts the supplier's working days up to and
including ``day``. Then "the n-th working day from d" is a join on cum.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from portal.core.calendar import CalendarSet
from portal.core.forecast import Z90
from portal.core.settings import Settings


def _connect() -> duckdb.DuckDBPyConnection:
    import duckdb_extension_sqlite_scanner as scanner

    con = duckdb.connect()
    extension = next(pathlib.Path(scanner.__path__[0]).rglob("sqlite_scanner.duckdb_extension*"))
    con.install_extension(str(extension))
    con.load_extension("sqlite_scanner")
    return con


def calendar_table(
    calendars: CalendarSet, supplier_ids: np.ndarray, first: dt.date, last: dt.date
) -> pd.DataFrame:
    """(supplier_id, day, working, cum) for every supplier and day in [first, last]."""
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    frames = []
    for sid in supplier_ids:
        working = np.is_busday(days, busdaycal=calendars.get(int(sid)).busdaycal)
        frames.append(
            pd.DataFrame(
                {"supplier_id": int(sid), "day": days, "working": working, "cum": np.cumsum(working)}
            )
        )
    return pd.concat(frames, ignore_index=True)


QUERY = """
WITH open_lines AS (
    SELECT l.id AS line_id, l.supplier_id, l.quantity, l.status, l.need_by_date,
           COALESCE(l.transit_days, s.transit_days, 0) AS transit_days
    FROM p.po_lines l JOIN p.suppliers s ON s.id = l.supplier_id
    WHERE l.status IN ('open', 'in_production', 'shipped')
),
reports AS (
    SELECT r.po_line_id AS line_id, CAST(r.report_date AS DATE) AS day, r.good_qty, r.rejected_qty,
           COUNT(*) OVER (PARTITION BY r.po_line_id)
             - ROW_NUMBER() OVER (PARTITION BY r.po_line_id ORDER BY r.report_date) AS k,
           SUM(r.good_qty) OVER (PARTITION BY r.po_line_id ORDER BY r.report_date
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM p.production_reports r
    WHERE r.is_current AND CAST(r.report_date AS DATE) <= $as_of
),
stats AS (
    SELECT r.line_id, SUM(r.good_qty) AS produced, COUNT(*) AS n, AVG(r.good_qty) AS mean_rate,
           STDDEV_SAMP(r.good_qty) AS sd, MAX(r.day) AS last_day,
           SUM(POWER($decay, r.k) * r.good_qty) / SUM(POWER($decay, r.k)) AS ewm,
           MIN(CASE WHEN r.cum >= o.quantity THEN r.day END) AS completed_on
    FROM reports r JOIN open_lines o ON o.line_id = r.line_id
    GROUP BY r.line_id
),
schedule AS (
    SELECT po_line_id AS line_id, ARG_MAX(CAST(start_date AS DATE), revision) AS start_date,
           ARG_MAX(daily_output, revision) AS daily_output
    FROM p.production_schedules GROUP BY po_line_id
),
rated AS (
    SELECT o.*, COALESCE(st.produced, 0) AS produced, COALESCE(st.n, 0) AS n, st.last_day, st.completed_on,
           sc.start_date, sc.daily_output,
           GREATEST(0, o.quantity - COALESCE(st.produced, 0)) AS remaining,
           CASE WHEN COALESCE(st.n, 0) >= $min_days THEN st.ewm
                WHEN sc.daily_output > 0 THEN sc.daily_output
                WHEN COALESCE(st.n, 0) > 0 THEN st.mean_rate END AS rate,
           CASE WHEN COALESCE(st.n, 0) >= $min_days THEN COALESCE(st.sd, 0)
                WHEN sc.daily_output > 0 THEN $cv * sc.daily_output
                WHEN COALESCE(st.n, 0) > 0 THEN $cv * st.mean_rate ELSE 0 END AS sigma
    FROM open_lines o LEFT JOIN stats st USING (line_id) LEFT JOIN schedule sc USING (line_id)
),
started AS (
    SELECT r.*,
           CASE WHEN r.n = 0 AND r.start_date > $as_of
                THEN cs.cum + CASE WHEN cs.working THEN 0 ELSE 1 END
                ELSE cd.cum + 1 END AS start_cum,
           r.status <> 'shipped' AND r.remaining > 0 AND r.rate > 0 AS can_forecast
    FROM rated r
    LEFT JOIN cal cs ON cs.supplier_id = r.supplier_id AND cs.day = r.start_date
    JOIN cal cd ON cd.supplier_id = r.supplier_id AND cd.day = $as_of
),
needed AS (
    SELECT s.*,
           CASE WHEN s.can_forecast THEN CAST(s.start_cum + CEIL(s.remaining / s.rate - 1e-9) - 1 AS BIGINT)
           END AS cum50,
           CASE WHEN s.can_forecast THEN CAST(s.start_cum - 1 + GREATEST(
                    CEIL(s.remaining / s.rate - 1e-9),
                    CEIL(POWER(($z * s.sigma + SQRT(POWER($z * s.sigma, 2) + 4 * s.rate * s.remaining))
                               / (2 * s.rate), 2) - 1e-9)) AS BIGINT)
           END AS cum90
    FROM started s
),
completed AS (
    SELECT n.line_id, n.need_by_date, n.transit_days, n.produced, n.remaining, n.rate,
           CASE WHEN n.status = 'shipped' THEN COALESCE(n.completed_on, n.last_day, $as_of)
                WHEN n.remaining <= 0 AND n.completed_on IS NOT NULL THEN n.completed_on
                WHEN n.can_forecast THEN c50.day END AS completion_p50,
           CASE WHEN n.status = 'shipped' THEN COALESCE(n.completed_on, n.last_day, $as_of)
                WHEN n.remaining <= 0 AND n.completed_on IS NOT NULL THEN n.completed_on
                WHEN n.can_forecast THEN c90.day END AS completion_p90
    FROM needed n
    LEFT JOIN work c50 ON c50.supplier_id = n.supplier_id AND c50.cum = n.cum50
    LEFT JOIN work c90 ON c90.supplier_id = n.supplier_id AND c90.cum = n.cum90
)
SELECT line_id, produced, remaining, rate, completion_p50, completion_p90,
       completion_p50 + CAST(transit_days AS INTEGER) AS arrival_p50,
       completion_p90 + CAST(transit_days AS INTEGER) AS arrival_p90
FROM completed ORDER BY line_id
"""


@dataclass
class ReferenceResult:
    forecasts: pd.DataFrame
    calendar_seconds: float
    query_seconds: float


def duckdb_forecasts(
    sqlite_path: str,
    as_of: dt.date,
    calendars: CalendarSet,
    supplier_ids: np.ndarray,
    settings: Settings | None = None,
) -> ReferenceResult:
    """Forecast every open line with one DuckDB query over the SQLite file."""
    settings = settings or Settings()
    t0 = time.perf_counter()
    cal = calendar_table(
        calendars, supplier_ids, as_of - dt.timedelta(days=3 * 365), as_of + dt.timedelta(days=3 * 365)
    )
    t1 = time.perf_counter()
    con = _connect()
    con.execute(f"ATTACH '{sqlite_path}' AS p (TYPE sqlite, READ_ONLY)")
    con.register("cal_frame", cal)
    con.execute(
        "CREATE TEMP TABLE cal AS SELECT supplier_id, CAST(day AS DATE) AS day, working, cum FROM cal_frame"
    )
    con.execute("CREATE TEMP VIEW work AS SELECT supplier_id, day, cum FROM cal WHERE working")
    params = {
        "as_of": as_of,
        "decay": 1 - 2 / (settings.forecast_ewm_span + 1),
        "min_days": settings.forecast_min_reported_days,
        "cv": settings.forecast_default_cv,
        "z": Z90,
    }
    frame = con.execute(QUERY, params).df()
    t2 = time.perf_counter()
    con.close()
    return ReferenceResult(frame, calendar_seconds=t1 - t0, query_seconds=t2 - t1)
