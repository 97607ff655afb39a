"""Alert rules: which conditions hold as of a date, and how live alerts follow them.

One module over 500 lines on purpose: every rule reads the same frame of derived columns
(:class:`_Lines`) and the same message helpers, and :func:`reconcile` the same column lists, so a
split would only turn those internals into a public API.

Pure pandas/numpy. The ``*_conditions`` functions turn the forecast frame (one row per open
line), suppliers and backorders into condition rows, one per (rule, subject) that holds as
of D, each with a plain-words message. :func:`reconcile` compares those conditions with the
live alerts and returns what to insert, update and resolve; the database side applies it.
Every rule runs over all rows at once: masks over columns, messages from vectorized string ops.

Conventions shared by the rules:
- Dates are compared as days (``datetime64[D]``); a missing date (NaT) never fires a rule.
- "Working days in (a, b]" counts the supplier's working days after ``a`` up to and including
  ``b`` (its weekmask, country holidays and closures, via :class:`CalendarSet`).
- A threshold compares with a tiny tolerance, so a value exactly at the boundary (90% of plan,
  5% rejects) stays on the quiet side despite float rounding.
- Shipped lines are past production: the rules that watch production (LATE_START, BEHIND_PLAN,
  STALE_UPDATE, UNREALISTIC_ESTIMATE, CAPACITY_OVERLOAD) skip them; the arrival rules do not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, TypeAlias, cast

import numpy as np
import pandas as pd

from portal.core import history
from portal.core.alert_text import (
    COUNTS,
    DATE,
    LIMIT,
    NUMBER,
    ORDINAL,
    SHARE,
    SHARE_1,
    TEMPLATES,
    TEXT,
)
from portal.core.alert_text import english_number as _format_number
from portal.core.alert_text import english_ordinal as _ordinal
from portal.core.calendar import CalendarSet, to_date, to_days
from portal.core.changes import row_hashes
from portal.core.domain import AlertRule, AlertStatus, LineStatus, PromiseStatus, Severity, SubjectType
from portal.core.forecast import Z90
from portal.core.settings import Settings

#: The columns of a condition row (and of a new alert), in order, with their types. Ids and days_late
#: are nullable integers: a backorder's condition has no supplier, and so on.
CONDITION_DTYPES = {
    "rule": "str",
    "severity": "str",
    "subject_type": "str",
    "subject_key": "str",
    "supplier_id": "Int64",
    "po_line_id": "Int64",
    "backorder_id": "Int64",
    "item_id": "Int64",
    "message": "str",
    #: The message's template key and values as JSON, for rendering in the reader's language
    #: (portal.core.alert_text); ``message`` keeps the English text.
    "message_args": "str",
    "days_late": "Int64",
}
CONDITION_COLUMNS = list(CONDITION_DTYPES)
INSERT_COLUMNS = [*CONDITION_COLUMNS, "status", "first_seen", "last_seen"]
#: Built once: a rule that does not fire returns a copy of it (building a frame costs ~1 ms).
_EMPTY = pd.DataFrame({c: pd.Series(dtype=t) for c, t in CONDITION_DTYPES.items()})
UPDATE_COLUMNS = ["id", "severity", "message", "message_args", "days_late", "last_seen", "status", "raised"]
#: The live alerts :func:`reconcile` matches conditions to (the stored ones, and the dismissed ones).
LIVE_COLUMNS = [
    "id",
    "rule",
    "subject_key",
    "severity",
    "status",
    "snoozed_until",
    "dismissed_severity",
    "dismissed_days_late",
]

ONE_DAY = np.timedelta64(1, "D")
_NO_DAY = np.datetime64("NaT", "D")
_SEVERITY_RANK = Severity.ranks()
_SEVERITIES = pd.Index(list(_SEVERITY_RANK), dtype=object)
_RANKS = np.array([*_SEVERITY_RANK.values(), np.nan], dtype=float)  # the last: an unknown severity


def _severity_rank(values: pd.Series) -> pd.Series:
    """Each severity's rank (NaN where missing or unknown), by one hash lookup per row."""
    at = _SEVERITIES.get_indexer(values.to_numpy(dtype=object))
    return pd.Series(_RANKS[at], index=values.index)  # -1 (not found) takes the last: NaN


# --- text (vectorized) --------------------------------------------------------------------------
# Texts are built in object columns of Python strings: concatenating those is one numpy loop per
# field, where pandas' "str" columns (pyarrow) convert every list and result (about 2/3 of the cost).


def _fill(template: str, index: pd.Index | None = None, **values: pd.Series | str) -> pd.Series:
    """``template`` filled from columns: one string concatenation per field, never one per row."""
    if index is None:
        index = next(v.index for v in values.values() if isinstance(v, pd.Series))
    out = pd.Series("", index=index, dtype=object)
    for literal, field, _, _ in string.Formatter().parse(template):
        out = out + literal
        if field is not None:
            out = out + values[field]
    return out


def _num(values: pd.Series) -> pd.Series:
    """Numbers as text: whole from 10 up, one decimal below, thousands separated ("1,240", "2.5")."""
    return _num_json(values)[0]


def _num_json(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`_num`'s text, and the same number as JSON (the value as the message rounds it, which
    the other languages round again to the same digits; ``null`` where missing)."""
    # Python's own formatting, one call per distinct value (quantities and rates repeat across
    # 100,000 lines): what pandas' string methods do anyway, minus two regular expressions per value.
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    distinct, position = np.unique(numbers, return_inverse=True)
    english = [_format_number(x) for x in distinct]
    raw = ["null" if text == "nan" else text.replace(",", "") for text in english]
    at = position.reshape(-1)
    return (
        pd.Series(np.array(english, dtype=object)[at], index=values.index, dtype=object),
        pd.Series(np.array(raw, dtype=object)[at], index=values.index, dtype=object),
    )


def _count(values: pd.Series, unit: str, number: pd.Series | None = None) -> pd.Series:
    """``"1 day"``, ``"3 days"`` (``number``: the values already as :func:`_num` text)."""
    plural = pd.Series("s", index=values.index, dtype=object).where(values.astype(float) != 1, "")
    return (_num(values) if number is None else number) + f" {unit}" + plural


def _pct(fraction: pd.Series, decimals: int = 0) -> pd.Series:
    return _num((fraction.astype(float) * 100).round(decimals)) + "%"


def _iso(values: pd.Series) -> pd.Series:
    """Dates as ISO ``YYYY-MM-DD`` text, keeping the index."""
    return pd.Series(np.datetime_as_string(to_days(values), unit="D"), index=values.index, dtype=object)


@dataclass(frozen=True)
class _Said:
    """A message (or a phrase inside one) for many rows: the English text, and each row's
    arguments as JSON text (a template key and raw values; ``null`` for an empty phrase), to
    render it in any language. Both are built with column operations, like the text."""

    english: pd.Series
    args: pd.Series

    def where(self, keep: pd.Series | np.ndarray, other: _Said) -> _Said:
        """This where ``keep``, else ``other`` (row by row)."""
        mask = np.asarray(keep, dtype=bool)
        return _Said(self.english.where(mask, other.english), self.args.where(mask, other.args))


def _nothing(index: pd.Index) -> _Said:
    """An empty phrase: no text, no arguments."""
    return _Said(pd.Series("", index=index, dtype=object), pd.Series("null", index=index, dtype=object))


def _json_number(x: float) -> str:
    return repr(x) if math.isfinite(x) else "null"


def _json_numbers(values: pd.Series) -> pd.Series:
    """Numbers as JSON (``null`` where missing): Python's float repr, which JSON reads back exactly."""
    texts = [_json_number(x) for x in values.to_numpy(dtype=float, na_value=np.nan).tolist()]
    return pd.Series(texts, index=values.index, dtype=object)


def _json_texts(values: pd.Series) -> pd.Series:
    texts = [_json_text(v) if isinstance(v, str) else "null" for v in values.astype(object).tolist()]
    return pd.Series(texts, index=values.index, dtype=object)


_json_text = json.JSONEncoder(ensure_ascii=False).encode

_Value: TypeAlias = pd.Series | _Said | str | float


def _part(kind: str, value: _Value) -> tuple[pd.Series | str, pd.Series | str]:
    """A field's English text and its value as JSON: each a column, or one text for all rows."""
    if isinstance(value, _Said):
        return value.english, value.args
    if not isinstance(value, pd.Series):  # one value for every row
        if kind == LIMIT:
            return f"{float(value):g}%", _json_number(float(value))
        if kind == ORDINAL:
            return _ordinal(float(value)), _json_number(float(value))
        if kind in (SHARE, SHARE_1):
            english = _pct(pd.Series([float(value)]), 1 if kind == SHARE_1 else 0).iloc[0]
            return english, _json_number(float(value))
        return str(value), _json_text(str(value))  # a date (ISO) or a text
    if kind == TEXT:
        return value.astype(object), _json_texts(value)
    if kind == DATE:
        iso = _iso(value)
        return iso, '"' + iso + '"'
    if kind == NUMBER:
        return _num_json(value)
    if kind in (SHARE, SHARE_1):
        return _pct(value, 1 if kind == SHARE_1 else 0), _json_numbers(value)
    if kind in COUNTS:
        number, raw = _num_json(value)
        return _count(value, COUNTS[kind][0], number), raw
    raise ValueError(f"field kind {kind!r} needs a column")  # pragma: no cover - a template's mistake


def _say(key: str, index: pd.Index, **values: _Value) -> _Said:
    """Template ``key`` (portal.core.alert_text.TEMPLATES) filled for every row of ``index``: the
    English text and the arguments' JSON, both from vectorized string ops."""
    template = TEMPLATES[key]
    english: dict[str, pd.Series | str] = {}
    args = pd.Series('{"t":' + _json_text(key), index=index, dtype=object)
    for name, kind in template.fields.items():
        text, raw = _part(kind, values[name])
        english[name] = text
        args = args + f',"{name}":' + raw
    return _Said(_fill(template.text, index, **english), args + "}")


# --- texts built only where they change ---------------------------------------------------------
# A sweep finds ~150,000 conditions still holding, nearly all worded as before: building their texts
# was most of the rules' cost. Each condition row therefore gets ``message_hash``, a hash of every
# value its message reads (the columns of its rows the message function looks up, found by running
# it on one row) and of what else shapes the words (the rule, D, the settings, the templates). The
# alerts store it beside the text; a condition whose hash equals its live alert's keeps the stored
# text (``message`` and ``message_args`` None here, not written), and only the others are worded.

#: Raise when a message's wording changes in code rather than in TEMPLATES (a number's format, a
#: phrase chosen differently): every stored text is then worded again by the next sweep.
MESSAGE_CODE_VERSION = 1
_TEMPLATES_SALT = repr(sorted((key, t.text, sorted(t.fields.items())) for key, t in TEMPLATES.items()))


@dataclass(frozen=True)
class KnownMessages:
    """The message hashes stored with the live alerts (not resolved): for each rule, a Series of
    hashes (int64) by subject key. Empty: nothing known, every text is built (a rewrite)."""

    hashes: Mapping[str, pd.Series] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, live: pd.DataFrame, column: str = "message_hash") -> KnownMessages:
        """From live alerts (rule, subject_key, status, ``column``): the hashes of those not
        resolved (0 or missing: none); a key held by two live alerts is left out (both get their
        texts again)."""
        held = live.loc[
            (live["status"] != AlertStatus.RESOLVED.value) & live[column].notna() & (live[column] != 0)
        ]
        hashes: dict[str, pd.Series] = {}
        for rule, group in held.groupby("rule", sort=False):
            by_key = pd.Series(
                group[column].to_numpy(dtype="int64"), index=group["subject_key"].to_numpy(dtype=object)
            )
            hashes[str(rule)] = by_key[~by_key.index.duplicated(keep=False)]
        return cls(hashes)

    def same(self, rule: AlertRule, keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Per key: a live alert of the rule stores this very hash."""
        known = self.hashes.get(rule.value)
        if known is None or known.empty:
            return np.zeros(len(keys), dtype=bool)
        at = known.index.get_indexer(keys)
        found = at >= 0
        same = np.zeros(len(keys), dtype=bool)
        same[found] = known.to_numpy(dtype="int64")[at[found]] == hashes[found]
        return same


class _Reading:
    """A frame that notes the columns read from it (what a message function looks up)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.index = frame.index
        self.read: list[str] = []

    def __getitem__(self, column: str) -> pd.Series:
        if column not in self.read:
            self.read.append(column)
        return self.frame[column]


def _worded(
    rule: AlertRule,
    keys: np.ndarray,
    s: pd.DataFrame,
    message: Callable[[pd.DataFrame], _Said],
    known: KnownMessages | None,
    context: tuple[Any, ...] = (),
) -> tuple[_Said, np.ndarray | None]:
    """The messages of rows ``s`` (subjects ``keys``), and their hashes when ``known`` is given:
    then only the rows whose hash differs from the stored one are worded (the others None).
    ``context``: what else the message reads (D, settings), in the hash."""
    if known is None:
        return message(s), None
    probe = _Reading(s.iloc[:1])
    message(cast(pd.DataFrame, probe))
    salt = repr((MESSAGE_CODE_VERSION, _TEMPLATES_SALT, rule.value, context))
    hashes = row_hashes(s[probe.read], salt)
    fresh = ~known.same(rule, keys, hashes)
    english = pd.Series(None, index=s.index, dtype=object)
    args = pd.Series(None, index=s.index, dtype=object)
    if fresh.any():
        said = message(s.loc[fresh])
        english[fresh] = said.english.to_numpy(dtype=object)
        args[fresh] = said.args.to_numpy(dtype=object)
    return _Said(english, args), hashes


# --- comparisons and rows -----------------------------------------------------------------------


def _exceeds(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> np.ndarray:
    """a > b, but not when they are equal up to float rounding (a boundary value does not fire)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    fired: np.ndarray = (a > b) & ~np.isclose(a, b, rtol=1e-9, atol=1e-9)
    return fired


def _days_between(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Calendar days ``later - earlier`` as float (NaN where a date is missing)."""
    days: np.ndarray = (later - earlier) / ONE_DAY
    return days


def _as_day(value: dt.date | pd.Timestamp | np.datetime64) -> np.datetime64:
    return np.datetime64(to_date(value), "D")


def empty_conditions(*, hashed: bool = False) -> pd.DataFrame:
    """A condition frame with no rows and the right dtypes (``hashed``: with ``message_hash``)."""
    return _hashed(_EMPTY.copy()) if hashed else _EMPTY.copy()


def _rows(
    rule: AlertRule,
    severity: Severity,
    subject_type: SubjectType,
    subject_ids: pd.Series,
    message: _Said,
    message_hash: np.ndarray | None = None,
    **columns: pd.Series | np.ndarray | None,
) -> pd.DataFrame:
    """Condition rows for the subjects given; ``columns`` fills the id columns and days_late;
    ``message_hash``: the messages' hashes (see :func:`_worded`), as one more column."""
    n = len(subject_ids)
    data: dict[str, object] = {
        "rule": np.full(n, rule.value, dtype=object),
        "severity": np.full(n, severity.value, dtype=object),
        "subject_type": np.full(n, subject_type.value, dtype=object),
        "subject_key": _subject_keys(subject_type, subject_ids),
        "message": message.english.to_numpy(dtype=object),
        "message_args": message.args.to_numpy(dtype=object),
    }
    for name in ("supplier_id", "po_line_id", "backorder_id", "item_id", "days_late"):
        value = columns.get(name)
        value = np.full(n, np.nan) if value is None else value
        # Through float, so a missing value (NaN) becomes <NA> in the nullable integer column.
        data[name] = pd.Series(value).to_numpy(float, na_value=np.nan)
    frame = pd.DataFrame(data, columns=CONDITION_COLUMNS).astype(CONDITION_DTYPES)
    if message_hash is not None:
        frame["message_hash"] = message_hash
    return frame


def _subject_keys(subject_type: SubjectType, subject_ids: pd.Series) -> np.ndarray:
    """The subjects' keys ("line:12")."""
    key = f"{subject_type.value}:" + subject_ids.astype("Int64").astype(str)
    keys: np.ndarray = key.to_numpy(dtype=object)
    return keys


def _hashed(frame: pd.DataFrame) -> pd.DataFrame:
    """A condition frame with its ``message_hash`` column (empty frames: none yet)."""
    if "message_hash" not in frame:
        frame = frame.assign(message_hash=pd.Series(dtype="int64"))
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty_conditions()


# --- line rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lines:
    """The lines being evaluated, with D, the calendars and the settings the rules need."""

    frame: pd.DataFrame
    as_of: np.datetime64
    calendars: CalendarSet
    settings: Settings
    known: KnownMessages | None = None

    @property
    def as_of_text(self) -> str:
        return str(self.as_of)

    def day(self, column: str) -> np.ndarray:
        return to_days(self.frame[column])

    def num(self, column: str) -> np.ndarray:
        values: np.ndarray = self.frame[column].to_numpy(dtype=float, na_value=np.nan)
        return values

    def working_days_after(self, start: np.ndarray, end: np.ndarray | None = None) -> np.ndarray:
        """Working days in (start, end] per line (end defaults to D); NaN where a date is missing."""
        end = np.full(len(start), self.as_of) if end is None else end
        return self.calendars.count(start + ONE_DAY, end + ONE_DAY, self.frame["supplier_id"].to_numpy())

    def producing(self) -> np.ndarray:
        """Lines not yet shipped, whose production the production rules still watch."""
        producing: np.ndarray = (self.frame["status"] != LineStatus.SHIPPED.value).to_numpy()
        return producing

    def stalled(self) -> np.ndarray:
        """Lines whose observed rate is zero after enough reported days: at that rate they never finish.

        The forecast also calls the mean of a few days "observed" when there is no plan; a few
        zero days are not enough to call a line stalled, so the reported days are checked too.
        """
        observed = (self.frame["rate_source"] == "observed").to_numpy()
        enough = self.num("reported_days") >= self.settings.forecast_min_reported_days
        stalled: np.ndarray = (self.num("remaining") > 0) & (self.num("rate") == 0) & observed & enough
        return stalled

    def rows(
        self,
        rule: AlertRule,
        severity: Severity,
        fires: np.ndarray,
        message: Callable[[pd.DataFrame], _Said],
        days_late: np.ndarray | None = None,
        **derived: np.ndarray,
    ) -> pd.DataFrame:
        """Condition rows for the lines where ``fires``; ``message`` gets those lines' frame,
        with the ``derived`` per-line arrays added as columns."""
        if not fires.any():
            return empty_conditions()
        sub = self.frame.loc[fires].assign(**{name: values[fires] for name, values in derived.items()})
        keys = _subject_keys(SubjectType.LINE, sub["line_id"])
        context = (self.as_of_text, repr(self.settings))
        said, hashes = _worded(rule, keys, sub, message, self.known, context)
        return _rows(
            rule,
            severity,
            SubjectType.LINE,
            sub["line_id"],
            said,
            hashes,
            supplier_id=sub["supplier_id"],
            po_line_id=sub["line_id"],
            item_id=sub["item_id"],
            days_late=None if days_late is None else days_late[fires],
        )


def _rate_phrase(s: pd.DataFrame) -> _Said:
    """The forecast's rate: ", at 50/day against a plan of 100/day", or ", at the planned 100/day"."""
    index = s.index
    observed = _say("rate.observed", index, rate=s["rate"]).where(
        s["daily_output"].isna(),
        _say("rate.observed_plan", index, rate=s["rate"], plan=s["daily_output"]),
    )
    planned = _say("rate.plan", index, rate=s["rate"])
    source = s["rate_source"]
    phrase = observed.where(source == "observed", _nothing(index))
    phrase = planned.where(source == "plan", phrase)
    return phrase.where(s["rate"].notna(), _nothing(index))


def _late_start(x: _Lines) -> pd.DataFrame:
    """LATE_START: a schedule, more than the grace in working days in (start_date, D], no good output."""
    since = x.working_days_after(x.day("start_date"))
    fires = x.producing() & (since > x.settings.late_start_grace_days) & (x.num("produced") == 0)

    def message(s: pd.DataFrame) -> _Said:
        return _say(
            "LATE_START",
            s.index,
            label=s["label"],
            start=s["start_date"],
            since=s["since"],
            as_of=x.as_of_text,
        )

    return x.rows(AlertRule.LATE_START, Severity.WARNING, fires, message, since=since)


def _behind_plan(x: _Lines) -> pd.DataFrame:
    """BEHIND_PLAN: produced < planned x (1 - tolerance), planned = daily_output x working days in
    [start_date, D] (D's output counts as reported), capped at the quantity, and planned > 0."""
    elapsed = x.working_days_after(x.day("start_date") - ONE_DAY)
    planned = np.minimum(x.num("daily_output") * elapsed, x.num("quantity"))
    floor = planned * (1 - x.settings.behind_plan_tolerance)
    fires = x.producing() & (planned > 0) & _exceeds(floor, x.num("produced"))

    def message(s: pd.DataFrame) -> _Said:
        return _say(
            "BEHIND_PLAN",
            s.index,
            label=s["label"],
            produced=s["produced"],
            planned=s["planned"],
            as_of=x.as_of_text,
            share=s["produced"] / s["planned"],
        )

    return x.rows(AlertRule.BEHIND_PLAN, Severity.WARNING, fires, message, planned=planned)


def _confidently_late(x: _Lines) -> np.ndarray:
    """arrival_p50 > need_by_date, by at least the margin that makes it late with the admin's
    confidence: reading the forecast as normal (sd = (p90 - p50) / z90), P(late) >= confidence
    when p50 - need_by >= z(confidence) x sd. Confidence 0.5 is DOMAIN.md's plain p50 rule.

    Both are counted in the supplier's working days, the unit the forecast counts in, on completion
    dates (arrival - transit_days): late = working days after need_by - transit (the last day
    production may end and still arrive on time) up to and including the p50 completion day; spread =
    working days after the p50 completion day up to and including the p90 one. A weekend between
    need-by and p50 is not lateness (docs/evaluation.md, issue 16.10)."""
    late_days, spread = _working_days_late(x.frame, x.calendars)
    return _late_with_confidence(late_days, spread, x.settings)


def _working_days_late(frame: pd.DataFrame, calendars: CalendarSet) -> tuple[np.ndarray, np.ndarray]:
    """Per line: working days in (need_by - transit, completion_p50] (negative when p50 is earlier)
    and in (completion_p50, completion_p90], completion = arrival - ``transit_days`` (0 when the
    frame has none); NaN where a date is missing."""
    transit = (
        frame["transit_days"].fillna(0).to_numpy(dtype="int64")
        if "transit_days" in frame
        else np.zeros(len(frame), dtype="int64")
    ) * ONE_DAY
    p50 = to_days(frame["arrival_p50"]) - transit
    p90 = to_days(frame["arrival_p90"]) - transit
    last_on_time = to_days(frame["need_by_date"]) - transit
    suppliers = frame["supplier_id"].to_numpy()
    late = calendars.count(last_on_time + ONE_DAY, p50 + ONE_DAY, suppliers)
    spread = calendars.count(p50 + ONE_DAY, p90 + ONE_DAY, suppliers)
    return late, spread


def _late_with_confidence(late_days: np.ndarray, spread: np.ndarray, settings: Settings) -> np.ndarray:
    """:func:`_confidently_late` from p50 - need_by and p90 - p50 in days (NaN: missing)."""
    spread = np.nan_to_num(spread)
    z = NormalDist().inv_cdf(min(max(settings.projected_late_confidence, 0.5), 0.999))
    late: np.ndarray = (late_days > 0) & (late_days >= z * np.maximum(spread, 0.0) / Z90)
    return late


def late_or_stalled(lines: pd.DataFrame, calendars: CalendarSet, settings: Settings) -> np.ndarray:
    """Per line of the forecast frame (arrival_p50, arrival_p90, need_by_date, transit_days,
    supplier_id; remaining, rate, rate_source, reported_days): confidently late
    (:func:`_confidently_late`) or stalled, the condition PROJECTED_LATE raises on once confirmed
    (:func:`late_since`, :func:`held_late`)."""
    x = _Lines(lines.reset_index(drop=True), np.datetime64("NaT"), calendars, settings)
    found: np.ndarray = _confidently_late(x) | x.stalled()
    return found


def late_since(
    late_now: np.ndarray,
    previous_as_of: np.ndarray,
    previous_late_since: np.ndarray,
    as_of: dt.date,
) -> np.ndarray:
    """Per line, the day since which its forecast has been confidently late (:func:`confidently_late`),
    stored with the forecast (``line_forecasts.late_since``): the stored forecast's ``late_since`` when
    that forecast, made on or before ``as_of``, was late too; ``as_of`` when the line is late from this
    forecast on; NaT when it is not late now. It does not depend on how often forecasts are made: a
    nightly sweep and a weekly one, or a post in between, give the same day. Arrays of days
    (``datetime64[D]``; NaT: no stored forecast, or not late)."""
    day = _as_day(as_of)
    since = to_days(previous_late_since)
    kept = late_now & ~np.isnat(since) & (to_days(previous_as_of) <= day) & (since <= day)
    found: np.ndarray = np.where(kept, since, np.where(late_now, day, np.datetime64("NaT", "D")))
    return found.astype("datetime64[D]")


def held_late(since: np.ndarray, as_of: dt.date, settings: Settings) -> np.ndarray:
    """Whether each line has been confidently late for at least ``projected_late_held_days`` days
    by ``as_of`` (``since``: its :func:`late_since`, NaT: not late): PROJECTED_LATE is confirmed."""
    days = _days_between(np.full(len(since), _as_day(as_of)), to_days(since))
    held: np.ndarray = days >= settings.projected_late_held_days  # NaN (not late): False
    return held


def _confirmed(x: _Lines) -> np.ndarray:
    """PROJECTED_LATE's condition (late or stalled) has held for ``projected_late_held_days`` (the
    frame's ``late_confirmed``: see :func:`held_late`, or the alert is raised already; a frame
    without it counts as confirmed), or need-by is within ``projected_late_confirm_days`` of D, too
    near to wait."""
    if "late_confirmed" not in x.frame:
        return np.ones(len(x.frame), dtype=bool)
    confirmed = x.frame["late_confirmed"].to_numpy(dtype=bool, na_value=False)
    near = _days_between(x.day("need_by_date"), np.full(len(x.frame), x.as_of))
    found: np.ndarray = confirmed | (near <= x.settings.projected_late_confirm_days)
    return found


def _raised_late(x: _Lines) -> np.ndarray:
    """Confidently late, and confirmed (:func:`_confirmed`). An unconfirmed one is AT_RISK
    meanwhile: a late p50 that lasts a few days is too often a passing one."""
    raised: np.ndarray = _confidently_late(x) & _confirmed(x)
    return raised


def _raised_stalled(x: _Lines) -> np.ndarray:
    """Stalled, and confirmed as a late line is (:func:`_confirmed`): a line whose first days were
    an outage reads as stalled until it makes something, so far from need-by it waits as long as a
    late forecast does (docs/evaluation.md, issue 16.10)."""
    raised: np.ndarray = x.stalled() & _confirmed(x)
    return raised


def _projected_late(x: _Lines) -> pd.DataFrame:
    """PROJECTED_LATE: arrival_p50 > need_by_date with the admin's confidence (see
    :func:`_confidently_late`), confirmed (:func:`_raised_late`); or stalled (an observed rate of zero
    with units remaining), which has no arrival date and so no days_late, confirmed the same way
    (:func:`_raised_stalled`)."""
    late_days = _days_between(x.day("arrival_p50"), x.day("need_by_date"))
    stalled = _raised_stalled(x)
    late = _raised_late(x) & ~x.stalled()

    def message(s: pd.DataFrame) -> _Said:
        on_dates = _say(
            "PROJECTED_LATE",
            s.index,
            label=s["label"],
            arrival=s["arrival_p50"],
            late=s["late_days"],
            need_by=s["need_by_date"],
            rate=_rate_phrase(s),
        )
        # An observed rate of zero may come from recent days only: say so when some output exists.
        why = _say("stalled.no_output", s.index, days=s["reported_days"]).where(
            s["produced"] == 0,
            _say("stalled.recent", s.index, produced=s["produced"], quantity=s["quantity"]),
        )
        halted = _say("PROJECTED_LATE.stalled", s.index, label=s["label"], why=why, need_by=s["need_by_date"])
        return on_dates.where(~s["stalled"], halted)

    days_late = np.where(late, late_days, np.nan)
    return x.rows(
        AlertRule.PROJECTED_LATE,
        Severity.CRITICAL,
        late | stalled,
        message,
        days_late,
        late_days=late_days,
        stalled=stalled,
    )


def _at_risk(x: _Lines) -> pd.DataFrame:
    """AT_RISK: arrival_p90 > need_by_date, and not PROJECTED_LATE (p50 on time, or late but not
    with the confidence PROJECTED_LATE needs, or not confirmed yet)."""
    need_by = x.day("need_by_date")
    p90_late = _days_between(x.day("arrival_p90"), need_by)
    fires = (p90_late > 0) & ~_raised_late(x) & ~x.stalled()

    def message(s: pd.DataFrame) -> _Said:
        return _say(
            "AT_RISK",
            s.index,
            label=s["label"],
            p50=s["arrival_p50"],
            p90=s["arrival_p90"],
            chance=0.9,
            late=s["p90_late"],
            need_by=s["need_by_date"],
        )

    return x.rows(AlertRule.AT_RISK, Severity.WARNING, fires, message, p90_late, p90_late=p90_late)


def _stale_update(x: _Lines) -> pd.DataFrame:
    """STALE_UPDATE: a line in production (status in_production, or any report while not shipped)
    with at least stale_update_days working days in (last report, D]; without a report, counted
    from start_date when it is before D (a line that never reported and has not started is not due).
    A line whose good output reached its quantity is made: it has nothing left to report."""
    last = x.day("last_report_date")
    start = x.day("start_date")
    has_reports = ~np.isnat(last) | (x.num("produced") > 0) | (x.num("reported_days") > 0)
    in_production = (x.frame["status"] == LineStatus.IN_PRODUCTION.value).to_numpy()
    since = np.where(~np.isnat(last), last, np.where(start < x.as_of, start, _NO_DAY))
    # A live sweep counts up to each supplier's own today (its local date), when the caller gives it.
    local = "supplier_today" in x.frame.columns
    end = x.day("supplier_today") if local else None
    quiet = x.working_days_after(since, end)
    made = x.num("produced") >= x.num("quantity")  # NaN (no forecast yet) compares False: not made
    fires = x.producing() & ~made & (in_production | has_reports) & (quiet >= x.settings.stale_update_days)

    def message(s: pd.DataFrame) -> _Said:
        since_text = _say("stale.last_report", s.index, date=s["last_report_date"]).where(
            s["last_report_date"].notna(), _say("stale.since_start", s.index, date=s["start_date"])
        )
        return _say(
            "STALE_UPDATE",
            s.index,
            label=s["label"],
            quiet=s["quiet"],
            as_of=s["supplier_today"] if local else x.as_of_text,
            since=since_text,
        )

    return x.rows(AlertRule.STALE_UPDATE, Severity.WARNING, fires, message, quiet=quiet)


def _date_slipped(x: _Lines) -> pd.DataFrame:
    """DATE_SLIPPED: the current revision's estimated_end_date is later than the previous revision's."""
    end = x.day("estimated_end_date")
    previous = x.day("previous_estimated_end_date")
    slip = _days_between(end, previous)

    def message(s: pd.DataFrame) -> _Said:
        revision = _say("revision.number", s.index, number=s["schedule_revision"]).where(
            s["schedule_revision"].notna(), _say("revision.unknown", s.index)
        )
        return _say(
            "DATE_SLIPPED",
            s.index,
            label=s["label"],
            revision=revision,
            previous=s["previous_estimated_end_date"],
            end=s["estimated_end_date"],
            slip=s["slip"],
            working=s["slip_working"],
        )

    return x.rows(
        AlertRule.DATE_SLIPPED,
        Severity.WARNING,
        slip > 0,
        message,
        slip=slip,
        slip_working=x.working_days_after(previous, end),
    )


def _unrealistic_estimate(x: _Lines) -> pd.DataFrame:
    """UNREALISTIC_ESTIMATE: more than unrealistic_estimate_days working days in
    (estimated_end_date, completion_p90], on a line with units still to make."""
    gap = x.working_days_after(x.day("estimated_end_date"), x.day("completion_p90"))
    fires = x.producing() & (x.num("remaining") > 0) & (gap > x.settings.unrealistic_estimate_days)

    def message(s: pd.DataFrame) -> _Said:
        return _say(
            "UNREALISTIC_ESTIMATE",
            s.index,
            label=s["label"],
            end=s["estimated_end_date"],
            gap=s["gap"],
            chance=0.9,
            p90=s["completion_p90"],
            rate=_rate_phrase(s),
        )

    return x.rows(AlertRule.UNREALISTIC_ESTIMATE, Severity.WARNING, fires, message, gap=gap)


def _short_lead_time(x: _Lines, lead_times: pd.DataFrame | None) -> pd.DataFrame:
    """SHORT_LEAD_TIME: need_by_date - order_date (calendar days) < the supplier's median lead time;
    silent without an order_date or without a median for the supplier."""
    if lead_times is None or lead_times.empty:
        return empty_conditions()
    medians = lead_times.set_index("supplier_id")["median_lead_time_days"]
    median = x.frame["supplier_id"].map(medians).to_numpy(dtype=float, na_value=np.nan)
    given = _days_between(x.day("need_by_date"), x.day("order_date"))

    def message(s: pd.DataFrame) -> _Said:
        return _say(
            "SHORT_LEAD_TIME",
            s.index,
            label=s["label"],
            ordered=s["order_date"],
            need_by=s["need_by_date"],
            given=s["given"],
            supplier=s["supplier_code"],
            median=s["median"],
        )

    return x.rows(
        AlertRule.SHORT_LEAD_TIME, Severity.INFO, given < median, message, given=given, median=median
    )


def _quality(x: _Lines) -> pd.DataFrame:
    """QUALITY: rejected / (produced + rejected) > quality_reject_threshold, when anything was made."""
    rejected = x.num("rejected")
    made = x.num("produced") + rejected
    threshold = x.settings.quality_reject_threshold
    fires = (made > 0) & _exceeds(rejected, threshold * made)

    def message(s: pd.DataFrame) -> _Said:
        return _say(
            "QUALITY",
            s.index,
            label=s["label"],
            rejected=s["rejected"],
            made=s["made"],
            share=s["rejected"] / s["made"],
            limit=threshold * 100,
        )

    return x.rows(AlertRule.QUALITY, Severity.WARNING, fires, message, made=made)


_LINE_RULES = (
    _late_start,
    _behind_plan,
    _projected_late,
    _at_risk,
    _stale_update,
    _date_slipped,
    _unrealistic_estimate,
    _quality,
)


def line_conditions(
    lines: pd.DataFrame,
    as_of: dt.date,
    calendars: CalendarSet,
    settings: Settings,
    *,
    lead_times: pd.DataFrame | None = None,
    known: KnownMessages | None = None,
) -> pd.DataFrame:
    """The line rules that hold as of ``as_of``: one row per (rule, line).

    ``known``: the live alerts' message hashes; then the rows have a ``message_hash`` column and
    only the messages that differ from the stored ones are worded (the others None)."""
    x = _Lines(lines.reset_index(drop=True), _as_day(as_of), calendars, settings, known)
    found = _concat([rule(x) for rule in _LINE_RULES] + [_short_lead_time(x, lead_times)])
    return found if known is None else _hashed(found)


# --- supplier rules -----------------------------------------------------------------------------


def _capacity(
    suppliers: pd.DataFrame, daily_output: pd.DataFrame | None, as_of: dt.date, percentile: float
) -> pd.DataFrame:
    """supplier_id, capacity, declared: the declared capacity, else the percentile of the supplier's
    total daily good output reported up to ``as_of`` (or the given ``observed_capacity`` column);
    suppliers with neither are left out."""
    declared = suppliers["capacity_per_day"].astype(float)
    # The engine stores each supplier's observed capacity at the sweep; an incremental
    # recompute passes it in that column instead of the whole output history.
    if "observed_capacity" in suppliers:
        observed = suppliers["observed_capacity"].astype(float)
    else:
        observed = pd.Series(np.nan, index=suppliers.index)
    if daily_output is not None:
        # Only output known on D, so a sweep as of a past date sees what was known then.
        known = daily_output[to_days(daily_output["report_date"]) <= _as_day(as_of)]
        observed = suppliers["supplier_id"].map(history.observed_capacity(known, percentile)).astype(float)
    capacity = pd.DataFrame(
        {
            "supplier_id": suppliers["supplier_id"],
            "capacity": declared.fillna(observed),
            "declared": declared.notna(),
        }
    )
    return capacity.dropna(subset=["capacity"])


def supplier_conditions(
    lines: pd.DataFrame,
    suppliers: pd.DataFrame,
    daily_output: pd.DataFrame | None,
    as_of: dt.date,
    calendars: CalendarSet,
    settings: Settings,
    *,
    known: KnownMessages | None = None,
) -> pd.DataFrame:
    """CAPACITY_OVERLOAD: suppliers whose unshipped lines need more output per day than their capacity.

    ``known``: see :func:`line_conditions`."""
    after_as_of = _as_day(as_of) + ONE_DAY
    todo = lines[(lines["status"] != LineStatus.SHIPPED.value) & (lines["remaining"] > 0)]
    # A line must be made by need_by - transit_days (calendar days), in the working days of
    # (D, that deadline]. A line whose deadline has already passed cannot be on time whatever
    # the capacity (PROJECTED_LATE says so): counting it as "all it lacks in one day" would
    # flag every supplier with one late line, so it is left out of the load and named apart.
    deadline = to_days(todo["need_by_date"]) - todo["transit_days"].to_numpy(dtype="int64") * ONE_DAY
    days_left = calendars.count(
        np.full(len(todo), after_as_of), deadline + ONE_DAY, todo["supplier_id"].to_numpy()
    )
    overdue = ~(days_left >= 1)
    # The load test of earliest-deadline-first scheduling: taking lines in deadline order,
    # everything due by each deadline must fit in the working days up to it; the supplier
    # needs the largest of those cumulative rates.
    load = todo.assign(
        remaining_on_time=np.where(overdue, 0.0, todo["remaining"].to_numpy(dtype=float)),
        days_left=np.where(overdue, np.nan, days_left),
        on_time=~overdue,
        overdue=overdue,
    ).sort_values(["supplier_id", "days_left"], kind="stable")
    cumulative = load.groupby("supplier_id")["remaining_on_time"].cumsum()
    load["required"] = (cumulative / load["days_left"]).fillna(0.0)
    need = (
        load.groupby("supplier_id", as_index=False)
        .agg(
            supplier_code=("supplier_code", "first"),
            required=("required", "max"),
            lines=("on_time", "sum"),
            overdue=("overdue", "sum"),
        )
        .merge(_capacity(suppliers, daily_output, as_of, settings.capacity_percentile), on="supplier_id")
    )
    over = need.loc[_exceeds(need["required"], need["capacity"]) & (need["lines"] > 0)]

    def message(s: pd.DataFrame) -> _Said:
        observed = _say("capacity.observed", s.index, percentile=settings.capacity_percentile * 100)
        overdue_note = _nothing(s.index).where(
            s["overdue"] == 0, _say("capacity.overdue", s.index, lines=s["overdue"])
        )
        return _say(
            "CAPACITY_OVERLOAD",
            s.index,
            supplier=s["supplier_code"],
            required=s["required"],
            lines=s["lines"],
            capacity=s["capacity"],
            source=_say("capacity.declared", s.index).where(s["declared"], observed),
            overdue=overdue_note,
        )

    rule = AlertRule.CAPACITY_OVERLOAD
    keys = _subject_keys(SubjectType.SUPPLIER, over["supplier_id"])
    said, hashes = _worded(rule, keys, over, message, known, (repr(settings),))
    found = _rows(
        rule,
        Severity.WARNING,
        SubjectType.SUPPLIER,
        over["supplier_id"],
        said,
        hashes,
        supplier_id=over["supplier_id"],
    )
    return found if known is None else _hashed(found)


# --- backorder rules ----------------------------------------------------------------------------


def backorder_conditions(backorders: pd.DataFrame, *, known: KnownMessages | None = None) -> pd.DataFrame:
    """UNPROMISABLE (status unpromisable) and PROMISE_SLIPPED (promise_date > communicated_date).

    ``known``: see :func:`line_conditions`."""
    slip = pd.Series(
        _days_between(to_days(backorders["promise_date"]), to_days(backorders["communicated_date"])),
        index=backorders.index,
    )
    unpromisable = backorders.loc[backorders["status"] == PromiseStatus.UNPROMISABLE.value]
    slipped = backorders.assign(slip=slip).loc[slip > 0]

    def what(b: pd.DataFrame) -> _Said:
        return _say("backorder", b.index, ref=b["order_ref"], qty=b["quantity"], sku=b["sku"])

    def rows(
        rule: AlertRule,
        b: pd.DataFrame,
        message: Callable[[pd.DataFrame], _Said],
        days_late: pd.Series | None,
    ) -> pd.DataFrame:
        keys = _subject_keys(SubjectType.BACKORDER, b["backorder_id"])
        said, hashes = _worded(rule, keys, b, message, known)
        return _rows(
            rule,
            Severity.CRITICAL,
            SubjectType.BACKORDER,
            b["backorder_id"],
            said,
            hashes,
            backorder_id=b["backorder_id"],
            item_id=b["item_id"],
            days_late=days_late,
        )

    def unpromisable_message(b: pd.DataFrame) -> _Said:
        return _say("UNPROMISABLE", b.index, what=what(b))

    def slipped_message(b: pd.DataFrame) -> _Said:
        return _say(
            "PROMISE_SLIPPED",
            b.index,
            what=what(b),
            promise=b["promise_date"],
            slip=b["slip"],
            told=b["communicated_date"],
        )

    frames = []
    if len(unpromisable):
        frames.append(rows(AlertRule.UNPROMISABLE, unpromisable, unpromisable_message, None))
    if len(slipped):
        frames.append(rows(AlertRule.PROMISE_SLIPPED, slipped, slipped_message, slipped["slip"]))
    found = _concat(frames)
    return found if known is None else _hashed(found)


def evaluate_all(
    lines: pd.DataFrame,
    as_of: dt.date,
    calendars: CalendarSet,
    settings: Settings,
    *,
    suppliers: pd.DataFrame | None = None,
    daily_output: pd.DataFrame | None = None,
    lead_times: pd.DataFrame | None = None,
    backorders: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every condition that holds as of ``as_of``: one row per (rule, subject_key)."""
    frames = [line_conditions(lines, as_of, calendars, settings, lead_times=lead_times)]
    if suppliers is not None:
        frames.append(supplier_conditions(lines, suppliers, daily_output, as_of, calendars, settings))
    if backorders is not None:
        frames.append(backorder_conditions(backorders))
    return _concat(frames)


# --- lifecycle ----------------------------------------------------------------------------------


@dataclass
class ReconcilePlan:
    """What to write so that the stored alerts follow the conditions that hold now."""

    #: INSERT_COLUMNS + reopen_reason and reopen_args (and message_hash when the conditions have it):
    #: new alerts, open, first_seen = last_seen = now
    inserts: pd.DataFrame
    #: UPDATE_COLUMNS (and message_hash when the conditions have it): live alerts whose condition
    #: still holds; message and message_args None where the stored text stays (its hash is the same).
    updates: pd.DataFrame
    resolves: list[int]  # ids of live alerts whose condition cleared
    #: ids of dismissed alerts whose dismissal ends: the condition cleared, or it got worse and reopened.
    ended_dismissals: list[int] = dataclasses.field(default_factory=list)
    #: How many conditions stayed closed because a person dismissed them and they did not get worse.
    kept_dismissed: int = 0


def _severity_then(severity: pd.Series) -> _Said:
    """A severity as it was when dismissed ("a warning"; phrases "severity.then.<severity>")."""
    return _severity_phrase(severity, "then")


def _severity_phrase(severity: pd.Series, when: str) -> _Said:
    """Phrases "severity.<when>.<severity>"; a severity with none (it cannot have risen from critical,
    nor to info) reads as its code, in rows a reason never shows."""
    keys = "severity." + when + "." + severity.astype(str)
    known = keys.isin(list(TEMPLATES))
    english = keys.map(lambda key: TEMPLATES[key].text if key in TEMPLATES else key.rsplit(".", 1)[-1])
    args = ('{"t":' + keys.map(_json_text) + "}").where(known, "null")
    return _Said(english.astype("str"), args.astype("str"))


def reopen_reasons(worse: pd.DataFrame, reopen_days: int) -> _Said:
    """Why each dismissed condition reopens: the English ("was 3 days late when dismissed, now 9") and
    its arguments (templates "reopen.*" of portal.core.alert_text), to show in the reader's language.

    ``worse`` holds severity, days_late (now) and dismissed_severity, dismissed_days_late.
    """
    rank_now = worse["severity"].map(_SEVERITY_RANK).astype(float)
    rank_then = worse["dismissed_severity"].map(_SEVERITY_RANK).astype(float)
    now_late = worse["days_late"].astype(float)
    then_late = worse["dismissed_days_late"].astype(float)
    raised = rank_now > rank_then
    later = (now_late - then_late) >= reopen_days
    index = worse.index
    then_severity = _severity_then(worse["dismissed_severity"])
    now_severity = _severity_phrase(worse["severity"], "now")
    severity_text = _say("reopen.severity", index, then=then_severity, now=now_severity)
    late_text = _say("reopen.later", index, then=then_late.fillna(0), now=now_late.fillna(0))
    both = _say(
        "reopen.both",
        index,
        then_severity=then_severity,
        then=then_late.fillna(0),
        now_severity=now_severity,
        now=now_late.fillna(0),
    )
    return both.where(raised & later, severity_text.where(raised, late_text))


def reconcile(
    live: pd.DataFrame,
    current: pd.DataFrame,
    now: dt.datetime,
    scope: pd.Series | None = None,
    *,
    reopen_days: int = 3,
) -> ReconcilePlan:
    """Match conditions to live alerts by (rule, subject_key): update, insert or resolve.

    ``live`` holds the non-resolved alerts (id, rule, subject_key, severity, status,
    snoozed_until); snoozed_until is left as is. It may also hold dismissed alerts: resolved
    by a person, with dismissed_severity and dismissed_days_late (what the condition was when
    dismissed). A dismissed condition that still holds stays closed until it materially worsens
    (its severity rises, or days_late grows by ``reopen_days`` or more): then a new alert opens
    with a reopen_reason, and the dismissal ends; a dismissal whose condition cleared ends too,
    so the condition coming back later opens a new alert as usual. ``scope``, when given, holds
    the subject_keys that were re-evaluated: only their alerts may resolve (or dismissals end),
    so recomputing one line leaves the other lines' alerts alone.
    """
    key = ["rule", "subject_key"]
    if "dismissed_severity" in live:
        dismissed = live.loc[
            (live["status"] == AlertStatus.RESOLVED.value) & live["dismissed_severity"].notna(),
            ["id", *key, "dismissed_severity", "dismissed_days_late"],
        ]
    else:
        dismissed = pd.DataFrame(columns=["id", *key, "dismissed_severity", "dismissed_days_late"])
    # A resolved alert is never revived: its condition coming back inserts a new alert.
    live = live.loc[live["status"] != AlertStatus.RESOLVED.value, ["id", *key, "severity", "status"]]
    merged = current.merge(
        live.rename(columns={"severity": "was_severity", "status": "was_status"}), on=key, how="left"
    )
    found = merged["id"].notna()
    # The messages' hashes when the rules gave them (line_conditions(known=...)): kept with the rows.
    columns = [*CONDITION_COLUMNS, *(["message_hash"] if "message_hash" in current else [])]

    new = merged.loc[~found, columns].reset_index(drop=True)
    new = new.merge(dismissed.rename(columns={"id": "dismissed_id"}), on=key, how="left")
    was_dismissed = new["dismissed_id"].notna()
    worse = (
        new["severity"].map(_SEVERITY_RANK).astype(float)
        > new["dismissed_severity"].map(_SEVERITY_RANK).astype(float)
    ) | ((new["days_late"].astype(float) - new["dismissed_days_late"].astype(float)) >= reopen_days)
    reopened = was_dismissed & worse
    reasons = pd.Series(None, index=new.index, dtype="object")
    reason_args = pd.Series(None, index=new.index, dtype="object")
    if reopened.any():
        said = reopen_reasons(new.loc[reopened], reopen_days)
        reasons[reopened] = said.english
        reason_args[reopened] = said.args
    opening = ~was_dismissed | reopened
    inserts = (
        new.loc[opening, columns]
        .assign(
            status=AlertStatus.OPEN.value,
            first_seen=now,
            last_seen=now,
            reopen_reason=reasons[opening],
            reopen_args=reason_args[opening],
        )
        .reset_index(drop=True)
    )

    held = merged.loc[found]
    rank = {column: _severity_rank(held[column]) for column in ("severity", "was_severity")}
    raised = rank["severity"] > rank["was_severity"]
    # Acknowledged stays acknowledged while the condition holds, unless it got worse.
    reopen = raised & (held["was_status"] == AlertStatus.ACKNOWLEDGED.value)
    updates = pd.DataFrame(
        {
            "id": held["id"].astype("int64"),
            "severity": held["severity"],
            "message": held["message"],
            "message_args": held["message_args"],
            "days_late": held["days_late"],
            "last_seen": now,
            "status": held["was_status"].where(~reopen, AlertStatus.OPEN.value),
            "raised": raised.astype(bool),
            **({"message_hash": held["message_hash"]} if "message_hash" in held else {}),
        },
        columns=[*UPDATE_COLUMNS, *(["message_hash"] if "message_hash" in held else [])],
    ).reset_index(drop=True)

    # A live alert whose key some condition has was matched to it by the merge above.
    cleared = ~live["id"].isin(held["id"]).to_numpy()
    gone = (
        ~pd.MultiIndex.from_frame(dismissed[key]).isin(pd.MultiIndex.from_frame(current[key]))
        if len(dismissed)
        else np.zeros(0, bool)
    )
    if scope is not None:
        cleared &= live["subject_key"].isin(scope).to_numpy()
        gone &= dismissed["subject_key"].isin(scope).to_numpy()
    ended = [int(i) for i in dismissed.loc[gone, "id"]] + [int(i) for i in new.loc[reopened, "dismissed_id"]]
    return ReconcilePlan(
        inserts=inserts,
        updates=updates,
        resolves=[int(i) for i in live.loc[cleared, "id"]],
        ended_dismissals=sorted(ended),
        kept_dismissed=int((was_dismissed & ~worse).sum()),
    )
