"""A believable, deterministic demo world: suppliers, items, PO lines in every state, their
schedules, daily reports and receipts, customer backorders and one login per role.

Pure numpy/pandas (no database, no UI): :func:`generate_world` returns frames shaped like the
import files of DOMAIN.md ("File formats"), so the demo loader can push them through the same
checks and writes as a user's import. Everything is drawn from one seeded numpy Generator and
dated relative to ``today``: the same seed and day always give the same world.

Daily output is simulated per line as a whole array of working days (numpy's busday functions
on the supplier's calendar: weekmask, country holidays and closures), never day by day. The cast
(suppliers, items, the words people write) is in :mod:`portal.demo.cast`.

One module over 500 lines because the world is one simulation: :class:`_WorldBuilder` draws every
line's story from one seeded Generator in order, and cutting it apart would change the draws.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import holidays as holidays_lib
import numpy as np
import pandas as pd

from portal.core.calendar import WorkCalendar, default_holiday_years, to_date
from portal.core.domain import LineStatus, Role
from portal.demo.cast import (
    BREAKDOWN_REASONS,
    CUSTOMERS,
    DAY_NOTES,
    FURTHER_SLIP_REASONS,
    ITEM_CATALOG,
    MATERIAL_REASONS,
    REJECT_NOTES,
    SLOW_REASONS,
    SUPPLIERS,
    _Supplier,
)

SUPPLIER_COLUMNS = ["code", "name", "country", "transit_days", "capacity_per_day", "email"]
CLOSURE_COLUMNS = ["supplier_code", "closure_date", "reason"]
ITEM_COLUMNS = ["sku", "description", "on_hand"]
PO_COLUMNS = [
    "po_number",
    "line",
    "supplier_code",
    "sku",
    "quantity",
    "order_date",
    "need_by_date",
    "promised_date",
    "transit_days",
]
SCHEDULE_COLUMNS = ["po_number", "line", "start_date", "daily_output", "estimated_end_date", "reason"]
REPORT_COLUMNS = ["po_number", "line", "date", "good_qty", "rejected_qty", "note"]
RECEIPT_COLUMNS = ["po_number", "line", "received_date", "quantity", "rejected_qty"]
BACKORDER_COLUMNS = [
    "order_ref",
    "customer",
    "sku",
    "quantity",
    "order_date",
    "priority",
    "communicated_date",
]

#: How many lines of each state, and of each kind within a state (the world's shape).
LINE_PROFILES: dict[LineStatus, dict[str, int]] = {
    LineStatus.RECEIVED: {"history": 90},
    LineStatus.IN_PRODUCTION: {"normal": 112, "slow": 20, "stale": 16, "rejects": 12},
    LineStatus.SHIPPED: {"partial": 2, "in_transit": 13},
    LineStatus.OPEN: {"future": 12, "unscheduled": 8, "late_start": 5},
    LineStatus.CANCELLED: {"unstarted": 4, "scheduled": 2, "started": 4},
}
N_ITEMS = 60
N_BACKORDERS = 150
N_BACKORDERED_ITEMS = 40
#: Items with no open supply at all: their backorders cannot be promised.
N_UNSUPPLIED_ITEMS = 4
SHORT_SHIPPED_LINES = 5
RECEIPT_REJECT_LINES = 6
HISTORY_DAYS = 535

NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class DemoUser:
    """A demo login; supplier users belong to ``supplier_code``."""

    username: str
    password: str
    role: str
    supplier_code: str | None
    display_name: str
    email: str | None


@dataclass(frozen=True, eq=False)
class DemoWorld:
    """Everything the demo loader writes, in the import formats (dates as ``datetime.date``)."""

    today: dt.date
    suppliers: pd.DataFrame
    closures: pd.DataFrame
    working_weekdays: dict[str, str]
    items: pd.DataFrame
    pos: pd.DataFrame
    schedule_revisions: list[pd.DataFrame]
    reports: pd.DataFrame
    receipts: pd.DataFrame
    backorders: pd.DataFrame
    cancelled: list[tuple[str, int]]
    shipped: list[tuple[str, int]]
    users: list[DemoUser]


# ---------------------------------------------------------------------------- public API


def generate_world(seed: int = 7, today: dt.date | None = None) -> DemoWorld:
    """A believable demo world, the same for the same ``seed`` and ``today`` (default: the real today)."""
    return _WorldBuilder(np.random.default_rng(seed), today or dt.date.today()).build()


def supplier_calendars(world: DemoWorld) -> dict[str, WorkCalendar]:
    """Each demo supplier's working calendar (weekmask, country holidays, closures), by code."""
    return _calendars(world.suppliers, world.closures, world.working_weekdays, world.today)


def line_states(world: DemoWorld) -> pd.Series:
    """The status each line ends with once loaded, indexed by (po_number, line), as the import
    rules set it: output reported -> in production, received in full -> received, then the
    ``shipped`` and ``cancelled`` lists."""
    key = pd.MultiIndex.from_frame(world.pos[["po_number", "line"]])
    state = pd.Series(LineStatus.OPEN.value, index=key, dtype=object)
    reported = pd.MultiIndex.from_frame(world.reports[["po_number", "line"]].drop_duplicates())
    state[key.isin(reported)] = LineStatus.IN_PRODUCTION.value
    r = world.receipts
    good = (r["quantity"] - r["rejected_qty"]).groupby([r["po_number"], r["line"]]).sum()
    quantity = world.pos.set_index(["po_number", "line"])["quantity"]
    full = good.index[good.to_numpy() >= 0.98 * quantity.reindex(good.index).to_numpy()]
    state[key.isin(full)] = LineStatus.RECEIVED.value
    state[key.isin(world.shipped)] = LineStatus.SHIPPED.value
    state[key.isin(world.cancelled)] = LineStatus.CANCELLED.value
    return state


# ---------------------------------------------------------------------------- calendars


def _calendars(
    suppliers: pd.DataFrame, closures: pd.DataFrame, weekmasks: dict[str, str], today: dt.date
) -> dict[str, WorkCalendar]:
    years = default_holiday_years(today)
    by_code = closures.groupby("supplier_code")["closure_date"].agg(list).to_dict()
    return {
        code: WorkCalendar.for_supplier(country, weekmasks.get(code), by_code.get(code, []), years)
        for code, country in zip(suppliers["code"], suppliers["country"], strict=True)
    }


@lru_cache(maxsize=64)
def _chinese_new_year(year: int) -> dt.date | None:
    """The first day of the Spring Festival holiday in ``year`` (from the ``holidays`` package)."""
    names = holidays_lib.country_holidays("CN", years=year, language="en_US")
    days = [d for d, name in names.items() if "Spring Festival" in name]
    return min(days) if days else None


def _closures(today: dt.date) -> pd.DataFrame:
    """Factory shutdowns around ``today``, listed only on days that would otherwise be worked."""
    first, last = default_holiday_years(today)
    window = (today - dt.timedelta(days=600), today + dt.timedelta(days=400))
    spans: list[tuple[str, dt.date, dt.date, str]] = []
    for year in range(today.year - 2, today.year + 2):
        spans.append(("ACME-DE", dt.date(year, 12, 24), dt.date(year, 12, 31), "Year-end shutdown"))
        spans.append(("TESSA-IT", dt.date(year, 8, 10), dt.date(year, 8, 21), "Summer shutdown (Ferragosto)"))
        spans.append(("MINHO-PT", dt.date(year, 8, 3), dt.date(year, 8, 7), "Summer holidays"))
        cny = _chinese_new_year(year)
        if cny is not None:
            # Factories close longer than the official holiday: workers travel home and back.
            spans.append(
                (
                    "PEARL-CN",
                    cny - dt.timedelta(days=4),
                    cny + dt.timedelta(days=10),
                    "Chinese New Year shutdown",
                )
            )
    spec = {s.code: s for s in SUPPLIERS}
    rows: list[tuple[str, dt.date, str]] = []
    for code, begin, end, reason in spans:
        sup = spec[code]
        public = WorkCalendar.for_supplier(sup.country, sup.weekmask, (), (first, last))
        days = np.arange(np.datetime64(begin, "D"), np.datetime64(end, "D") + 1)
        days = days[np.is_busday(days, busdaycal=public.busdaycal)]
        rows.extend((code, d, reason) for d in days.astype(object) if window[0] <= d <= window[1])
    return pd.DataFrame(rows, columns=CLOSURE_COLUMNS).sort_values(
        ["supplier_code", "closure_date"], ignore_index=True
    )


# ---------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class _Event:
    """What happens to a line's production: ``kind`` on working day ``at`` (index from the start)."""

    kind: str  # breakdown (size = days stopped), shortage (size = output factor after), pullin, slow
    at: int
    size: float
    reason: str = ""  # what the supplier says, in its reports and its revised schedule


@dataclass
class _Line:
    state: LineStatus
    profile: str
    supplier: _Supplier
    sku: str
    quantity: int
    daily_output: int
    transit_override: int | None = None
    order_date: np.datetime64 = NAT
    need_by: np.datetime64 = NAT
    promised: np.datetime64 = NAT
    revisions: list[tuple[np.datetime64, int, np.datetime64, str | None]] = field(default_factory=list)
    report_dates: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[D]"))
    good: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    rejected: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    notes: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    receipts: list[tuple[np.datetime64, int, int]] = field(default_factory=list)
    po_number: str = ""
    line_no: int = 0

    @property
    def transit(self) -> int:
        return self.transit_override if self.transit_override is not None else self.supplier.transit

    @property
    def planned_days(self) -> int:
        return math.ceil(self.quantity / self.daily_output)


def _days(n: int | np.integer) -> np.timedelta64:
    return np.timedelta64(int(n), "D")


class _WorldBuilder:
    """Draws the world step by step from one Generator; the order of draws is the world's identity."""

    def __init__(self, rng: np.random.Generator, today: dt.date):
        self.rng = rng
        self.today = today
        self.T = np.datetime64(today, "D")
        self.closures = _closures(today)
        self.weekmasks = {s.code: s.weekmask for s in SUPPLIERS}
        frame = pd.DataFrame({"code": [s.code for s in SUPPLIERS], "country": [s.country for s in SUPPLIERS]})
        self.cals = {
            code: cal.busdaycal
            for code, cal in _calendars(frame, self.closures, self.weekmasks, today).items()
        }
        self.short_left = SHORT_SHIPPED_LINES
        self.reject_left = RECEIPT_REJECT_LINES

    # --- small helpers ---------------------------------------------------------------------

    def _int(self, low: int, high: int) -> int:
        """A whole number in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def _wd(
        self, line: _Line, day: np.datetime64, n: int, roll: Literal["forward", "backward"] = "forward"
    ) -> np.datetime64:
        """The supplier's working day ``n`` working days from ``day`` (rolled to a working day first)."""
        return np.busday_offset(day, n, roll=roll, busdaycal=self.cals[line.supplier.code])

    def _wds(self, line: _Line, day: np.datetime64, offsets: np.ndarray) -> np.ndarray:
        """The supplier's working days at each of ``offsets`` working days from ``day``."""
        return np.busday_offset(day, offsets, roll="forward", busdaycal=self.cals[line.supplier.code])

    def _last_wd(self, line: _Line, day: np.datetime64) -> np.datetime64:
        """The supplier's last working day on or before ``day``."""
        return self._wd(line, day, 0, roll="backward")

    def _receiving_day(self, day: np.datetime64) -> np.datetime64:
        """The warehouse receives Monday to Friday, and nothing is received after today."""
        return min(np.busday_offset(day, 0, roll="forward"), self.T)

    def _pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    # --- the world -------------------------------------------------------------------------

    def build(self) -> DemoWorld:
        items = self._items()
        lines = self._lines(items)
        self._group_into_pos(lines)
        suppliers = self._suppliers(lines)
        items = self._on_hand(items)
        backorders, items = self._backorders(items, lines)
        schedules = self._schedule_frames(lines)
        return DemoWorld(
            today=self.today,
            suppliers=suppliers,
            closures=self.closures,
            working_weekdays=dict(self.weekmasks),
            items=items,
            pos=self._pos_frame(lines),
            schedule_revisions=schedules,
            reports=self._reports_frame(lines),
            receipts=self._receipts_frame(lines),
            backorders=backorders,
            cancelled=[(ln.po_number, ln.line_no) for ln in lines if ln.state is LineStatus.CANCELLED],
            shipped=[(ln.po_number, ln.line_no) for ln in lines if ln.state is LineStatus.SHIPPED],
            users=_users(),
        )

    def _items(self) -> pd.DataFrame:
        pairs = [(cat, desc) for cat, descs in ITEM_CATALOG.items() for desc in descs]
        order = self.rng.permutation(len(pairs))
        rows = [(f"SKU-{1001 + i}", pairs[j][1], pairs[j][0]) for i, j in enumerate(order)]
        frame = pd.DataFrame(rows, columns=["sku", "description", "category"])
        unsupplied = self.rng.choice(len(frame), N_UNSUPPLIED_ITEMS, replace=False)
        frame["unsupplied"] = False
        frame.loc[unsupplied, "unsupplied"] = True
        return frame

    def _lines(self, items: pd.DataFrame) -> list[_Line]:
        build = {
            LineStatus.RECEIVED: self._received,
            LineStatus.IN_PRODUCTION: self._in_production,
            LineStatus.SHIPPED: self._shipped,
            LineStatus.OPEN: self._open,
            LineStatus.CANCELLED: self._cancelled,
        }
        lines: list[_Line] = []
        for state, profiles in LINE_PROFILES.items():
            for profile, count in profiles.items():
                for _ in range(count):
                    line = self._new_line(state, profile, items)
                    build[state](line)
                    lines.append(line)
        return lines

    def _new_line(self, state: LineStatus, profile: str, items: pd.DataFrame) -> _Line:
        """A line's supplier, item, quantity and planned daily output."""
        pool = list(SUPPLIERS)
        if state is LineStatus.SHIPPED:
            # In transit for a while only from suppliers some days away; a split lot needs a short trip.
            low, high = (5, 12) if profile == "partial" else (5, 99)
            pool = [s for s in pool if low <= s.transit <= high]
        weights = np.array([s.weight for s in pool])
        supplier = pool[int(self.rng.choice(len(pool), p=weights / weights.sum()))]
        candidates = items[items["category"] == supplier.category]
        if state in (LineStatus.OPEN, LineStatus.IN_PRODUCTION, LineStatus.SHIPPED):
            candidates = candidates[~candidates["unsupplied"]]
        elif state is LineStatus.CANCELLED and profile == "unstarted" and candidates["unsupplied"].any():
            # The cancelled order is why an unsupplied item has no supply.
            candidates = candidates[candidates["unsupplied"]]
        sku = str(candidates["sku"].iloc[int(self.rng.integers(len(candidates)))])
        quantity = self._quantity()
        long_run = profile in ("partial", "stale")
        days = self._int(20, 60) if long_run else int(np.clip(round(self.rng.triangular(5, 14, 60)), 5, 60))
        daily = _nice_output(quantity / days)
        daily = min(max(daily, math.ceil(quantity / 60)), quantity // 5)
        line = _Line(state, profile, supplier, sku, quantity, daily)
        if supplier.transit >= 20 and self.rng.random() < 0.12:
            line.transit_override = self._int(6, 9)  # sent by air
        return line

    def _quantity(self) -> int:
        q = math.exp(self.rng.uniform(math.log(200), math.log(20000)))
        step = 10 if q < 1000 else 50 if q < 5000 else 100
        return int(np.clip(round(q / step) * step, 200, 20000))

    # --- production ------------------------------------------------------------------------

    def _event(self, line: _Line, probability: float, kinds: Sequence[str], last_at: int) -> _Event | None:
        """Maybe an event on a working day in [1, last_at]."""
        if last_at < 1 or self.rng.random() >= probability:
            return None
        kind = self._pick(kinds)
        at = self._int(1, last_at)
        size = {
            "breakdown": self._int(2, 4),
            "shortage": self.rng.uniform(0.55, 0.8),
            "pullin": self.rng.uniform(1.12, 1.25),
        }.get(kind, 0.0)
        reason = {
            "breakdown": self._pick(BREAKDOWN_REASONS),
            "shortage": MATERIAL_REASONS[line.supplier.category],
        }
        return _Event(kind, at, float(size), reason.get(kind, ""))

    def _factors(self, n: int, rate: float, event: _Event | None) -> np.ndarray:
        factors = np.full(n, rate)
        if event is not None and event.kind == "breakdown":
            factors[event.at : event.at + int(event.size)] = 0.0
        elif event is not None and event.kind == "shortage":
            factors[event.at :] *= event.size
        return factors

    def _outputs(self, line: _Line, factors: np.ndarray) -> np.ndarray:
        """Good output per working day: plan x factor, with day-to-day noise and a few bad days."""
        n = len(factors)
        cv = self.rng.uniform(0.06, 0.18)
        noise = 1 + cv * self.rng.standard_normal(n)
        dips = np.where(self.rng.random(n) < 0.04, self.rng.uniform(0.3, 0.7, n), 1.0)
        return np.maximum(0, np.rint(line.daily_output * factors * noise * dips)).astype(np.int64)

    def _complete_run(
        self, line: _Line, rate: float, event: _Event | None
    ) -> tuple[np.ndarray, _Event | None]:
        """Daily good output from the first day until the quantity is made (the last day tops it up)."""
        q = line.quantity
        low = rate * (event.size if event is not None and event.kind == "shortage" else 1.0)
        n_max = math.ceil(q / (0.25 * line.daily_output * low)) + 20
        good = self._outputs(line, self._factors(n_max, rate, event))
        cum = np.cumsum(good)
        if cum[-1] < q:
            good[-1] += q - cum[-1]
            return good, event
        m = int(np.searchsorted(cum, q)) + 1
        good = good[:m].copy()
        good[-1] = q - (cum[m - 2] if m > 1 else 0)
        if event is not None and event.at >= m - 1:
            event = None  # production ended before the event
        return good, event

    def _reject_rate(self, line: _Line, high: bool = False) -> float:
        if high:
            return float(self.rng.uniform(0.07, 0.14))
        if self.rng.random() < 0.4:
            return 0.0
        return float(min(0.03, line.supplier.reject_p * self.rng.lognormal(0.0, 0.5)))

    def _report(
        self,
        line: _Line,
        dates: np.ndarray,
        good: np.ndarray,
        reject_rate: float,
        reported: np.ndarray,
        event: _Event | None,
    ) -> None:
        """Keep the reported days; an unreported day's output comes with the next report."""
        n = len(dates)
        rejected = self.rng.binomial(good, reject_rate).astype(np.int64)
        idx = np.where(reported, np.arange(n), n)
        next_report = np.minimum.accumulate(idx[::-1])[::-1]
        carried = next_report < n
        good_sum = np.bincount(next_report[carried], weights=good[carried], minlength=n).astype(np.int64)
        rej_sum = np.bincount(next_report[carried], weights=rejected[carried], minlength=n).astype(np.int64)
        notes = np.full(n, None, dtype=object)
        self._sprinkle(notes, self.rng.random(n) < 0.03, DAY_NOTES)
        share = rej_sum / np.maximum(1, good_sum + rej_sum)
        self._sprinkle(notes, (share > 0.08) & (self.rng.random(n) < 0.5), REJECT_NOTES)
        if event is not None and event.kind == "breakdown":
            notes[event.at : event.at + int(event.size)] = f"{event.reason}, waiting for parts"
        elif event is not None and event.kind == "shortage":
            notes[event.at] = f"{event.reason}: running at reduced speed"
        # A report after a gap says which days it covers.
        missed = carried & ~reported
        first_missed = np.full(n, n)
        np.minimum.at(first_missed, next_report[missed], np.flatnonzero(missed))
        covers = first_missed < n
        labels = np.datetime_as_string(dates[np.minimum(first_missed, n - 1)], unit="D")
        notes[covers] = np.char.add("Includes output since ", labels[covers].astype(str)).astype(object)
        keep = reported
        line.report_dates = dates[keep]
        line.good = good_sum[keep]
        line.rejected = rej_sum[keep]
        line.notes = notes[keep]

    def _sprinkle(self, notes: np.ndarray, where: np.ndarray, choices: Sequence[str]) -> None:
        """Put one of ``choices`` (drawn per day) on the days ``where`` holds."""
        picks = np.array(choices, dtype=object)[self.rng.integers(0, len(choices), len(notes))]
        notes[where] = picks[where]

    def _reported_mask(self, line: _Line, n: int, event: _Event | None) -> np.ndarray:
        reported = self.rng.random(n) >= line.supplier.gap_p
        if event is not None and event.kind == "breakdown":
            reported[event.at : event.at + int(event.size)] = True  # a stop is reported, with its reason
        elif event is not None:
            reported[min(event.at, n - 1)] = True
        return reported

    def _revisions(self, line: _Line, start: np.datetime64, event: _Event | None, rate: float) -> None:
        """Revision 1 is the plan; an event may bring a revision 2, some slips a 3rd and 4th."""
        d, q = line.daily_output, line.quantity
        # Planners round their end date up by a day or two of slack.
        slack = int(self.rng.choice(4, p=[0.3, 0.3, 0.25, 0.15]))
        end1 = self._wd(line, start, line.planned_days - 1 + slack)
        revs: list[tuple[np.datetime64, int, np.datetime64, str | None]] = [(start, d, end1, None)]
        if event is not None and event.kind == "breakdown":
            revs.append((start, d, self._wd(line, end1, int(event.size)), event.reason))
        elif event is not None and event.kind in ("shortage", "slow"):
            factor = event.size if event.kind == "shortage" else rate
            new_d = max(1, round(d * factor))
            done = min(q - 1, round(d * rate * event.at))
            end = self._wd(line, start, event.at + math.ceil((q - done) / new_d) - 1)
            end = max(end, self._wd(line, end1, self._int(1, 3)))
            reason = event.reason if event.kind == "shortage" else self._pick(SLOW_REASONS)
            revs.append((start, new_d, end, reason))
        elif event is not None and event.kind == "pullin":
            new_d = max(d + 1, round(d * event.size))
            end = self._wd(line, start, math.ceil(q / new_d) - 1)
            if end < end1:
                revs.append((start, new_d, end, None))
        if len(revs) > 1 and revs[-1][2] > end1:
            # Once a date slips, it often slips again.
            while len(revs) < 4 and self.rng.random() < 0.3:
                _, prev_d, prev_end, _ = revs[-1]
                new_d = max(1, round(prev_d * self.rng.uniform(0.8, 0.95)))
                end = max(self._wd(line, start, math.ceil(q / new_d) - 1), self._wd(line, prev_end, 2))
                revs.append((start, new_d, end, self._pick(FURTHER_SLIP_REASONS)))
        line.revisions = revs

    def _order_before(self, start: np.datetime64, low: int = 7, high: int = 45) -> np.datetime64:
        return min(start, self.T) - _days(self._int(low, high))

    def _need_by(self, line: _Line, arrival: np.datetime64, outlook: str) -> np.datetime64:
        """The buyer's need-by date against an expected arrival: comfortable, tight or already late."""
        margin = {"comfortable": (8, 40), "at_risk": (0, 2), "late": (-15, -2)}[outlook]
        need_by = arrival + _days(self._int(*margin))
        return max(need_by, line.order_date + _days(10))

    # --- states ----------------------------------------------------------------------------

    def _received(self, line: _Line) -> None:
        """A delivered line: full production history, one or two receipts, on time or late."""
        late = self.rng.random() < line.supplier.late_p
        if late:
            event = self._event(line, 0.7, ("shortage", "breakdown"), max(1, int(line.planned_days * 0.6)))
        else:
            event = self._event(line, 0.22, ("pullin", "shortage", "breakdown"), int(line.planned_days * 0.6))
        rate = event.size if event is not None and event.kind == "pullin" else self.rng.uniform(0.88, 1.1)
        good, event = self._complete_run(line, float(rate), event)
        transit = line.transit
        handling = self._int(1, 3)
        target = self.T - _days(self._int(5, HISTORY_DAYS))
        end = self._last_wd(line, target - _days(transit + handling))
        dates = self._wds(line, end, np.arange(-(len(good) - 1), 1))
        reported = self._reported_mask(line, len(good), event)
        reported[-1] = True
        self._report(line, dates, good, self._reject_rate(line), reported, event)
        start = dates[0]
        self._revisions(line, start, event, float(rate))
        line.order_date = self._order_before(start)
        delay = self._int(0, 5) if late else 0
        received = self._receiving_day(end + _days(handling + transit + delay))
        q = line.quantity
        if self.short_left and received <= self.T - _days(35) and self.rng.random() < 0.15:
            self.short_left -= 1
            first = int(round(q * self.rng.uniform(0.6, 0.9) / 10) * 10)
            second = self._receiving_day(received + _days(self._int(7, 28)))
            line.receipts = [(received, first, 0), (second, q - first, 0)]
        elif self.reject_left and self.rng.random() < 0.12:
            self.reject_left -= 1
            line.receipts = [(received, q, max(1, int(q * self.rng.uniform(0.005, 0.02))))]
        else:
            line.receipts = [(received, q, 0)]
        delivered = line.receipts[-1][0]
        due = delivered - _days(self._int(1, 20)) if late else delivered + _days(self._int(0, 12))
        due = max(due, line.order_date + _days(10))
        if self.rng.random() < 0.4:
            line.promised = due
            line.need_by = max(due + _days(self._int(-3, 10)), line.order_date + _days(10))
        else:
            line.need_by = due

    def _in_production(self, line: _Line) -> None:
        """A line in production today: reports up to today, with the profile's kind of trouble."""
        profile = line.profile
        event: _Event | None = None
        rate = float(np.clip(self.rng.normal(1.03, 0.06), 0.85, 1.2))
        if profile == "slow":
            rate = float(self.rng.uniform(0.5, 0.7))
        elif profile == "normal" and self.rng.random() < 0.07:
            rate = float(self.rng.uniform(1.12, 1.25))
            event = _Event("pullin", 0, rate)  # its day is drawn once the elapsed days are known
        stale_days = self._int(4, 8) if profile == "stale" else 0
        needed = math.ceil(line.quantity / (line.daily_output * rate))
        elapsed = max(round(self.rng.uniform(0.1, 0.85) * needed), stale_days + 3, 2)
        last_reportable = elapsed - stale_days - 1
        if event is not None:
            event = _Event("pullin", self._int(1, max(1, elapsed - 1)), rate)
        elif profile == "normal" and elapsed >= 5:
            event = self._event(line, 0.25, ("shortage", "breakdown"), elapsed - 3)
        elif profile == "slow" and self.rng.random() < 0.5:
            event = _Event("slow", min(3, elapsed - 1), rate)
        elif profile == "stale" and last_reportable >= 4:
            event = self._event(line, 0.15, ("breakdown",), last_reportable - 3)
        good = self._outputs(line, self._factors(elapsed, rate, event))
        # Not finished yet: keep a remainder to produce.
        cap = line.quantity - max(1, math.ceil(0.03 * line.quantity))
        good = np.diff(np.minimum(np.cumsum(good), cap), prepend=0)
        last_wd = self._last_wd(line, self.T)
        dates = self._wds(line, last_wd, np.arange(-(elapsed - 1), 1))
        reported = self._reported_mask(line, elapsed, event)
        if stale_days:
            reported[-stale_days:] = False
            reported[-stale_days - 1] = True
        else:
            reported[-2:] = True
            # Today's output may not be posted yet.
            reported[-1] = dates[-1] < self.T or self.rng.random() < 0.85
        self._report(line, dates, good, self._reject_rate(line, high=profile == "rejects"), reported, event)
        start = dates[0]
        self._revisions(line, start, event, rate)
        line.order_date = self._order_before(start)
        recent = good[-10:]
        observed = float(recent.mean()) if recent.sum() > 0 else float(line.daily_output)
        remaining = line.quantity - int(line.good.sum())
        completion = self._wd(line, last_wd, math.ceil(remaining / observed))
        outlooks = ["comfortable", "at_risk", "late"]
        odds = [0.15, 0.15, 0.7] if profile == "slow" else [0.55, 0.2, 0.25]
        line.need_by = self._need_by(
            line, completion + _days(line.transit), outlooks[self.rng.choice(3, p=odds)]
        )
        if self.rng.random() < 0.3:
            line.promised = line.revisions[0][2] + _days(line.transit + self._int(0, 3))

    def _shipped(self, line: _Line) -> None:
        """Production finished a few days ago, the goods are on their way; some lots already arrived."""
        transit = line.transit
        event = self._event(line, 0.25, ("shortage", "breakdown"), int(line.planned_days * 0.6))
        rate = float(self.rng.uniform(0.9, 1.1))
        good, event = self._complete_run(line, rate, event)
        if line.profile == "partial":
            end = self._last_wd(line, self.T - _days(1))
        else:
            end = self._last_wd(line, self.T - _days(self._int(1, max(1, transit - 1))))
        if end + _days(transit) <= self.T:
            end = self._last_wd(line, self.T - _days(1))
        dates = self._wds(line, end, np.arange(-(len(good) - 1), 1))
        reported = self._reported_mask(line, len(good), event)
        reported[-1] = True
        self._report(line, dates, good, self._reject_rate(line), reported, event)
        start = dates[0]
        self._revisions(line, start, event, rate)
        line.order_date = self._order_before(start)
        arrival = end + _days(transit)
        line.need_by = max(arrival + _days(self._int(-10, 15)), line.order_date + _days(10))
        if line.profile == "partial":
            # A first lot left half-way through production and has arrived; the rest is on its way.
            cum = np.cumsum(good)
            lot_at = int(np.searchsorted(cum, self.rng.uniform(0.4, 0.7) * line.quantity))
            lot_at = min(lot_at, int(np.searchsorted(dates + _days(transit), self.T, side="right")) - 1)
            lot = int(cum[lot_at]) // 10 * 10 if lot_at >= 0 else 0
            if lot >= 0.15 * line.quantity:
                line.receipts = [(self._receiving_day(dates[lot_at] + _days(transit)), lot, 0)]

    def _open(self, line: _Line) -> None:
        """Not started: a plan starting later, no plan yet, or a start date passed with no output."""
        last_wd = self._last_wd(line, self.T)
        if line.profile == "unscheduled":
            line.order_date = self.T - _days(self._int(0, 20))
            line.need_by = self.T + _days(self._int(20, 90))
            return
        if line.profile == "future":
            start = self._wd(line, last_wd, self._int(2, 25))
            line.order_date = self.T - _days(self._int(2, 30))
        else:
            start = self._wd(line, last_wd, -self._int(3, 8))
            line.order_date = self._order_before(start, 7, 30)
        self._revisions(line, start, None, 1.0)
        if line.profile == "future" and self.rng.random() < 0.2:
            shift = self._int(3, 10)
            _, d, end, _ = line.revisions[0]
            reason = MATERIAL_REASONS[line.supplier.category]
            line.revisions.append((self._wd(line, start, shift), d, self._wd(line, end, shift), reason))
        arrival = line.revisions[-1][2] + _days(line.transit)
        if line.profile == "future":
            outlook = ["comfortable", "at_risk", "late"][self.rng.choice(3, p=[0.6, 0.2, 0.2])]
            line.need_by = self._need_by(line, arrival, outlook)
        else:
            line.need_by = max(arrival + _days(self._int(-5, 15)), line.order_date + _days(10))
        if self.rng.random() < 0.3:
            line.promised = line.revisions[0][2] + _days(line.transit + self._int(0, 3))

    def _cancelled(self, line: _Line) -> None:
        """Cancelled before it started, with a plan only, or part-way through production."""
        if line.profile == "unstarted":
            line.order_date = self.T - _days(self._int(10, 60))
            line.need_by = line.order_date + _days(self._int(30, 90))
            return
        if line.profile == "scheduled":
            start = self._wd(line, self._last_wd(line, self.T), self._int(3, 20))
            line.order_date = self.T - _days(self._int(5, 40))
            self._revisions(line, start, None, 1.0)
        else:
            stopped = self._last_wd(line, self.T - _days(self._int(10, 60)))
            elapsed = max(2, round(self.rng.uniform(0.2, 0.6) * line.planned_days))
            good = self._outputs(line, self._factors(elapsed, 1.0, None))
            dates = self._wds(line, stopped, np.arange(-(elapsed - 1), 1))
            reported = self._reported_mask(line, elapsed, None)
            reported[-1] = True
            self._report(line, dates, good, self._reject_rate(line), reported, None)
            start = dates[0]
            line.order_date = self._order_before(start, 7, 30)
            self._revisions(line, start, None, 1.0)
        arrival = line.revisions[0][2] + _days(line.transit)
        line.need_by = max(arrival + _days(self._int(0, 20)), line.order_date + _days(10))

    # --- purchase orders and suppliers ---------------------------------------------------------

    def _group_into_pos(self, lines: list[_Line]) -> None:
        """Lines of one supplier ordered within ten days of each other share a PO (up to four lines)."""
        pos: list[list[_Line]] = []
        for sup in SUPPLIERS:
            own = sorted((ln for ln in lines if ln.supplier is sup), key=lambda ln: (ln.order_date, ln.sku))
            current: list[_Line] = []
            for ln in own:
                if current and (len(current) == 4 or ln.order_date - current[0].order_date > _days(10)):
                    pos.append(current)
                    current = []
                current.append(ln)
            if current:
                pos.append(current)
        pos.sort(key=lambda po: (po[0].order_date, po[0].supplier.code))
        numbers = 40100 + np.cumsum(self.rng.integers(1, 4, len(pos)))
        unknown = set(self.rng.choice(len(pos), 5, replace=False).tolist())
        for i, (po, number) in enumerate(zip(pos, numbers, strict=True)):
            ordered = NAT if i in unknown else po[0].order_date
            for k, ln in enumerate(po, start=1):
                ln.po_number, ln.line_no, ln.order_date = f"PO-{number}", k, ordered

    def _suppliers(self, lines: list[_Line]) -> pd.DataFrame:
        rows = []
        for sup in SUPPLIERS:
            load = sum(
                ln.revisions[-1][1]
                for ln in lines
                if ln.supplier is sup and ln.state is LineStatus.IN_PRODUCTION and ln.revisions
            )
            capacity = None
            if sup.capacity_factor is not None:
                # Declared against the current plan; one supplier declares less than it has taken on.
                capacity = max(50, math.ceil(max(load, 400) * sup.capacity_factor / 50) * 50)
            rows.append((sup.code, sup.name, sup.country, sup.transit, capacity, "; ".join(sup.emails)))
        frame = pd.DataFrame(rows, columns=SUPPLIER_COLUMNS)
        frame["capacity_per_day"] = frame["capacity_per_day"].astype("Int64")
        return frame

    # --- stock and customer orders -----------------------------------------------------------

    def _on_hand(self, items: pd.DataFrame) -> pd.DataFrame:
        """Free stock: mostly none or a little (the backordered items get theirs in _backorders)."""
        n = len(items)
        kind = self.rng.choice(3, n, p=[0.35, 0.45, 0.2])
        some, plenty = self.rng.integers(5, 81, n), self.rng.integers(100, 801, n)
        amounts = np.where(kind == 0, 0, np.where(kind == 1, some, plenty))
        return items.assign(on_hand=amounts.astype(np.int64))

    def _backorders(self, items: pd.DataFrame, lines: list[_Line]) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng = self.rng
        supply = _open_supply(lines)
        unsupplied = items.loc[items["unsupplied"], "sku"].tolist()
        others = items.loc[~items["unsupplied"], "sku"].tolist()
        picked = rng.choice(len(others), N_BACKORDERED_ITEMS - len(unsupplied), replace=False)
        # One item with little on order is wanted by more customers than that order can serve.
        thin = min((s for s in others if supply.get(s, 0) > 0), key=lambda s: (supply[s], s))
        rest = [others[i] for i in picked if others[i] != thin][: len(picked) - 1]
        chosen = [*unsupplied, thin, *rest]
        # Out of stock is why there are backorders: little or no free stock for these items.
        on_hand = items.set_index("sku")["on_hand"].copy()
        small = np.where(rng.random(len(chosen)) < 0.6, 0, rng.integers(1, 16, len(chosen)))
        on_hand[chosen] = small
        on_hand[unsupplied] = 0
        popularity = rng.gamma(1.0, 1.0, len(chosen))
        extra = rng.choice(len(chosen), N_BACKORDERS - len(chosen), p=popularity / popularity.sum())
        sku = np.array(chosen, dtype=object)[np.concatenate([np.arange(len(chosen)), extra])]
        n = len(sku)
        quantity = np.clip(np.rint(rng.lognormal(np.log(12), 1.2, n)), 1, 500).astype(np.int64)
        need = supply[thin] + int(on_hand[thin]) + self._int(50, 300)
        if need <= 3600:
            count = max(int((sku == thin).sum()), math.ceil(need / 450))
            rows = [int(i) for i in np.flatnonzero(sku == thin)]
            donors = [i for i in range(len(chosen), n) if sku[i] != thin and sku[i] not in unsupplied]
            rows += donors[: max(0, count - len(rows))]
            sku[rows] = thin
            quantity[rows] = np.minimum(500, math.ceil(need / len(rows)))
        ordered = self.T - rng.integers(0, 61, n).astype("timedelta64[D]")
        priority = rng.choice(3, n, p=[0.8, 0.15, 0.05])
        # 30% of the customers were told a date; half of those dates were optimistic.
        told = np.zeros(n, dtype=bool)
        told[rng.choice(n, round(0.3 * n), replace=False)] = True
        optimistic = rng.random(n) < 0.5
        communicated = np.where(
            optimistic,
            ordered + rng.integers(5, 15, n).astype("timedelta64[D]"),
            self.T + rng.integers(40, 121, n).astype("timedelta64[D]"),
        )
        communicated = np.where(told, communicated, NAT)
        customer = np.array(CUSTOMERS, dtype=object)[rng.integers(0, len(CUSTOMERS), n)]
        order = np.lexsort((sku.astype(str), ordered))
        refs = 20000 + np.cumsum(rng.integers(3, 40, n))
        frame = pd.DataFrame(
            {
                "order_ref": [f"SO-{r}" for r in refs],
                "customer": customer[order],
                "sku": sku[order],
                "quantity": quantity[order],
                "order_date": ordered[order].astype(object),
                "priority": priority[order].astype(np.int64),
                "communicated_date": [to_date(d) for d in communicated[order]],
            }
        )
        items = items.assign(on_hand=on_hand.reindex(items["sku"]).to_numpy().astype(np.int64))
        return frame[BACKORDER_COLUMNS], items[ITEM_COLUMNS]

    # --- frames ----------------------------------------------------------------------------

    def _pos_frame(self, lines: list[_Line]) -> pd.DataFrame:
        ordered = sorted(lines, key=lambda ln: (ln.po_number, ln.line_no))
        frame = pd.DataFrame(
            {
                "po_number": [ln.po_number for ln in ordered],
                "line": [ln.line_no for ln in ordered],
                "supplier_code": [ln.supplier.code for ln in ordered],
                "sku": [ln.sku for ln in ordered],
                "quantity": [ln.quantity for ln in ordered],
                "order_date": [to_date(ln.order_date) for ln in ordered],
                "need_by_date": [to_date(ln.need_by) for ln in ordered],
                "promised_date": [to_date(ln.promised) for ln in ordered],
                "transit_days": pd.array([ln.transit_override for ln in ordered], dtype="Int64"),
            }
        )
        return frame[PO_COLUMNS]

    def _schedule_frames(self, lines: list[_Line]) -> list[pd.DataFrame]:
        depth = max(len(ln.revisions) for ln in lines)
        frames = []
        for k in range(depth):
            having = sorted(
                (ln for ln in lines if len(ln.revisions) > k), key=lambda ln: (ln.po_number, ln.line_no)
            )
            frames.append(
                pd.DataFrame(
                    {
                        "po_number": [ln.po_number for ln in having],
                        "line": [ln.line_no for ln in having],
                        "start_date": [to_date(ln.revisions[k][0]) for ln in having],
                        "daily_output": [int(ln.revisions[k][1]) for ln in having],
                        "estimated_end_date": [to_date(ln.revisions[k][2]) for ln in having],
                        "reason": [ln.revisions[k][3] for ln in having],
                    },
                    columns=SCHEDULE_COLUMNS,
                )
            )
        return frames

    def _reports_frame(self, lines: list[_Line]) -> pd.DataFrame:
        having = sorted(
            (ln for ln in lines if len(ln.report_dates)), key=lambda ln: (ln.po_number, ln.line_no)
        )
        sizes = [len(ln.report_dates) for ln in having]
        frame = pd.DataFrame(
            {
                "po_number": np.repeat([ln.po_number for ln in having], sizes).astype(object),
                "line": np.repeat([ln.line_no for ln in having], sizes).astype(np.int64),
                "date": np.concatenate([ln.report_dates for ln in having]).astype(object),
                "good_qty": np.concatenate([ln.good for ln in having]).astype(np.int64),
                "rejected_qty": np.concatenate([ln.rejected for ln in having]).astype(np.int64),
                "note": np.concatenate([ln.notes for ln in having]),
            }
        )
        return frame[REPORT_COLUMNS]

    def _receipts_frame(self, lines: list[_Line]) -> pd.DataFrame:
        rows = [
            (ln.po_number, ln.line_no, to_date(day), qty, rej)
            for ln in sorted(lines, key=lambda ln: (ln.po_number, ln.line_no))
            for day, qty, rej in ln.receipts
        ]
        frame = pd.DataFrame(rows, columns=RECEIPT_COLUMNS)
        return frame.astype({"line": np.int64, "quantity": np.int64, "rejected_qty": np.int64})


def _nice_output(per_day: float) -> int:
    """A daily output a planner would write: whole units, then fives, then tens."""
    step = 1 if per_day < 20 else 5 if per_day < 200 else 10
    return max(1, round(per_day / step) * step)


def _open_supply(lines: list[_Line]) -> dict[str, int]:
    """Per sku: quantity on order and not yet received, over the lines still awaiting goods."""
    supply: dict[str, int] = {}
    for ln in lines:
        if ln.state in (LineStatus.OPEN, LineStatus.IN_PRODUCTION, LineStatus.SHIPPED):
            received = sum(q - r for _, q, r in ln.receipts)
            supply[ln.sku] = supply.get(ln.sku, 0) + max(0, ln.quantity - received)
    return supply


def _users() -> list[DemoUser]:
    return [
        DemoUser(
            "supplier",
            "supplier-demo-1",
            Role.SUPPLIER.value,
            SUPPLIERS[0].code,
            f"Jonas Weber ({SUPPLIERS[0].code})",
            "jonas.weber@example.com",
        ),
        DemoUser(
            "supplier2",
            "supplier2-demo-2",
            Role.SUPPLIER.value,
            SUPPLIERS[4].code,
            f"Mei Chen ({SUPPLIERS[4].code})",
            "mei.chen@example.com",
        ),
        DemoUser(
            "buyer", "buyer-demo-3", Role.BUYER.value, None, "Sofia Rossi (Buyer)", "sofia.rossi@example.com"
        ),
        DemoUser(
            "manager",
            "manager-demo-4",
            Role.MANAGER.value,
            None,
            "Daniel Okafor (Purchasing manager)",
            "daniel.okafor@example.com",
        ),
        DemoUser(
            "admin",
            "admin-demo-5",
            Role.ADMIN.value,
            None,
            "Priya Nair (Administrator)",
            "priya.nair@example.com",
        ),
    ]


#: The demo logins (the same for every seed): printed by `demo load` and shown in the README.
DEMO_USERS: tuple[DemoUser, ...] = tuple(_users())
