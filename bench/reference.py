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
    SELECT r.line_id, SUM(r.good_qty) AS produced, SUM(r.rejected_qty) AS rejected, COUNT(*) AS n,
           AVG(r.good_qty) AS mean_rate,
           STDDEV_SAMP(r.good_qty) AS sd, MAX(r.day) AS last_day,
           SUM(POWER($decay, r.k) * r.good_qty) / SUM(POWER($decay, r.k)) AS ewm,
           MIN(CASE WHEN r.cum >= o.quantity THEN r.day END) AS completed_on
    FROM reports r JOIN open_lines o ON o.line_id = r.line_id
    GROUP BY r.line_id
),
schedule AS (
    SELECT po_line_id AS line_id, ARG_MAX(CAST(start_date AS DATE), revision) AS start_date,
           ARG_MAX(daily_output, revision) AS daily_output,
           ARG_MAX(CAST(estimated_end_date AS DATE), revision) AS estimated_end_date
    FROM p.production_schedules GROUP BY po_line_id
),
rated AS (
    SELECT o.*, COALESCE(st.produced, 0) AS produced, COALESCE(st.rejected, 0) AS rejected,
           COALESCE(st.n, 0) AS n, st.last_day, st.completed_on,
           sc.start_date, sc.daily_output, sc.estimated_end_date,
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
           n.supplier_id, n.status, n.rejected, n.n, n.last_day, n.start_date, n.daily_output,
           n.estimated_end_date,
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
       completion_p90 + CAST(transit_days AS INTEGER) AS arrival_p90,
       supplier_id, status, rejected, n AS reported_days, last_day, start_date, daily_output,
       estimated_end_date, CAST(need_by_date AS DATE) AS need_by_date
FROM completed ORDER BY line_id
"""

#: What the sweep does after the forecasts, in SQL over the forecasts table ``fc``: learn each
#: supplier's buffer (a quantile of its delivered lines' slips), allocate supply to backorders (a
#: strict queue per item: the promise is the date of the supply unit at the backorder's cumulative
#: demand, an ASOF join), and evaluate the alert rules' conditions for every line and backorder.
PLAN = """
CREATE TEMP TABLE buffers AS
WITH rec AS (
    SELECT po_line_id, CAST(received_date AS DATE) AS day, quantity - COALESCE(rejected_qty, 0) AS good
    FROM p.receipts WHERE CAST(received_date AS DATE) <= $as_of
),
cum AS (
    SELECT po_line_id, day,
           SUM(good) OVER (PARTITION BY po_line_id ORDER BY day ROWS UNBOUNDED PRECEDING) AS c
    FROM rec
),
delivered AS (
    SELECT l.supplier_id, MIN(c.day) - COALESCE(CAST(l.promised_date AS DATE), CAST(l.need_by_date AS DATE))
             AS slip
    FROM cum c JOIN p.po_lines l ON l.id = c.po_line_id
    WHERE c.c >= $in_full * l.quantity
    GROUP BY l.id, l.supplier_id, l.promised_date, l.need_by_date
)
SELECT supplier_id, GREATEST(0, CEIL(QUANTILE_CONT(slip, $quantile))) AS buffer_days
FROM delivered GROUP BY supplier_id;

CREATE TEMP TABLE supply AS
WITH received AS (
    SELECT po_line_id, SUM(quantity - COALESCE(rejected_qty, 0)) AS good FROM p.receipts GROUP BY po_line_id
),
rows AS (
    SELECT l.item_id, f.line_id, GREATEST(0, l.quantity - COALESCE(r.good, 0)) AS qty,
           GREATEST($as_of, COALESCE(f.arrival_p90,
                    COALESCE(CAST(l.promised_date AS DATE), CAST(l.need_by_date AS DATE)))
                    + CAST(COALESCE(b.buffer_days, 0) AS INTEGER)) AS available
    FROM fc f JOIN p.po_lines l ON l.id = f.line_id
    LEFT JOIN received r ON r.po_line_id = f.line_id LEFT JOIN buffers b ON b.supplier_id = f.supplier_id
    UNION ALL
    SELECT id, NULL, on_hand, $as_of FROM p.items WHERE on_hand > 0
)
SELECT item_id, available,
       SUM(qty) OVER (PARTITION BY item_id ORDER BY available, line_id NULLS FIRST
                      ROWS UNBOUNDED PRECEDING) AS cum
FROM rows WHERE qty > 0;

CREATE TEMP TABLE promises AS
WITH demand AS (
    SELECT id AS backorder_id, item_id, CAST(communicated_date AS DATE) AS communicated_date,
           SUM(quantity) OVER (PARTITION BY item_id ORDER BY priority DESC, order_date, order_ref
                               ROWS UNBOUNDED PRECEDING) AS cum
    FROM p.backorders WHERE status = 'waiting'
)
SELECT d.backorder_id, d.communicated_date, s.available + $safety AS promise_date
FROM demand d ASOF LEFT JOIN supply s ON s.item_id = d.item_id AND s.cum >= d.cum;

CREATE TEMP TABLE cal_at AS SELECT supplier_id, cum FROM cal WHERE day = $as_of;
"""

CONDITIONS = """
WITH f AS (
    SELECT f.*, a.cum AS cum_today, cs.cum AS cum_start, cl.cum AS cum_last, ce.cum AS cum_end,
           cp.cum AS cum_p90
    FROM fc f JOIN cal_at a USING (supplier_id)
    LEFT JOIN cal cs ON cs.supplier_id = f.supplier_id AND cs.day = f.start_date
    LEFT JOIN cal cl ON cl.supplier_id = f.supplier_id AND cl.day = f.last_day
    LEFT JOIN cal ce ON ce.supplier_id = f.supplier_id AND ce.day = f.estimated_end_date
    LEFT JOIN cal cp ON cp.supplier_id = f.supplier_id AND cp.day = f.completion_p90
)
SELECT 'PROJECTED_LATE' AS rule, COUNT(*) AS n FROM f WHERE arrival_p50 > need_by_date
UNION ALL SELECT 'AT_RISK', COUNT(*) FROM f WHERE arrival_p90 > need_by_date AND need_by_date >= arrival_p50
UNION ALL SELECT 'QUALITY', COUNT(*) FROM f WHERE rejected > $quality * (produced + rejected)
UNION ALL SELECT 'LATE_START', COUNT(*) FROM f
    WHERE produced = 0 AND start_date IS NOT NULL AND cum_today - cum_start > $late_start
UNION ALL SELECT 'BEHIND_PLAN', COUNT(*) FROM f
    WHERE status <> 'shipped' AND start_date <= $as_of
      AND produced < daily_output * (cum_today - cum_start + 1) * (1 - $behind)
UNION ALL SELECT 'STALE_UPDATE', COUNT(*) FROM f
    WHERE status = 'in_production' AND last_day IS NOT NULL AND cum_today - cum_last >= $stale
UNION ALL SELECT 'UNREALISTIC_ESTIMATE', COUNT(*) FROM f
    WHERE estimated_end_date IS NOT NULL AND cum_p90 - cum_end > $unrealistic
UNION ALL SELECT 'UNPROMISABLE', COUNT(*) FROM promises WHERE promise_date IS NULL
UNION ALL SELECT 'PROMISE_SLIPPED', COUNT(*) FROM promises WHERE promise_date > communicated_date
"""


@dataclass
class ReferenceResult:
    forecasts: pd.DataFrame
    calendar_seconds: float
    query_seconds: float
    #: With ``plan``: the promises (backorder_id, promise_date) and each alert rule's count.
    promises: pd.DataFrame | None = None
    conditions: pd.DataFrame | None = None
    plan_seconds: float = 0.0


def duckdb_forecasts(
    sqlite_path: str,
    as_of: dt.date,
    calendars: CalendarSet,
    supplier_ids: np.ndarray,
    settings: Settings | None = None,
    *,
    plan: bool = False,
) -> ReferenceResult:
    """Forecast every open line with one DuckDB query over the SQLite file; with ``plan``, also
    learn supplier buffers, promise every backorder and count every alert rule's conditions."""
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
    if not plan:
        con.close()
        return ReferenceResult(frame, calendar_seconds=t1 - t0, query_seconds=t2 - t1)
    con.register("fc_frame", frame)
    dates: tuple[str, ...] = ("completion_p50", "completion_p90", "arrival_p50", "arrival_p90", "last_day")
    dates += ("start_date", "estimated_end_date", "need_by_date")
    replace = ", ".join(f"CAST({c} AS DATE) AS {c}" for c in dates)
    con.execute(f"CREATE TEMP TABLE fc AS SELECT * REPLACE ({replace}) FROM fc_frame")  # noqa: S608 (our names)
    plan_params = {
        "as_of": as_of,
        "in_full": settings.in_full_threshold,
        "quantile": settings.buffer_quantile,
        "safety": settings.safety_buffer_days,
    }
    for statement in PLAN.split(";"):
        if statement.strip():
            names = {k: v for k, v in plan_params.items() if f"${k}" in statement}
            con.execute(statement, names)
    promises = con.execute("SELECT * FROM promises").df()
    cond_params = {
        "as_of": as_of,
        "quality": settings.quality_reject_threshold,
        "late_start": settings.late_start_grace_days,
        "behind": settings.behind_plan_tolerance,
        "stale": settings.stale_update_days,
        "unrealistic": settings.unrealistic_estimate_days,
    }
    conditions = con.execute(CONDITIONS, cond_params).df()
    t3 = time.perf_counter()
    con.close()
    return ReferenceResult(
        frame,
        calendar_seconds=t1 - t0,
        query_seconds=t2 - t1,
        promises=promises,
        conditions=conditions,
        plan_seconds=t3 - t2,
    )
