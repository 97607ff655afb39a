"""Schedules: post or revise a line's production plan, see every revision and the burn-up."""

import datetime as dt

import pandas as pd
import streamlit as st

from db.engine import Database
from portal.core import vocabulary
from portal.core.domain import PortalError
from portal.core.inputs import InvalidInput, ScheduleRevision
from portal.i18n import _, format_date, format_number
from portal.queries.line_detail import LineDetail, as_date, line_detail
from portal.queries.lines import line_choices
from portal.services.access import Actor
from portal.services.production import (
    ScheduleConflict,
    ScheduleResult,
    fit_warning,
    implied_end_date,
    revise_schedule,
)
from portal.ui.charts import show_burnup
from portal.ui.context import actor, call, read, refresh
from portal.ui.context import today as my_day
from portal.ui.text import plain
from portal.ui.widgets import (
    date_format,
    date_input_format,
    datetime_format,
    line_picker,
    line_summary,
    show_table,
    table_date,
)

NOTICE = "schedule.notice"


def _base_key(line_id: int) -> str:
    """The revision the form is based on: set when the form opens, moved only by a save or a reload."""
    return f"schedule.base.{line_id}"


def _field(line_id: int, name: str) -> str:
    return f"schedule.{name}.{line_id}"


def _open_form(detail: LineDetail, today: dt.date) -> None:
    """Fill the form from the current schedule (or sensible blanks) the first time a line is shown."""
    line_id = int(detail.header["line_id"])
    # Widget values vanish when the page or line is left: then the form reopens on the current schedule.
    if _field(line_id, "start") in st.session_state and _base_key(line_id) in st.session_state:
        return
    current = detail.current_schedule
    if current is not None:
        st.session_state[_base_key(line_id)] = int(current["revision"])
        st.session_state[_field(line_id, "start")] = as_date(current["start_date"])
        st.session_state[_field(line_id, "output")] = int(current["daily_output"])
        st.session_state[_field(line_id, "end")] = as_date(current["estimated_end_date"])
    else:
        st.session_state[_base_key(line_id)] = None
        order = as_date(detail.header["order_date"])
        start = detail.calendar.add_working_days(max(today, order or today), 0)
        st.session_state[_field(line_id, "start")] = start
        st.session_state[_field(line_id, "output")] = None
        st.session_state[_field(line_id, "end")] = None
    st.session_state[_field(line_id, "reason")] = ""


def _reload(line_id: int, revision: int | None) -> None:
    """Base the form on the revision someone else saved; the user's input stays in the form."""
    st.session_state[_base_key(line_id)] = revision
    st.session_state.pop(f"schedule.conflict.{line_id}", None)
    refresh()


def _plan_text(start: dt.date | None, output: int | None, end: dt.date | None) -> str:
    """'start Mar 2, 2026, 100 a day, end Mar 13, 2026' (blanks as '—')."""

    def day(value: dt.date | None) -> str:
        return format_date(value) if value else "—"

    return _("start {start}, {output} a day, end {end}").format(
        start=day(start), output=format_number(int(output)) if output else "—", end=day(end)
    )


def _use_implied(line_id: int, day: dt.date) -> None:
    st.session_state[_field(line_id, "end")] = day


def _save(
    db: Database, who: Actor, line_id: int, plan: ScheduleRevision, expected_revision: int | None
) -> ScheduleResult | ScheduleConflict:
    """revise_schedule, returning a conflict (not only showing it) so the page can offer a reload."""
    try:
        return revise_schedule(db, who, line_id, plan, expected_revision=expected_revision)
    except ScheduleConflict as conflict:
        return conflict


@st.fragment
def schedule_form(detail: LineDetail) -> None:
    """The form; typing reruns only this fragment, so the implied end date follows the input at once."""
    line_id = int(detail.header["line_id"])
    today = my_day()
    base = st.session_state[_base_key(line_id)]
    current = detail.current_schedule
    current_end = as_date(current["estimated_end_date"]) if current is not None else None
    if st.session_state.pop(_field(line_id, "clear_reason"), False):
        st.session_state[_field(line_id, "reason")] = ""
    # Refusals show above the form: below the Save button they would be off screen on a laptop.
    messages = st.container()

    with st.container(border=True):
        action = (
            _("**Revise the schedule** of {line}") if base else _("**Post the first schedule** of {line}")
        )
        st.markdown(action.format(line=plain(detail.header["label"])))
        c1, c2, c3 = st.columns(3)
        start = c1.date_input(_("Start date"), key=_field(line_id, "start"), format=date_input_format())
        output = c2.number_input(
            _("Planned daily output (good units)"),
            min_value=1,
            step=1,
            value=None,
            key=_field(line_id, "output"),
            placeholder=_("units per working day"),
        )
        end = c3.date_input(_("Estimated end date"), key=_field(line_id, "end"), format=date_input_format())
        later = end is not None and current_end is not None and end > current_end
        reason = st.text_input(
            _("Reason (required: the end date moves later than {date})").format(date=format_date(current_end))
            if later
            else _("Reason (required when the end date moves later)"),
            key=_field(line_id, "reason"),
            max_chars=2000,
            placeholder=_("e.g. resin delivery late by a week"),
        )
        implied = None
        if start is not None and output:
            forecast = detail.forecast or {}
            implied = implied_end_date(
                detail.calendar,
                start_date=start,
                daily_output=int(output),
                quantity=int(detail.header["quantity"]),
                produced=int(forecast.get("produced") or 0),
                today=today,
            )
        if implied is not None and output is not None:  # implied is only computed with an output
            warning = (
                fit_warning(end, implied, int(output), write_date=format_date) if end is not None else None
            )
            hint = st.container(horizontal=True, vertical_alignment="center")
            if warning:
                hint.warning(warning, icon=":material/warning:")
            else:
                hint.caption(
                    _(
                        "Implied end date {date}: {remaining} units at {output} a day on your working days."
                    ).format(
                        date=format_date(implied.end_date),
                        remaining=format_number(implied.remaining),
                        output=format_number(int(output)),
                    )
                )
            if end != implied.end_date:
                hint.button(
                    _("Use {date}").format(date=format_date(implied.end_date)),
                    key=_field(line_id, "use_implied"),
                    on_click=_use_implied,
                    args=(line_id, implied.end_date),
                    help=_("Set the estimated end date to the implied end date"),
                )
        next_revision = (base or 0) + 1
        clicked = st.button(
            _("Save revision {n}").format(n=next_revision) if base else _("Save schedule"),
            type="primary",
            key=_field(line_id, "save"),
            icon=":material/save:",
        )

    conflict_key = f"schedule.conflict.{line_id}"
    if clicked:
        with messages:
            if start is None or end is None or not output:
                st.error(_("Fill in the start date, the planned daily output and the estimated end date."))
                return
            try:
                plan = ScheduleRevision.build(
                    start_date=start, daily_output=output, estimated_end_date=end, reason=reason
                )
            except InvalidInput as refused:
                st.error(plain(refused))
                return
            outcome = call(_save, line_id, plan, base)
        if isinstance(outcome, ScheduleConflict):
            st.session_state[conflict_key] = (str(outcome), outcome.current_revision)
            st.toast(_("Not saved: someone changed this schedule."), icon=":material/sync_problem:")
        elif outcome is None:
            st.toast(_("Not saved: see the message above the form."), icon=":material/error:")
        else:
            st.session_state[_base_key(line_id)] = outcome.revision
            st.session_state[_field(line_id, "clear_reason")] = True
            st.session_state[NOTICE] = (outcome.label, outcome.revision, outcome.warning)
            st.rerun()
    if conflict_key in st.session_state:
        message, revision = st.session_state[conflict_key]
        with messages:
            st.error(plain(message), icon=":material/sync_problem:")
            latest = read(line_detail, line_id).current_schedule
            if latest is not None:
                saved = _plan_text(
                    as_date(latest["start_date"]),
                    int(latest["daily_output"]),
                    as_date(latest["estimated_end_date"]),
                )
                st.caption(
                    _("Saved now: {saved}. Your input: {typed}.").format(
                        saved=saved, typed=_plan_text(start, output, end)
                    )
                )
            row = st.container(horizontal=True, vertical_alignment="center")
            row.button(
                _("Reload the latest schedule"),
                key=_field(line_id, "reload"),
                on_click=_reload,
                args=(line_id, revision),
                icon=":material/refresh:",
            )
            row.caption(_("Your input stays in the form: nothing you typed is lost."))


def history_table(detail: LineDetail) -> None:
    """Every revision, newest first: who, when, the end date's move, why."""
    revisions = detail.schedules
    if revisions.empty:
        st.caption(_("No schedule yet."))
        return

    def day(value: object) -> str:
        return "—" if value is None or pd.isna(value) else table_date(pd.Timestamp(value).date())

    view = pd.DataFrame(
        {
            "revision": revisions["revision"],
            "saved": pd.to_datetime(revisions["created_at"]),
            "by": revisions["created_by"].map(vocabulary.actor_name),
            "end_change": [
                day(new) if pd.isna(old) else f"{day(old)} → {day(new)}"
                for old, new in zip(
                    revisions["previous_end_date"], revisions["estimated_end_date"], strict=True
                )
            ],
            "start_date": pd.to_datetime(revisions["start_date"]),
            "daily_output": revisions["daily_output"],
            "reason": revisions["reason"],
        }
    ).iloc[::-1]
    show_table(
        view,
        key="schedule.history",
        placeholder="—",
        column_config={
            # Translators: short column header: the schedule's revision number.
            "revision": st.column_config.NumberColumn(_("Rev."), width=50),
            "saved": st.column_config.DatetimeColumn(_("Saved (UTC)"), format=datetime_format(), width=140),
            "by": st.column_config.TextColumn(_("By"), width=150),
            "end_change": st.column_config.TextColumn(_("End date: old → new"), width=190),
            "start_date": st.column_config.DateColumn(_("Start"), format=date_format(), width=95),
            "daily_output": st.column_config.NumberColumn(_("Per day"), format="localized", width=70),
            "reason": st.column_config.TextColumn(_("Reason"), width="large"),
        },
    )


me = actor()
st.title(_("Schedules"))
choices = read(line_choices)
if choices.empty:
    st.info(_("You have no open lines to schedule."))
    st.stop()
line_id = line_picker(choices, key="schedule.line")
try:
    detail = read(line_detail, line_id)
except PortalError as exc:
    st.error(plain(exc))
    st.stop()

notice = st.session_state.pop(NOTICE, None)
if notice:
    label, revision, warning = notice
    # The warning itself stays in view in the form below, where the plan can be fixed.
    saved = _("Revision {n} of the schedule of {line} saved. The forecast is updated.").format(
        n=revision, line=plain(label)
    )
    if warning:
        saved += " " + _("Its end date does not match the plan: see the warning below.")
    st.success(saved)

line_summary(detail)
_open_form(detail, my_day())
schedule_form(detail)
st.subheader(_("Burn-up"))
show_burnup(detail)
st.subheader(_("Revision history"))
history_table(detail)
