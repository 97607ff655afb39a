"""A large synthetic world for performance work: `python -m portal demo load --scale L`.

Scale L is a big buyer's world: 1,000 suppliers, 5,000 items, 100,000 open PO lines,
about 3,000,000 daily reports, 150,000 delivered lines with 200,000 receipts, 50,000
backorders. Scale XL is ten times that (1,000,000 open lines, about 30,000,000 reports;
meant for PostgreSQL). Everything is generated with numpy (vectorized, seeded) and written with
the database's bulk path (SQLite executemany on the raw connection, PostgreSQL COPY), never
as ORM objects row by row. Explicit ids let every foreign key be known without round trips.

The reports, by far the largest table, are drawn as numpy arrays in one go (so a seed gives the
same world whatever the chunk size) but turned into rows, written and summarised in chunks of
whole lines (:data:`REPORT_CHUNK` reports at most), so memory stays a few GiB even at XL.

Just over 500 lines on purpose: :func:`generate` draws the whole world in one seeded pass (every
table's ids and foreign keys from the same arrays), which split in parts would need passing around.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import text

from db.engine import Database
from db.models import utcnow
from portal.core.calendar import CalendarSet
from portal.core.domain import PortalError, Role
from portal.core.settings import Settings
from portal.core.summaries import DATE_COLUMNS, summarize_frame
from portal.services import audit
from portal.services.access import Actor, service

Progress = Callable[[str], None]

COUNTRIES = ("DE", "FR", "IT", "PL", "CN", "VN", "IN", "MX", "US", "TR", "PT", "GB", "ES", "NL", "CZ", "TH")


@dataclass(frozen=True)
class Scale:
    """How big a synthetic world is."""

    suppliers: int
    items: int
    open_lines: int
    history_lines: int
    receipts: int
    backorders: int
    #: Working days of production reported per in-production line, on average.
    reported_days: int

    @classmethod
    def per_supplier(cls, suppliers: int, reported_days: int) -> Scale:
        """A world in a big buyer's proportions: per supplier 5 items, 100 open lines, 150
        delivered lines with 200 receipts, and 50 backorders."""
        return cls(
            suppliers=suppliers,
            items=5 * suppliers,
            open_lines=100 * suppliers,
            history_lines=150 * suppliers,
            receipts=200 * suppliers,
            backorders=50 * suppliers,
            reported_days=reported_days,
        )


SCALES: dict[str, Scale] = {
    "S": Scale.per_supplier(50, reported_days=30),
    "M": Scale.per_supplier(250, reported_days=30),
    "L": Scale.per_supplier(1_000, reported_days=37),
    # Ten times L: about 30,000,000 reports (PostgreSQL: the bench refuses XL on SQLite).
    "XL": Scale.per_supplier(10_000, reported_days=35),
}

#: At most this many report rows are built, written and summarised at once.
REPORT_CHUNK = 2_000_000


def _days(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[D]")


class _Writer:
    """Bulk inserts with explicit ids: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def write(self, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        columns = list(frame.columns)
        with self.db.engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            if self.db.is_sqlite:
                # sqlite3 binds str, int, float, date and datetime; pandas timestamps become the
                # text SQLAlchemy itself stores.
                frame = frame.copy()
                for col in frame.columns:
                    if pd.api.types.is_datetime64_any_dtype(frame[col]):
                        frame[col] = frame[col].dt.strftime("%Y-%m-%d %H:%M:%S.%f")
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 (names are ours)
                cursor = raw.cursor()
                for start in range(0, len(frame), 200_000):
                    chunk = frame.iloc[start : start + 200_000]
                    cursor.executemany(
                        sql,
                        chunk.astype(object).where(chunk.notna(), None).itertuples(index=False, name=None),
                    )
            else:
                with (
                    raw.cursor() as cursor,
                    cursor.copy(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
                    ) as copy,
                ):
                    # CSV text of 250,000 rows at a time: a few tens of MiB, never the whole table.
                    for start in range(0, len(frame), 250_000):
                        buffer = io.StringIO()
                        frame.iloc[start : start + 250_000].to_csv(
                            buffer, index=False, header=False, na_rep="\\N"
                        )
                        copy.write(buffer.getvalue())

    def reset_sequences(self, tables: Sequence[str]) -> None:
        """After explicit ids, PostgreSQL's sequences must continue after the largest id."""
        if self.db.is_sqlite:
            return
        with self.db.engine.begin() as conn:
            for table in tables:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                    )
                )


def _po_lines(
    first_id: int,
    first_po: int,
    supplier_id: np.ndarray,
    item_id: np.ndarray,
    quantity: np.ndarray,
    order: np.ndarray,
    need_by: np.ndarray,
    status: object,
) -> pd.DataFrame:
    """PO lines with ids from ``first_id``, four to a PO, the POs numbered from ``first_po``."""
    n = len(supplier_id)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + n),
            "po_number": [f"PO-{first_po + i // 4}" for i in range(n)],
            "line": np.arange(n) % 4 + 1,
            "supplier_id": supplier_id,
            "item_id": item_id,
            "quantity": quantity,
            "order_date": pd.to_datetime(order).date,
            "need_by_date": pd.to_datetime(need_by).date,
            "status": status,
        }
    )


def generate(scale: Scale, seed: int, today: dt.date) -> tuple[dict[str, pd.DataFrame], _Reports]:
    """Every table's rows for ``scale`` with explicit ids (pure numpy/pandas): frames, and the
    reports to build in chunks."""
    rng = np.random.default_rng(seed)
    now = utcnow()
    d = np.datetime64(today, "D")
    n_sup, n_items = scale.suppliers, scale.items

    suppliers = pd.DataFrame(
        {
            "id": np.arange(1, n_sup + 1),
            "code": [f"S{i:05d}" for i in range(1, n_sup + 1)],
            "name": [f"Factory {i:05d}" for i in range(1, n_sup + 1)],
            "country": np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), n_sup)],
            "working_weekdays": np.where(rng.random(n_sup) < 0.2, "1111110", "1111100"),
            "transit_days": rng.integers(2, 35, n_sup),
            # numpy's stubs refuse None here; at run time it makes an object column (None: no cap).
            "capacity_per_day": np.where(  # type: ignore[call-overload]
                rng.random(n_sup) < 0.4, rng.integers(2_000, 20_000, n_sup), None
            ),
            "active": True,
            "created_at": now,
        }
    )
    calendars = CalendarSet.from_frames(
        suppliers.rename(columns={"id": "supplier_id"})[["supplier_id", "country", "working_weekdays"]],
        years=(today.year - 3, today.year + 2),
    )
    items = pd.DataFrame(
        {
            "id": np.arange(1, n_items + 1),
            "sku": [f"SKU-{i:06d}" for i in range(1, n_items + 1)],
            "description": [f"Item {i:06d}" for i in range(1, n_items + 1)],
            "on_hand": np.where(rng.random(n_items) < 0.3, rng.integers(0, 500, n_items), 0),
        }
    )

    # Suppliers get skewed shares of the lines (a few big ones, a long tail).
    weights = rng.pareto(1.2, n_sup) + 0.2
    weights /= weights.sum()

    # --- open lines ----------------------------------------------------------------------
    n_open = scale.open_lines
    open_sup = rng.choice(n_sup, n_open, p=weights) + 1
    quantity = rng.integers(20, 200, n_open) * 50
    daily = np.maximum(10, (quantity / rng.integers(15, 70, n_open)).round()).astype(np.int64)
    state = rng.choice(["in_production", "open", "shipped"], n_open, p=[0.85, 0.1, 0.05])
    worked = np.where(
        state == "in_production",
        rng.integers(5, 2 * scale.reported_days - 3, n_open),
        np.where(state == "shipped", np.ceil(quantity / daily).astype(np.int64), 0),
    )
    start = calendars.offset(np.full(n_open, d), -worked, open_sup, roll="backward")
    future = state == "open"
    start = np.where(
        future, calendars.offset(np.full(n_open, d), rng.integers(-3, 25, n_open), open_sup), start
    )
    duration = np.ceil(quantity / daily).astype(np.int64)
    est_end = calendars.offset(start, duration - 1, open_sup)
    order = start - rng.integers(10, 60, n_open).astype("timedelta64[D]")
    need_by = (
        est_end
        + rng.integers(-10, 40, n_open).astype("timedelta64[D]")
        + suppliers["transit_days"].to_numpy()[open_sup - 1].astype("timedelta64[D]")
    )
    open_lines = _po_lines(
        1, 7_000_000, open_sup, rng.integers(1, n_items + 1, n_open), quantity, order, need_by, state
    )

    # --- delivered history ---------------------------------------------------------------
    n_hist = scale.history_lines
    hist_sup = rng.choice(n_sup, n_hist, p=weights) + 1
    hist_qty = rng.integers(20, 200, n_hist) * 50
    due = d - rng.integers(20, 730, n_hist).astype("timedelta64[D]")
    supplier_slip = rng.gamma(1.0, 3.0, n_sup)  # some suppliers are habitually late
    slip = np.round(rng.normal(0, 2, n_hist) + rng.exponential(supplier_slip[hist_sup - 1]) - 2).astype(
        np.int64
    )
    delivered = np.minimum(due + slip.astype("timedelta64[D]"), d - np.timedelta64(1, "D"))
    hist_order = due - rng.integers(30, 120, n_hist).astype("timedelta64[D]")
    history = _po_lines(
        n_open + 1,
        6_000_000,
        hist_sup,
        rng.integers(1, n_items + 1, n_hist),
        hist_qty,
        hist_order,
        due,
        "received",
    )
    lines = pd.concat([open_lines, history], ignore_index=True)
    lines["promised_date"] = None
    lines["transit_days"] = None
    lines["created_at"] = now
    lines["updated_at"] = now

    # Receipts: one per delivered line, plus split deliveries (an early part, then the rest).
    n_split = max(0, scale.receipts - n_hist)
    split_rows = rng.choice(n_hist, n_split, replace=False)
    first_part = (hist_qty[split_rows] * rng.uniform(0.3, 0.7, n_split)).astype(np.int64)
    receipt_line = np.concatenate([history["id"].to_numpy(), history["id"].to_numpy()[split_rows]])
    receipt_qty = hist_qty.copy()
    receipt_qty[split_rows] -= first_part
    receipts = pd.DataFrame(
        {
            "id": np.arange(1, n_hist + n_split + 1),
            "po_line_id": receipt_line,
            "received_date": pd.to_datetime(
                np.concatenate(
                    [delivered, delivered[split_rows] - rng.integers(3, 20, n_split).astype("timedelta64[D]")]
                )
            ).date,
            "quantity": np.concatenate([receipt_qty, first_part]),
            "rejected_qty": 0,
            "created_at": now,
        }
    )

    # --- schedules: revision 1 for every open line with a plan, a slipped revision 2 for some
    has_plan = ~(future & (rng.random(n_open) < 0.3))
    sched_lines = open_lines.loc[has_plan, "id"].to_numpy()
    rev1_end = est_end[has_plan] - rng.integers(0, 6, has_plan.sum()).astype("timedelta64[D]")
    rev1_end = np.maximum(rev1_end, start[has_plan])
    schedules = pd.DataFrame(
        {
            "po_line_id": sched_lines,
            "revision": 1,
            "start_date": pd.to_datetime(start[has_plan]).date,
            "daily_output": daily[has_plan],
            "estimated_end_date": pd.to_datetime(rev1_end).date,
            "reason": None,
        }
    )
    slipped = has_plan & (rng.random(n_open) < 0.2)
    revised = pd.DataFrame(
        {
            "po_line_id": open_lines.loc[slipped, "id"].to_numpy(),
            "revision": 2,
            "start_date": pd.to_datetime(start[slipped]).date,
            "daily_output": daily[slipped],
            "estimated_end_date": pd.to_datetime(est_end[slipped] + np.timedelta64(5, "D")).date,
            "reason": "Raw material arrived late",
        }
    )
    schedules = pd.concat([schedules, revised], ignore_index=True)
    schedules.insert(0, "id", np.arange(1, len(schedules) + 1))
    schedules["created_by_name"] = "scale-generator"
    schedules["created_at"] = now

    # --- reports: every working day from start to today (stale lines stop some days ago) ----
    # The random draws are made here, in full and in the seed's order; rows are built in chunks.
    reporting = state == "in_production"
    stale = reporting & (rng.random(n_open) < 0.05)
    last_offset = np.where(stale, rng.integers(4, 9, n_open), 0)
    n_days = np.maximum(0, worked - last_offset) * reporting
    pace = rng.choice([1.0, 0.6], n_open, p=[0.8, 0.2])  # a fifth of the lines run slow
    rate = np.repeat(daily * pace, n_days)
    good = np.maximum(0, rng.normal(rate, np.repeat(daily, n_days) * 0.15)).round().astype(np.int64)
    del rate
    rejected = np.where(rng.random(len(good)) < 0.05, rng.integers(1, 20, len(good)), 0)
    reports = _Reports(calendars, start, open_sup, n_days, good, rejected, open_lines["quantity"].to_numpy())

    # --- backorders ------------------------------------------------------------------------
    n_bo = scale.backorders
    backorders = pd.DataFrame(
        {
            "id": np.arange(1, n_bo + 1),
            "order_ref": [f"SO-{9_000_000 + i}" for i in range(n_bo)],
            "customer": [f"Customer {i % 20_000}" for i in range(n_bo)],
            "item_id": rng.integers(1, n_items + 1, n_bo),
            "quantity": rng.integers(1, 300, n_bo),
            "order_date": pd.to_datetime(d - rng.integers(0, 60, n_bo).astype("timedelta64[D]")).date,
            "priority": rng.choice([0, 0, 0, 1, 2], n_bo),
            "status": "waiting",
            "communicated_date": np.where(
                rng.random(n_bo) < 0.3,
                pd.to_datetime(d + rng.integers(5, 60, n_bo).astype("timedelta64[D]")).date,
                None,
            ),
            "created_at": now,
        }
    )
    frames = {
        "suppliers": suppliers,
        "items": items,
        "po_lines": lines,
        "receipts": receipts,
        "production_schedules": schedules,
        "backorders": backorders,
    }
    return frames, reports


@dataclass(frozen=True)
class _Reports:
    """The open lines' daily reports, drawn but not yet rows: :meth:`chunks` builds them."""

    calendars: CalendarSet
    start: np.ndarray  # per open line (line id = index + 1)
    supplier: np.ndarray
    n_days: np.ndarray
    good: np.ndarray  # per report, in line order
    rejected: np.ndarray
    quantity: np.ndarray

    def __len__(self) -> int:
        return len(self.good)

    def chunks(self, size: int = REPORT_CHUNK) -> Iterator[tuple[pd.DataFrame, pd.Series]]:
        """(reports, the quantities of their lines) for whole lines, about ``size`` reports each."""
        ends = np.cumsum(self.n_days)
        first_line, first_report = 0, 0
        while first_line < len(self.n_days):
            # The last line whose reports end within this chunk (at least one line).
            last_line = max(first_line + 1, int(np.searchsorted(ends, first_report + size, side="right")))
            last_report = int(ends[last_line - 1])
            lines = np.arange(first_line, last_line)
            n = self.n_days[first_line:last_line]
            line_idx = np.repeat(lines, n)
            day_no = np.arange(len(line_idx)) - np.repeat(np.cumsum(n) - n, n)
            dates = self.calendars.offset(self.start[line_idx], day_no, self.supplier[line_idx])
            frame = pd.DataFrame(
                {
                    "id": np.arange(first_report + 1, last_report + 1),
                    "po_line_id": line_idx + 1,
                    "report_date": np.datetime_as_string(dates, unit="D"),
                    "revision": 1,
                    "good_qty": self.good[first_report:last_report],
                    "rejected_qty": self.rejected[first_report:last_report],
                    "note": None,
                    "is_current": True,
                    "created_by_name": "scale-generator",
                    "created_at": pd.to_datetime(dates) + pd.Timedelta(hours=17),
                }
            )
            quantities = pd.Series(self.quantity[first_line:last_line], index=lines + 1)
            yield frame, quantities[n > 0]
            first_line, first_report = last_line, last_report


TABLE_ORDER = (
    "suppliers",
    "items",
    "po_lines",
    "receipts",
    "production_schedules",
    "backorders",
)


@service(Role.ADMIN)
def load_scale(
    db: Database,
    actor: Actor,
    scale: str = "L",
    *,
    seed: int = 7,
    today: dt.date | None = None,
    progress: Progress = print,
    run_sweep: bool = True,
) -> dict[str, float]:
    """Generate and bulk-load a synthetic world of ``scale`` into an empty database; returns timings (s)."""
    if scale not in SCALES:
        raise PortalError(f"Unknown scale '{scale}': choose one of {', '.join(SCALES)}.")
    with db.read() as session:
        if session.execute(text("SELECT 1 FROM suppliers LIMIT 1")).first() is not None:
            raise PortalError(
                "The database already has suppliers: load a scale world into an empty database."
            )
    today = today or dt.date.today()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    frames, reports = generate(SCALES[scale], seed, today)
    timings["generate"] = time.perf_counter() - t0
    progress(
        f"Generated scale {scale} in {timings['generate']:.1f} s: "
        + ", ".join(f"{len(frames[t]):,} {t}" for t in TABLE_ORDER)
        + f", {len(reports):,} production_reports (built in chunks while writing)"
    )
    writer = _Writer(db)
    t1 = time.perf_counter()
    for table in TABLE_ORDER:
        start = time.perf_counter()
        writer.write(table, frames[table])
        progress(f"  {table}: {len(frames[table]):,} rows in {time.perf_counter() - start:.1f} s")
    # The reports chunk by chunk, each with its lines' production summaries (one revision each,
    # whole lines per chunk) and its part of the suppliers' daily output, summed at the end.
    start = time.perf_counter()
    span = Settings().forecast_ewm_span
    supplier_of = frames["po_lines"].set_index("id")["supplier_id"]
    daily_parts: list[pd.Series] = []
    written = summarised = 0
    for chunk, quantities in reports.chunks():
        writer.write("production_reports", chunk)
        summaries = summarize_frame(chunk.rename(columns={"po_line_id": "line_id"}), quantities, span)
        summaries = summaries[summaries["reported_days"] > 0].rename(columns={"line_id": "po_line_id"})
        for col in DATE_COLUMNS:
            summaries[col] = (
                pd.to_datetime(summaries[col]).dt.strftime("%Y-%m-%d").where(summaries[col].notna(), None)
            )
        writer.write("line_production_summaries", summaries.assign(updated_at=utcnow()))
        daily_parts.append(
            chunk.assign(supplier_id=supplier_of.reindex(chunk["po_line_id"]).to_numpy())
            .groupby(["supplier_id", "report_date"])["good_qty"]
            .sum()
        )
        written += len(chunk)
        summarised += len(summaries)
        elapsed = time.perf_counter() - start
        progress(
            f"  production_reports: {written:,} of {len(reports):,} rows"
            f" ({written / max(1, len(reports)):.0%})"
            f" and {summarised:,} line summaries in {elapsed:.1f} s"
        )
    # A supplier's day can span two chunks: sum the parts again.
    daily = pd.concat(daily_parts).groupby(level=[0, 1]).sum().reset_index() if daily_parts else None
    if daily is not None:
        writer.write("supplier_daily_outputs", daily)
    progress(f"  supplier_daily_outputs: {0 if daily is None else len(daily):,} rows")
    writer.reset_sequences((*TABLE_ORDER, "production_reports"))
    timings["insert"] = time.perf_counter() - t1
    from portal.demo.load import create_demo_user
    from portal.demo.world import DEMO_USERS

    with db.write() as session:
        for user in DEMO_USERS:
            if user.username == "supplier2":
                continue
            create_demo_user(session, actor, user, "S00001" if user.role == "supplier" else None)
        audit.record(session, actor, "demo.scale", "database", after={"scale": scale, "seed": seed})
        session.commit()
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    timings["load_total"] = time.perf_counter() - t0
    if run_sweep:
        from portal.services.planning import sweep

        t2 = time.perf_counter()
        result = sweep(db, actor, today)
        timings["sweep"] = time.perf_counter() - t2
        progress(result.summary())
        from portal.services.scorecards import refresh_scorecards

        t3 = time.perf_counter()
        refresh_scorecards(db, actor, today=today)
        timings["scorecards"] = time.perf_counter() - t3
    return timings
