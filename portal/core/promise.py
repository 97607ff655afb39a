"""Available-to-promise: dates for backorders from on-hand stock and open PO lines.

Supply of an item is its on-hand stock (available on the as-of date) plus each open line's
outstanding quantity, available on its ``arrival_p90`` plus the supplier's buffer. Demand is
the backorders, in order: priority (high first), order_date, order_ref. Allocation is greedy
first-in first-out on cumulative quantities: backorder i needs the units
``(cumD[i-1], cumD[i]]`` of its item, and its promise date is the availability date of supply
unit ``cumD[i]`` plus the safety days. Ship-complete: a backorder is promised only in full.

**Strict queue.** A backorder whose units run past the item's supply is unpromisable, and so is
every backorder behind it in the same item's queue, even a small one that the leftover stock
could cover. Letting it jump ahead would hand stock to a later (or lower-priority) order that
an earlier one is waiting for, and the earlier one's date would then depend on supply that is
not there yet. The queue is also what keeps promises monotone: a higher-priority backorder
never gets a later date than a lower-priority one of the same item.

Everything is computed for all items at once: each item gets a rank, and the keys
``rank * BIG + cumulative quantity`` (int64) sort supply and demand of all items on one line,
so ``np.searchsorted`` finds every backorder's last unit in one call.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from portal.core.buffers import buffer_for
from portal.core.calendar import to_days
from portal.core.domain import PromiseStatus, ValidationError
from portal.core.promise_text import ARRIVAL_P90, DUE_DATE, no_supply_args, on_hand_args, with_safety


def _iso(days: np.ndarray) -> pd.Series:
    return pd.Series(np.datetime_as_string(days, unit="D"), dtype="str")


def build_supply(
    on_hand: pd.DataFrame, lines: pd.DataFrame, buffers: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Supply rows (item_id, po_line_id <NA> for on-hand, quantity, available_date, reason,
    reason_args) as of ``as_of``.

    ``reason`` says in words where the date comes from: "on hand", or "arrival p90 2026-12-20 of
    PO-40364/3 + 2 days ACME-DE buffer" (with ``lines``' optional label and supplier_code);
    ``reason_args`` is the same as its template's arguments (:mod:`portal.core.promise_text`).
    """
    today = np.datetime64(as_of, "D")
    stock = on_hand[on_hand["on_hand"].to_numpy() > 0]
    open_lines = lines[lines["outstanding_qty"].to_numpy() > 0]
    # A line without a forecast yet is expected on its due date.
    p90 = to_days(open_lines["arrival_p90"])
    expected = np.where(np.isnat(p90), to_days(open_lines["due_date"]), p90)
    buffer = buffer_for(buffers, open_lines["supplier_id"].to_numpy())
    available = expected + buffer.astype("timedelta64[D]")
    dated = ~np.isnat(available)  # a line with no date at all cannot be promised against
    line_ids = np.concatenate(
        [np.full(len(stock), None, dtype=object), open_lines["po_line_id"].to_numpy()[dated]]
    )
    quantity = np.concatenate([stock["on_hand"].to_numpy(), open_lines["outstanding_qty"].to_numpy()[dated]])
    available = np.concatenate([np.full(len(stock), today), available[dated]])
    texts, args = _line_reasons(open_lines[dated], p90[dated], expected[dated], buffer[dated])
    return pd.DataFrame(
        {
            "item_id": np.concatenate([stock["item_id"].to_numpy(), open_lines["item_id"].to_numpy()[dated]]),
            "po_line_id": pd.array(line_ids, dtype="Int64"),
            "quantity": quantity.astype(np.int64),
            "available_date": np.maximum(available, today),
            "reason": np.concatenate([np.full(len(stock), "on hand", dtype=object), texts]),
            "reason_args": np.concatenate([np.full(len(stock), on_hand_args(), dtype=object), args]),
        }
    )


def _line_reasons(
    lines: pd.DataFrame, p90: np.ndarray, expected: np.ndarray, buffer: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ "arrival p90 2026-12-20 of PO-40364/3 + 2 days ACME-DE buffer" for each supply line, and the
    same as arguments (JSON text in :func:`portal.core.promise_text.line_args`' form)."""
    n = len(lines)
    if n == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    ids = pd.Series(lines["po_line_id"].to_numpy()).astype(str)
    label = pd.Series(lines["label"].to_numpy(), dtype="str") if "label" in lines else "line " + ids
    code = (
        pd.Series(lines["supplier_code"].to_numpy(), dtype="str")
        if "supplier_code" in lines
        else pd.Series("supplier", index=range(n))
    )
    dated = ~np.isnat(p90)
    basis = pd.Series("arrival p90 ", index=range(n)).where(dated, "due date ")
    days = pd.Series(buffer, index=range(n))
    plural = pd.Series(" days ", index=range(n)).where(days != 1, " day ")
    padding = (" + " + days.astype(str) + plural + code + " buffer").where(days > 0, "")
    iso = _iso(expected)
    texts: np.ndarray = (basis + iso + " of " + label + padding).to_numpy(dtype=object)
    key = pd.Series(f'{{"t":"{ARRIVAL_P90}"', index=range(n)).where(dated, f'{{"t":"{DUE_DATE}"')
    padding_args = (',"buffer":' + days.astype(str) + ',"supplier":' + _json_strings(code)).where(
        days > 0, ""
    )
    args: np.ndarray = (
        key + ',"date":"' + iso + '","line":' + _json_strings(label) + padding_args + "}"
    ).to_numpy(dtype=object)
    return texts, args


#: A character json.dumps writes other than as itself: outside printable ASCII, a quote, a backslash.
_ESCAPED = r'[^\x20-\x7e]|["\\]'


def _json_strings(values: pd.Series) -> pd.Series:
    """Each text as a JSON string, as json.dumps writes it (user text, escaped exactly as the one-item
    path escapes it): only the few that need escaping go through json.dumps one by one."""
    quoted = '"' + values + '"'
    escaped = values.str.contains(_ESCAPED, regex=True).to_numpy(dtype=bool)
    if escaped.any():
        quoted[escaped] = values[escaped].map(json.dumps)
    return quoted


def allocate(
    supply: pd.DataFrame, demand: pd.DataFrame, safety_days: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Promise dates for ``demand`` (one row per backorder, input order) and the supply each promise uses."""
    demand_qty = demand["quantity"].to_numpy(dtype=np.int64)
    if (demand_qty <= 0).any():
        bad = demand["backorder_id"].to_numpy()[demand_qty <= 0][0]
        raise ValidationError(f"Backorder {bad}: quantity must be a whole number > 0")
    supply = supply[supply["quantity"].to_numpy() > 0]
    supply_qty = supply["quantity"].to_numpy(dtype=np.int64)

    codes, items = pd.factorize(np.concatenate([supply["item_id"].to_numpy(), demand["item_id"].to_numpy()]))
    supply_item, demand_item = codes[: len(supply)], codes[len(supply) :]

    # Supply order per item: earliest first, on-hand before a line arriving the same day, then line id.
    supply_days = to_days(supply["available_date"]).astype(np.int64)
    line_ids = supply["po_line_id"].astype("Int64")
    on_hand_last = line_ids.notna().to_numpy()
    s_order = np.lexsort(
        (line_ids.fillna(-1).to_numpy(dtype=np.int64), on_hand_last, supply_days, supply_item)
    )
    # Demand order per item: priority high first, then order_date, then order_ref.
    priority = pd.to_numeric(demand["priority"]).fillna(0).to_numpy(dtype=float)
    order_days = to_days(demand["order_date"])
    order_days = np.where(np.isnat(order_days), np.datetime64("9999-12-31"), order_days).astype(np.int64)
    refs = demand["order_ref"].astype(str).to_numpy()
    d_order = np.lexsort((refs, order_days, -priority, demand_item))

    s_item, s_qty = supply_item[s_order], supply_qty[s_order]
    d_item, d_qty = demand_item[d_order], demand_qty[d_order]
    s_cum = _cumsum_within(s_item, s_qty, len(items))
    d_cum = _cumsum_within(d_item, d_qty, len(items))
    supply_total = np.bincount(s_item, weights=s_qty, minlength=len(items)).astype(np.int64)

    # One key line for all items: item rank * big + cumulative quantity, big beyond any item's total.
    big = int(max(s_cum.max(initial=0), d_cum.max(initial=0))) + 1
    if len(items) * big >= np.iinfo(np.int64).max:
        raise ValidationError("Quantities are too large to allocate")
    s_key = s_item * big + s_cum
    d_key = d_item * big + d_cum
    # Cumulative demand only grows along an item's queue, so "fits" is a prefix: the strict queue.
    promised = d_cum <= supply_total[d_item]
    last_unit = np.searchsorted(s_key, d_key[promised], side="left")
    s_dates = to_days(supply["available_date"])[s_order]

    promise_date = np.full(len(demand), np.datetime64("NaT"), dtype="datetime64[D]")
    promise_date[d_order[promised]] = s_dates[last_unit] + np.timedelta64(int(safety_days), "D")
    status = np.where(np.isnat(promise_date), PromiseStatus.UNPROMISABLE.value, PromiseStatus.PROMISED.value)
    promises = pd.DataFrame(
        {
            "backorder_id": demand["backorder_id"].to_numpy(),
            "promise_date": promise_date,
            "status": status,
        }
    )
    promises["reason"], promises["reason_args"] = _promise_reasons(
        supply, s_order, last_unit, promised, d_order, d_cum, d_qty, supply_total[d_item], safety_days
    )

    # The supply rows each promised backorder draws from: from the row holding its first unit
    # (first cumS > cumD[i-1]) to the row holding its last (first cumS >= cumD[i]).
    first_unit = np.searchsorted(s_key, (d_key - d_qty)[promised], side="right")
    spans = last_unit - first_unit + 1
    owner = np.repeat(np.flatnonzero(promised), spans)
    row = np.repeat(first_unit - np.cumsum(spans) + spans, spans) + np.arange(spans.sum())
    upper = np.minimum(s_cum[row], d_cum[owner])
    lower = np.maximum(s_cum[row] - s_qty[row], d_cum[owner] - d_qty[owner])
    allocations = pd.DataFrame(
        {
            "backorder_id": demand["backorder_id"].to_numpy()[d_order[owner]],
            "po_line_id": line_ids.array[s_order[row]],
            "quantity": (upper - lower).astype(np.int64),
            "available_date": s_dates[row],
        }
    )
    return promises, allocations


def _promise_reasons(
    supply: pd.DataFrame,
    s_order: np.ndarray,
    last_unit: np.ndarray,
    promised: np.ndarray,
    d_order: np.ndarray,
    d_cum: np.ndarray,
    d_qty: np.ndarray,
    item_supply: np.ndarray,
    safety_days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Why each promise date (demand input order): the supply of its last unit, or the units missing;
    in English, and as arguments (:mod:`portal.core.promise_text`).

    A promised backorder's date is that of the supply holding its last unit ("on hand", "arrival
    p90 ... of PO-.../3 + 2 days ACME-DE buffer"), plus the safety buffer. An unpromisable one
    lacks the units its queue position runs past the item's supply: "no open supply for 17 units"
    (or "17 of 40 units" when some of its units are there but it is promised only complete).
    """
    reasons = np.empty(len(d_order), dtype=object)
    args = np.empty(len(d_order), dtype=object)
    safety = (
        f" + {int(safety_days)} day{'s' if safety_days != 1 else ''} safety buffer" if safety_days else ""
    )
    if "reason" in supply and promised.any():
        sources = supply["reason"].to_numpy(dtype=object)[s_order][last_unit]
        reasons[d_order[promised]] = [f"{text}{safety}" for text in sources]
    if "reason_args" in supply and promised.any():
        source_args = supply["reason_args"].to_numpy(dtype=object)[s_order][last_unit]
        args[d_order[promised]] = [with_safety(a, int(safety_days)) for a in source_args]
    short = np.minimum(d_qty, d_cum - item_supply)[~promised]
    whole = d_qty[~promised]
    pairs = list(zip(short.tolist(), whole.tolist(), strict=True))
    reasons[d_order[~promised]] = [
        f"no open supply for {n:,} units" if n == w else f"no open supply for {n:,} of {w:,} units"
        for n, w in pairs
    ]
    args[d_order[~promised]] = [no_supply_args(n, w) for n, w in pairs]
    return reasons, args


def _cumsum_within(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Cumulative sum restarting at each group (rows sorted by group)."""
    total = np.cumsum(values)
    before_group = np.r_[
        0, np.cumsum(np.bincount(group, weights=values, minlength=n_groups).astype(np.int64))
    ]
    ahead: np.ndarray = total - before_group[group]
    return ahead
