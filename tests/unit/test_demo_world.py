"""The demo world: its size, its realism, and that every frame is a valid import file."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from portal.core.calendar import CalendarSet, default_holiday_years
from portal.core.domain import LineStatus, Role
from portal.core.fileformats import check_rows
from portal.core.forecast import forecast_lines
from portal.demo.load import as_text_cells
from portal.demo.world import (
    LINE_PROFILES,
    DemoWorld,
    generate_world,
    line_states,
    supplier_calendars,
)

TODAY = dt.date(2026, 3, 6)  # a Friday, two weeks after Chinese New Year
SUNDAY = dt.date(2025, 8, 17)  # a Sunday, in the middle of an Italian summer shutdown
KEY = ["po_number", "line"]


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return generate_world(seed=7, today=TODAY)


@pytest.fixture(scope="module", params=[TODAY, SUNDAY], ids=["friday", "sunday"])
def any_world(request: pytest.FixtureRequest) -> DemoWorld:
    return generate_world(seed=11, today=request.param)


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells as a CSV file holds them: ISO dates, whole numbers, '' for missing."""

    def text(value: object) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    return frame.map(text)


def _frames(world: DemoWorld) -> list[tuple[str, pd.DataFrame]]:
    frames = [
        ("suppliers", world.suppliers),
        ("items", world.items),
        ("pos", world.pos),
        ("reports", world.reports),
        ("receipts", world.receipts),
        ("backorders", world.backorders),
    ]
    return frames + [("schedules", frame) for frame in world.schedule_revisions]


def _days(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]")


def _supplier_ids(world: DemoWorld) -> dict[str, int]:
    return {code: i for i, code in enumerate(world.suppliers["code"], start=1)}


def _calendar_set(world: DemoWorld) -> CalendarSet:
    ids = _supplier_ids(world)
    suppliers = pd.DataFrame(
        {
            "supplier_id": list(ids.values()),
            "country": world.suppliers["country"].to_numpy(),
            "working_weekdays": [world.working_weekdays[c] for c in ids],
        }
    )
    closures = pd.DataFrame(
        {
            "supplier_id": world.closures["supplier_code"].map(ids),
            "closure_date": world.closures["closure_date"],
        }
    )
    return CalendarSet.from_frames(suppliers, closures, years=default_holiday_years(world.today))


def _lines(world: DemoWorld) -> pd.DataFrame:
    """The PO lines with their final state, effective transit and latest schedule (engine-shaped)."""
    lines = world.pos.copy()
    lines["line_id"] = np.arange(1, len(lines) + 1)
    lines["supplier_id"] = lines["supplier_code"].map(_supplier_ids(world))
    states = line_states(world)
    lines["status"] = states.reindex(pd.MultiIndex.from_frame(lines[KEY])).to_numpy()
    transit = world.suppliers.set_index("code")["transit_days"]
    lines["transit_days"] = lines["transit_days"].fillna(lines["supplier_code"].map(transit)).astype(int)
    latest = pd.concat(world.schedule_revisions).drop_duplicates(KEY, keep="last")
    first = world.schedule_revisions[0][[*KEY, "start_date", "daily_output"]].rename(
        columns={"start_date": "first_start", "daily_output": "first_daily_output"}
    )
    lines = lines.merge(latest, on=KEY, how="left").merge(first, on=KEY, how="left")
    for col in ("need_by_date", "order_date", "start_date", "estimated_end_date", "first_start"):
        lines[col] = pd.to_datetime(lines[col])
    return lines


def _reports(world: DemoWorld) -> pd.DataFrame:
    reports = world.reports.merge(
        _lines(world)[[*KEY, "line_id", "supplier_id", "status", "first_start"]], on=KEY
    )
    return reports.assign(report_date=pd.to_datetime(reports["date"]))


# ---------------------------------------------------------------------------- shape and validity


def test_the_world_has_the_promised_size(world: DemoWorld) -> None:
    assert len(world.suppliers) == 12
    assert world.suppliers["country"].nunique() == 12
    assert len(world.items) == 60
    assert len(world.pos) == 300
    assert len(world.backorders) == 150
    assert world.backorders["sku"].nunique() == 40


def test_every_frame_passes_the_import_checks(world: DemoWorld) -> None:
    for kind, frame in _frames(world):
        table = check_rows(_cells(frame), kind)
        assert table.errors == [], (kind, [str(e) for e in table.errors[:5]])


def test_as_text_cells_writes_what_a_csv_file_holds(world: DemoWorld) -> None:
    for _, frame in _frames(world):
        pd.testing.assert_frame_equal(as_text_cells(frame).astype(object), _cells(frame).astype(object))
    assert "" in set(as_text_cells(world.pos)["order_date"])  # an unknown order date is an empty cell


def test_every_reference_points_at_something_that_exists(world: DemoWorld) -> None:
    lines = pd.MultiIndex.from_frame(world.pos[KEY])
    assert world.pos["supplier_code"].isin(world.suppliers["code"]).all()
    assert world.pos["sku"].isin(world.items["sku"]).all()
    assert world.backorders["sku"].isin(world.items["sku"]).all()
    assert world.closures["supplier_code"].isin(world.suppliers["code"]).all()
    for frame in [world.reports, world.receipts, *world.schedule_revisions]:
        assert pd.MultiIndex.from_frame(frame[KEY]).isin(lines).all()
    assert set(world.shipped) <= set(lines) and set(world.cancelled) <= set(lines)
    assert not set(world.shipped) & set(world.cancelled)


def test_a_schedule_never_starts_before_its_order_date(world: DemoWorld) -> None:
    # The schedules import refuses a start before the line's order date.
    for frame in world.schedule_revisions:
        merged = frame.merge(world.pos[[*KEY, "order_date"]], on=KEY)
        known = merged["order_date"].notna()
        assert (merged.loc[known, "start_date"] >= merged.loc[known, "order_date"]).all()


# ---------------------------------------------------------------------------- determinism


def test_the_same_seed_and_day_give_the_same_world(world: DemoWorld) -> None:
    again = generate_world(seed=7, today=TODAY)
    for (kind, a), (_, b) in zip(_frames(world), _frames(again), strict=True):
        pd.testing.assert_frame_equal(a, b, obj=kind)
    pd.testing.assert_frame_equal(world.closures, again.closures)
    assert (world.users, world.shipped, world.cancelled) == (again.users, again.shipped, again.cancelled)


def test_another_seed_gives_another_world(world: DemoWorld) -> None:
    other = generate_world(seed=8, today=TODAY)
    assert not world.pos.equals(other.pos)
    assert not world.reports.equals(other.reports)
    assert not world.backorders.equals(other.backorders)


def test_dates_follow_today(world: DemoWorld) -> None:
    later = generate_world(seed=7, today=TODAY + dt.timedelta(days=400))
    assert min(later.reports["date"]) > min(world.reports["date"]) + dt.timedelta(days=300)
    assert (
        max(later.reports["date"]) <= later.today < max(later.backorders["order_date"]) + dt.timedelta(days=7)
    )


# ---------------------------------------------------------------------------- calendars and dates


def test_reports_fall_only_on_the_suppliers_working_days(any_world: DemoWorld) -> None:
    reports = _reports(any_world)
    working = _calendar_set(any_world).is_working_day(
        _days(reports["date"]), reports["supplier_id"].to_numpy()
    )
    assert working.all(), reports.loc[~working, [*KEY, "date"]].head()
    # Saturday-working factories do report on Saturdays.
    on_saturday = reports.merge(any_world.pos[[*KEY, "supplier_code"]], on=KEY)
    on_saturday = on_saturday[on_saturday["report_date"].dt.day_of_week == 5]
    saturday_workers = {c for c, mask in any_world.working_weekdays.items() if mask[5] == "1"}
    assert len(on_saturday) > 0 and set(on_saturday["supplier_code"]) <= saturday_workers


def test_the_calendars_know_holidays_and_closures(world: DemoWorld) -> None:
    calendars = supplier_calendars(world)
    assert not calendars["ACME-DE"].is_working_day(dt.date(2025, 12, 25))  # Christmas
    assert not calendars["PEARL-CN"].is_working_day(dt.date(2026, 2, 24))  # Chinese New Year shutdown
    assert calendars["MEKONG-VN"].is_working_day(dt.date(2026, 3, 7))  # a Saturday
    assert not calendars["LAKES-US"].is_working_day(dt.date(2026, 3, 7))
    reasons = set(world.closures["reason"])
    assert {"Chinese New Year shutdown", "Summer shutdown (Ferragosto)"} <= reasons
    # A closure is listed only where the factory would otherwise work.
    closures = world.closures.assign(
        supplier_id=world.closures["supplier_code"].map(_supplier_ids(world)),
        weekday=pd.to_datetime(world.closures["closure_date"]).dt.day_of_week,
    )
    assert (closures["weekday"] < 6).all()


def test_nothing_is_dated_after_today(any_world: DemoWorld) -> None:
    today = any_world.today
    assert max(any_world.reports["date"]) <= today
    assert max(any_world.receipts["received_date"]) <= today
    assert any_world.pos["order_date"].dropna().max() <= today
    assert max(any_world.backorders["order_date"]) <= today


def test_no_report_before_its_line_starts_and_one_per_day(any_world: DemoWorld) -> None:
    reports = _reports(any_world)
    assert (reports["report_date"] >= reports["first_start"]).all()
    for frame in any_world.schedule_revisions:
        merged = any_world.reports.merge(frame[[*KEY, "start_date"]], on=KEY)
        assert (merged["date"] >= merged["start_date"]).all()
    assert not any_world.reports.duplicated([*KEY, "date"]).any()
    assert (any_world.reports["good_qty"] >= 0).all()


# ---------------------------------------------------------------------------- states


def test_every_line_state_is_present_in_the_intended_numbers(world: DemoWorld) -> None:
    counts = line_states(world).value_counts().to_dict()
    assert counts == {state.value: sum(kinds.values()) for state, kinds in LINE_PROFILES.items()}
    assert counts == {"received": 90, "in_production": 160, "open": 25, "shipped": 15, "cancelled": 10}


def test_received_lines_are_received_in_full_after_production_and_transit(world: DemoWorld) -> None:
    lines = _lines(world).set_index(KEY)
    receipts = world.receipts.merge(lines.reset_index()[[*KEY, "status", "quantity", "transit_days"]], on=KEY)
    received = receipts[receipts["status"] == "received"]
    good = (received["quantity_x"] - received["rejected_qty"]).groupby(
        [received["po_number"], received["line"]]
    )
    full = good.sum() / received.groupby(KEY)["quantity_y"].first()
    assert len(full) == 90 and (full >= 0.98).all()
    assert (received.groupby(KEY).size() == 2).sum() >= 3  # short-shipped, then completed
    assert (received["rejected_qty"] > 0).sum() >= 3
    last_report = world.reports.groupby(KEY)["date"].max().rename("last_report")
    received = received.merge(last_report, left_on=KEY, right_index=True)
    arrival = _days(received["last_report"]) + received["transit_days"].to_numpy().astype("timedelta64[D]")
    assert (_days(received["received_date"]) >= arrival).all()
    # The reports of a delivered line add up to what was ordered.
    made = world.reports.groupby(KEY)["good_qty"].sum()
    ordered = lines.loc[lines["status"] == "received", "quantity"]
    assert (made.reindex(ordered.index) == ordered).all()


def test_some_delivered_lines_were_late(world: DemoWorld) -> None:
    lines = _lines(world)
    delivered = world.receipts.groupby(KEY)["received_date"].max().rename("delivered").reset_index()
    done = lines[lines["status"] == "received"].merge(delivered, on=KEY)
    due = pd.to_datetime(done["promised_date"]).fillna(done["need_by_date"])
    late = (pd.to_datetime(done["delivered"]) > due).mean()
    assert 0.1 <= late <= 0.5
    history_start = pd.Timestamp(world.today - dt.timedelta(days=549))
    assert (pd.to_datetime(done["delivered"]) >= history_start).all()


def test_shipped_lines_finished_production_and_a_couple_arrived_in_part(world: DemoWorld) -> None:
    lines = _lines(world).set_index(KEY)
    shipped = lines.loc[world.shipped]
    made = world.reports.groupby(KEY)["good_qty"].sum().reindex(shipped.index)
    assert (made >= shipped["quantity"]).all()
    last = pd.to_datetime(world.reports.groupby(KEY)["date"].max().reindex(shipped.index))
    assert (last < pd.Timestamp(world.today)).all()
    partial = world.receipts.set_index(KEY).loc[lambda r: r.index.isin(world.shipped)]
    assert len(partial) == 2
    assert (partial["quantity"] < 0.9 * shipped.loc[partial.index, "quantity"]).all()


def test_open_lines_are_scheduled_later_unscheduled_or_late_to_start(world: DemoWorld) -> None:
    lines = _lines(world)
    open_ = lines[lines["status"] == "open"]
    today = pd.Timestamp(world.today)
    assert (open_["start_date"] > today).sum() >= 8
    assert open_["start_date"].isna().sum() >= 5
    late_start = open_[open_["start_date"] < today - pd.Timedelta(days=2)]
    assert len(late_start) >= 4


def test_lines_in_production_show_realistic_trouble(world: DemoWorld) -> None:
    lines = _lines(world)
    producing = lines[lines["status"] == "in_production"].set_index("line_id")
    reports = _reports(world)
    reports = reports[reports["line_id"].isin(producing.index)]
    calendars = _calendar_set(world)
    sid = producing["supplier_id"].to_numpy()
    last = pd.to_datetime(reports.groupby("line_id")["date"].max()).reindex(producing.index)
    silent = calendars.count(_days(last) + 1, np.full(len(sid), np.datetime64(world.today, "D") + 1), sid)
    assert 12 <= (silent >= 4).sum() <= 25  # stale
    assert (silent <= 2).mean() > 0.8
    # Output against the first plan through the last report.
    days = calendars.count(_days(producing["first_start"]), _days(last) + 1, sid)
    planned = producing["first_daily_output"].to_numpy() * days
    made = reports.groupby("line_id")["good_qty"].sum().reindex(producing.index).to_numpy()
    ratio = made / planned
    assert (ratio < 0.75).sum() >= 10  # slow
    assert (np.abs(ratio - 1) < 0.2).mean() > 0.5  # most near plan
    rejected = reports.groupby("line_id")["rejected_qty"].sum()
    share = rejected / (rejected + reports.groupby("line_id")["good_qty"].sum())
    assert 8 <= (share > 0.05).sum() <= 20


def test_forecasts_spread_from_comfortably_early_to_late(world: DemoWorld) -> None:
    lines = _lines(world)
    open_lines = lines[lines["status"].isin(["open", "in_production", "shipped"])]
    reports = _reports(world)[["line_id", "report_date", "good_qty", "rejected_qty"]]
    forecast = forecast_lines(open_lines, reports, _calendar_set(world), world.today).merge(
        open_lines[["line_id", "need_by_date"]], on="line_id"
    )
    need_by = _days(forecast["need_by_date"])
    p50, p90 = _days(forecast["arrival_p50"]), _days(forecast["arrival_p90"])
    late = p50 > need_by
    at_risk = (p90 > need_by) & ~late
    early = p90 + np.timedelta64(7, "D") < need_by
    assert late.sum() >= 20 and at_risk.sum() >= 5 and early.sum() >= 60


def test_lines_have_sensible_quantities_dates_and_durations(world: DemoWorld) -> None:
    pos = world.pos
    assert pos["quantity"].between(200, 20000).all()
    assert pos["order_date"].isna().sum() >= 3
    assert pos["promised_date"].notna().sum() >= 30
    assert pos["transit_days"].notna().sum() >= 3
    first = world.schedule_revisions[0].merge(pos[[*KEY, "quantity"]], on=KEY)
    planned_days = np.ceil(first["quantity"] / first["daily_output"])
    assert planned_days.between(5, 60).all()


# ---------------------------------------------------------------------------- schedules


def test_schedule_revisions_are_numbered_and_slips_give_a_reason(world: DemoWorld) -> None:
    revisions = world.schedule_revisions
    assert len(revisions) >= 3
    previous = revisions[0]
    assert not previous.duplicated(KEY).any()
    slipped = pulled_in = 0
    for frame in revisions[1:]:
        assert not frame.duplicated(KEY).any()
        assert pd.MultiIndex.from_frame(frame[KEY]).isin(pd.MultiIndex.from_frame(previous[KEY])).all()
        merged = frame.merge(previous[[*KEY, "estimated_end_date"]], on=KEY, suffixes=("", "_before"))
        later = merged["estimated_end_date"] > merged["estimated_end_date_before"]
        reasons = merged.loc[later, "reason"]
        assert reasons.notna().all() and (reasons.str.len() > 0).all()
        slipped += int(later.sum())
        pulled_in += int((merged["estimated_end_date"] < merged["estimated_end_date_before"]).sum())
        previous = frame
    assert slipped >= 40 and pulled_in >= 3
    started = line_states(world).isin(["received", "in_production", "shipped"]).sum()
    assert 0.2 <= len(revisions[1]) / started <= 0.4


def test_every_started_line_has_a_first_revision(world: DemoWorld) -> None:
    scheduled = pd.MultiIndex.from_frame(world.schedule_revisions[0][KEY])
    reported = pd.MultiIndex.from_frame(world.reports[KEY].drop_duplicates())
    assert reported.isin(scheduled).all()


# ---------------------------------------------------------------------------- backorders and people


def test_backorders_look_like_customer_orders(world: DemoWorld) -> None:
    bo = world.backorders
    assert bo["order_ref"].is_unique and bo["order_ref"].str.fullmatch(r"SO-\d{5}").all()
    assert bo["quantity"].between(1, 500).all()
    age = (pd.Timestamp(world.today) - pd.to_datetime(bo["order_date"])).dt.days
    assert age.between(0, 60).all()
    assert (bo["priority"] == 0).mean() > 0.6 and bo["priority"].isin([0, 1, 2]).all()
    assert set(bo["priority"]) == {0, 1, 2}
    assert 0.2 <= bo["communicated_date"].notna().mean() <= 0.4
    assert bo["customer"].nunique() >= 15


def test_some_demand_exceeds_stock_and_everything_on_order(world: DemoWorld) -> None:
    lines = _lines(world)
    awaiting = lines[lines["status"].isin(["open", "in_production", "shipped"])]
    received = world.receipts.assign(good=world.receipts["quantity"] - world.receipts["rejected_qty"])
    got = received.groupby(KEY)["good"].sum()
    still = awaiting.set_index(KEY)["quantity"] - got.reindex(awaiting.set_index(KEY).index).fillna(0)
    supply = still.groupby(awaiting.set_index(KEY)["sku"]).sum()
    demand = world.backorders.groupby("sku")["quantity"].sum()
    stock = world.items.set_index("sku")["on_hand"]
    short = demand > stock.reindex(demand.index) + supply.reindex(demand.index).fillna(0)
    assert short.sum() >= 4
    assert (supply.reindex(short[short].index).fillna(0) > 0).any()  # short although something is on order


def test_some_customers_were_told_dates_sooner_than_supply_arrives(world: DemoWorld) -> None:
    lines = _lines(world)
    awaiting = lines[lines["status"].isin(["open", "in_production", "shipped"])]
    arrival = awaiting["estimated_end_date"] + pd.to_timedelta(awaiting["transit_days"], unit="D")
    earliest = arrival.groupby(awaiting["sku"]).min()
    bo = world.backorders.merge(world.items[["sku", "on_hand"]], on="sku")
    told = bo[bo["communicated_date"].notna() & (bo["on_hand"] == 0)]
    supply_arrives = told["sku"].map(earliest)
    too_soon = (pd.to_datetime(told["communicated_date"]) < supply_arrives).fillna(True)
    assert too_soon.sum() >= 5
    assert (~too_soon).sum() >= 5


def test_items_are_mostly_low_on_stock(world: DemoWorld) -> None:
    on_hand = world.items["on_hand"]
    assert (on_hand >= 0).all() and (on_hand <= 50).mean() > 0.6
    assert world.items["sku"].str.fullmatch(r"SKU-\d{4}").all() and world.items["description"].is_unique


def test_suppliers_are_believable(world: DemoWorld) -> None:
    s = world.suppliers
    assert s["code"].is_unique and s["transit_days"].between(2, 35).all()
    assert 3 <= s["capacity_per_day"].isna().sum() <= 9
    for cell in s["email"]:
        addresses = cell.split("; ")
        assert 1 <= len(addresses) <= 2 and all(a.endswith("@example.com") for a in addresses)
    masks = set(world.working_weekdays.values())
    assert masks == {"1111100", "1111110"} and set(world.working_weekdays) == set(s["code"])


def test_there_is_one_user_per_role_and_a_second_supplier(world: DemoWorld) -> None:
    users = {u.username: u for u in world.users}
    assert set(users) == {"supplier", "supplier2", "buyer", "manager", "admin"}
    assert {u.role for u in world.users} == {r.value for r in Role}
    assert users["supplier"].supplier_code == world.suppliers["code"].iloc[0]
    assert users["supplier2"].supplier_code in set(world.suppliers["code"]) - {
        users["supplier"].supplier_code
    }
    assert all(u.supplier_code is None for u in world.users if u.role != Role.SUPPLIER)
    passwords = [u.password for u in world.users]
    assert len(set(passwords)) == 5 and all(
        len(p) >= 10 and re.fullmatch(r"[a-z0-9-]+", p) for p in passwords
    )
    assert users["supplier"].display_name.endswith(f"({users['supplier'].supplier_code})")


def test_the_demo_suppliers_have_lines_to_show(world: DemoWorld) -> None:
    lines = _lines(world)
    for code in ("ACME-DE", "PEARL-CN"):
        states = set(lines.loc[lines["supplier_code"] == code, "status"])
        assert {LineStatus.RECEIVED.value, LineStatus.IN_PRODUCTION.value} <= states
