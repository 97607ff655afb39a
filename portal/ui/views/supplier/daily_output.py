"""Daily output: post what each line made on a working day, in a grid, one line at a time, or from a file.

Over 500 lines on purpose: the page's three ways to post (grid or cards, one line, a file) share its
day, draft and confirmation; each is a function below.
"""

import datetime as dt
import functools

import numpy as np
import pandas as pd
import streamlit as st

from portal.core import vocabulary
from portal.core.domain import PortalError
from portal.core.fileformats import FileFormatError, check_rows, read_table
from portal.core.inputs import DailyReport, InvalidInput
from portal.i18n import N_, _, format_date, format_day, format_number, ngettext
from portal.queries.line_detail import line_detail
from portal.queries.lines import LineFilter, line_choices, open_lines, output_sheet, recent_working_days
from portal.services.drafts import clear_output_draft, output_draft, save_output_draft
from portal.services.imports.result import ImportResult
from portal.services.production import post_report, post_reports, report_table
from portal.services.settings import get_settings
from portal.ui.charts import show_burnup
from portal.ui.context import actor, call, get_db, read, today
from portal.ui.device import looks_like_a_phone
from portal.ui.output_cards import (
    in_working_order,
    output_cards,
    post_label,
    refused_post,
    rows_to_post,
)
from portal.ui.text import plain
from portal.ui.widgets import (
    SUPPLIER_LINE_KEY,
    date_format,
    date_input_format,
    line_picker,
    line_summary,
    show_table,
)

VERSION = "daily_output.version"
TODAY = "daily_output.today"
DRAFT = "daily_output.draft"
CHANGES = "daily_output.changes"
FORMAT_HELP = N_(
    "Columns: po_number, line, date, good_qty, and optionally rejected_qty and note. "
    "Dates as YYYY-MM-DD; one row per line and day."
)
#: The grid's two layouts (values kept in English, labels translated where shown).
LAYOUTS = {"Table": N_("Table"), "Cards": N_("Cards")}


def _version() -> int:
    return int(st.session_state.get(VERSION, 0))


def _bump() -> None:
    """Start the grid, the upload and the chart picker afresh (after a post, or another day)."""
    st.session_state[VERSION] = _version() + 1


def _day_name(day: dt.date, today: dt.date | None = None) -> str:
    # "today" is the supplier's own local date (its time zone), not the server's.
    name = format_day(day)
    return _("{date} (today)").format(date=name) if day == today else name


def _posted_summary(created: int, corrected: int, day: dt.date | None) -> str:
    """'Posted 3 reports, 1 of them a correction, for Wed 2 Dec 2026.' in the user's language."""
    posted = ngettext("Posted {n} report", "Posted {n} reports", created).format(n=created)
    if corrected:
        posted = ngettext(
            "{posted}, {n} of them a correction", "{posted}, {n} of them corrections", corrected
        ).format(posted=posted, n=corrected)
    if day:
        return _("{posted} for {date}.").format(posted=posted, date=format_day(day))
    return _("{posted}.").format(posted=posted)


def _posted(result: ImportResult, day: dt.date | None, before: pd.DataFrame) -> None:
    """Remember what was posted and the forecast before it, for the next run to show beside the new one."""
    lines = sorted(result.line_ids)
    st.session_state[CHANGES] = {
        "summary": _posted_summary(result.created, result.corrected, day),
        "before": before[before["line_id"].isin(lines)][["line_id", "line", "arrival_p50"]].to_dict(
            "records"
        ),
        "day": day,
    }
    if lines:
        st.session_state[SUPPLIER_LINE_KEY] = lines[0]
    _bump()
    st.rerun()


def _show_changes() -> None:
    """What the last post changed: the forecast arrival of each line before and after."""
    changes = st.session_state.pop(CHANGES, None)
    if not changes:
        return
    st.success(
        _("{summary} The forecast below is already updated.").format(summary=changes["summary"]),
        icon=":material/check_circle:",
    )
    before = pd.DataFrame(changes["before"])
    if before.empty:
        return
    now, _total = read_open_arrivals(tuple(int(i) for i in before["line_id"]))
    view = before.merge(now, on="line_id", how="left", suffixes=("_before", "_after"))
    show_table(
        view,
        key="daily_output.changes_table",
        columns={
            "line": st.column_config.TextColumn(_("Line"), width=120),
            "arrival_p50_before": st.column_config.DateColumn(_("Arrival p50 before"), format=date_format()),
            "arrival_p50_after": st.column_config.DateColumn(_("Arrival p50 now"), format=date_format()),
            "produced": st.column_config.NumberColumn(_("Produced"), format="localized"),
            "remaining": st.column_config.NumberColumn(_("Remaining"), format="localized"),
        },
    )


def read_open_arrivals(line_ids: tuple[int, ...]) -> tuple[pd.DataFrame, int]:
    """The current forecast of these lines (from the open-lines query, scoped to me)."""
    frame, total = read(open_lines, LineFilter(line_ids=line_ids), limit=len(line_ids) or 1)
    return frame[["line_id", "arrival_p50", "produced", "remaining"]], total


def _to_send(edited: pd.DataFrame, sheet: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(rows to send, rows among them that correct a day on record): filled rows that change something."""
    filled = edited["good_qty"].notna().to_numpy()
    recorded = sheet["posted_good_qty"].notna().to_numpy()

    def equal(a: pd.Series, b: pd.Series) -> np.ndarray:
        return (a.astype("Float64") == b.astype("Float64")).fillna(False).to_numpy(dtype=bool)

    # Typing exactly what is on record changes nothing: such rows are not sent as corrections.
    same = (
        recorded
        & equal(edited["good_qty"], sheet["posted_good_qty"])
        & equal(edited["rejected_qty"].fillna(0), sheet["posted_rejected_qty"].fillna(0))
        & (edited["note"].fillna("").astype(str) == sheet["posted_note"].fillna("").astype(str)).to_numpy()
    )
    send = filled & ~same
    return send, send & recorded


def _grid_data(sheet: pd.DataFrame, draft: dict[int, dict]) -> pd.DataFrame:
    """The grid's rows: each line's plan and what is on record, with the user's unposted values typed in."""

    def typed(field: str) -> list:
        return [draft.get(int(i), {}).get(field) for i in sheet["line_id"]]

    return pd.DataFrame(
        {
            "line": sheet["line"],
            "item": sheet["sku"] + " · " + sheet["item"],
            "plan": sheet["daily_output"],
            "on_record": sheet["posted_good_qty"],
            "rejected_on_record": sheet["posted_rejected_qty"],
            "good_qty": pd.array(typed("good_qty"), dtype="Int64"),
            "rejected_qty": pd.array(typed("rejected_qty"), dtype="Int64"),
            "note": pd.Series(typed("note"), dtype="string"),
            "remaining": sheet["remaining"],
        }
    )


def _typed_values(edited: pd.DataFrame, sheet: pd.DataFrame) -> dict[int, dict]:
    """line id -> the values typed in the grid (what a draft keeps)."""
    out: dict[int, dict] = {}
    for line_id, good, rejected, note in zip(
        sheet["line_id"], edited["good_qty"], edited["rejected_qty"], edited["note"], strict=True
    ):
        row = {
            "good_qty": None if pd.isna(good) else int(good),
            "rejected_qty": None if pd.isna(rejected) else int(rejected),
            "note": None if pd.isna(note) or not str(note).strip() else str(note),
        }
        if any(v is not None for v in row.values()):
            out[int(line_id)] = row
    return out


def _save_draft(day: dt.date, values: dict[int, dict]) -> None:
    """Keep what is typed on the server, once per change: a refresh or a new login finds it again."""
    key = f"{DRAFT}.{day.isoformat()}"
    if st.session_state.get(key) == values:
        return
    # Called directly, not through context.call: a draft is the user's scratch pad, and clearing every
    # cached query at each keystroke would slow the page down.
    try:
        save_output_draft(get_db(), actor(), day, values)
    except PortalError as exc:
        st.warning(_("Your typing could not be kept as a draft: {reason}").format(reason=plain(exc)))
        return
    st.session_state[key] = values


def _starting_values(sheet: pd.DataFrame, day: dt.date, layout: str) -> pd.DataFrame:
    """What the grid or the cards start from: each line's values as last typed, aligned with ``sheet``.

    The first run of a version (a new session after a refresh or a login, another day, after a post)
    starts from the server-side draft. Later runs keep the same starting data, so the editor's own
    state of what was typed stays valid; it is made afresh from what was typed so far (the session's
    copy of the draft, by line id) when the layout changes (the other layout's widgets start empty
    otherwise, and their first run would save that emptiness as the draft) or the lines change.
    """
    held_key = f"{DRAFT}.{day.isoformat()}"
    base_key = f"{DRAFT}.base.{_version()}.{day.isoformat()}"
    if base_key not in st.session_state:
        data = _grid_data(sheet, output_draft(get_db(), actor(), day))
        st.session_state[held_key] = _typed_values(data, sheet)
        st.session_state[base_key] = (layout, data)
        return data
    built_for, data = st.session_state[base_key]
    if built_for != layout or len(data) != len(sheet) or not data["line"].equals(sheet["line"]):
        data = _grid_data(sheet, st.session_state.get(held_key, {}))
        st.session_state[base_key] = (layout, data)
    return data


def _table(data: pd.DataFrame) -> pd.DataFrame:
    """The wide grid (a desktop): one row per line, typed in place. The columns typed into are wide
    enough for their header and its edit mark at 1280 px ("Good units", "Rejected"), the item and the
    note give way."""
    return st.data_editor(
        data,
        key=f"daily_output.grid.{_version()}",
        hide_index=True,
        width="stretch",
        placeholder="",
        disabled=["line", "item", "plan", "on_record", "rejected_on_record", "remaining"],
        column_config={
            # Translators: a purchase-order line (PO number / line number), as in every table header "Line".
            "line": st.column_config.TextColumn(_("Line"), pinned=True, width=95),
            "item": st.column_config.TextColumn(_("Item"), width=110),
            "plan": st.column_config.NumberColumn(
                # Translators: short column header: planned good units per working day.
                _("Plan/day"),
                help=_("Your planned daily output"),
                width=65,
            ),
            "on_record": st.column_config.NumberColumn(
                _("On record"), help=_("Good units already posted for this day"), width=75
            ),
            "rejected_on_record": st.column_config.NumberColumn(
                # Translators: short column header: rejected units already posted for the day.
                _("Rej. on record"),
                help=_("Rejected units already posted for this day"),
                width=100,
            ),
            "good_qty": st.column_config.NumberColumn(
                _("Good units"),
                min_value=0,
                step=1,
                format="%d",
                width=105,
                help=_("Good units made that day"),
            ),
            "rejected_qty": st.column_config.NumberColumn(
                _("Rejected"), min_value=0, step=1, format="%d", width=95, help=_("Units rejected that day")
            ),
            "note": st.column_config.TextColumn(_("Note"), max_chars=2000, width=90),
            "remaining": st.column_config.NumberColumn(
                _("Remaining"), format="localized", help=_("Ordered minus good units posted so far"), width=80
            ),
        },
    )


@st.fragment
def grid(days: list[dt.date]) -> None:
    """Many lines, one day: the grid of lines in production; typing reruns only this fragment."""
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    day = left.selectbox(
        _("Day"),
        days,
        format_func=functools.partial(_day_name, today=st.session_state[TODAY]),
        key="daily_output.day",
        on_change=_bump,
    )
    sheet = read(output_sheet, day)
    if sheet.empty:
        st.info(
            _("No line is in production on {date}. Use **One line** for a line not listed here.").format(
                date=_day_name(day, st.session_state[TODAY])
            )
        )
        return
    # One order whatever is posted: a post or a rerun never moves the row or card being typed in.
    sheet = in_working_order(sheet)
    # A phone gets one card per line (no sideways scrolling); the browser's User-Agent picks the default.
    layout = right.segmented_control(
        _("Layout"),
        list(LAYOUTS),
        format_func=lambda layout: _(LAYOUTS[layout]),
        default="Cards" if looks_like_a_phone() else "Table",
        key="daily_output.layout",
        label_visibility="collapsed",
    )
    cards = layout == "Cards" or (layout is None and looks_like_a_phone())
    # The table's actions sit above it, so they stay in view however many lines there are.
    actions = None if cards else right.container(horizontal=True, vertical_alignment="center")
    st.caption(
        _(
            "Type each line's **good** units made that day, and rejected units if any; empty rows are not "
            "posted. Typing on a line with a value on record corrects it. What you type is kept as a draft "
            "until you post it, even if you leave the page."
        )
    )
    data = _starting_values(sheet, day, "Cards" if cards else "Table")
    problems = None
    if cards:
        edited = output_cards(sheet, data, key=f"daily_output.cards.{_version()}")
        # Cards: after the last card, the correction's tick box and then the Post button (where the
        # thumb is), so the box is ticked on the way down rather than found under the button.
        problems = st.container()
        actions = st.container(horizontal=True, vertical_alignment="center")
    else:
        edited = _table(data)
    _save_draft(day, _typed_values(edited, sheet))
    if problems is None:
        # Below the grid: a confirmation or an error appearing here never moves the rows being typed in.
        problems = st.container()
    send, corrections = _to_send(edited, sheet)
    rows = rows_to_post(sheet, edited, send)
    todo = int(sheet["posted_good_qty"].isna().sum())
    assert actions is not None
    clicked = actions.button(
        post_label(len(rows)),
        type="primary",
        disabled=rows.empty,
        key="daily_output.post",
        icon=":material/send:",
    )
    actions.caption(
        ngettext(
            "{todo} of {n} line still to post for this day.",
            "{todo} of {n} lines still to post for this day.",
            len(sheet),
        ).format(todo=todo, n=len(sheet))
    )
    confirm = False
    if corrections.any():
        n_corrections = int(corrections.sum())
        confirm = problems.checkbox(
            ngettext(
                "Correct {n} line already on record for this day (the old values stay in the history)",
                "Correct {n} lines already on record for this day (the old values stay in the history)",
                n_corrections,
            ).format(n=n_corrections),
            key=f"daily_output.confirm.{_version()}",
        )
    if not clicked:
        return
    if corrections.any() and not confirm:
        # Said here, in the user's language, rather than by the service's refusal (English, for the API).
        labels = sheet.loc[corrections, "line"].astype(str).tolist()
        problems.error(
            ngettext(
                "{lines} is already on record for this day. Tick the box above to correct it (the old values "
                "stay in the history).",
                "{lines} are already on record for this day. Tick the box above to correct them (the old "
                "values stay in the history).",
                len(labels),
            ).format(lines=plain(", ".join(labels)))
        )
        return
    with problems:
        # Each row becomes a DailyReport's checked values (a bad cell is a row error, named in words).
        result = call(post_reports, report_table(rows, day), confirm_corrections=confirm)
        if result is not None and result.errors:
            refused_post(result, "daily_output.grid_errors")
        elif result is not None:
            clear_output_draft(get_db(), actor(), day)
            st.session_state.pop(f"{DRAFT}.{day.isoformat()}", None)
            _posted(result, day, sheet[["line_id", "line", "arrival_p50"]])


@st.fragment
def one_line(days: list[dt.date], choices: pd.DataFrame) -> None:
    """One line and day in a form; says when the day is already posted and asks to confirm a correction."""
    line_id = line_picker(choices, key="daily_output.one_line")
    c1, c2, c3 = st.columns([2, 1, 1])
    day = c1.date_input(
        _("Day"),
        value=days[0],
        max_value=st.session_state[TODAY],
        key="daily_output.one_day",
        format=date_input_format(),
    )
    # The values typed start afresh after each post (the keys carry the page's version).
    good = c2.number_input(
        _("Good units"), min_value=0, step=1, value=None, key=f"daily_output.one_good.{_version()}"
    )
    rejected = c3.number_input(
        _("Rejected units"), min_value=0, step=1, value=0, key=f"daily_output.one_rejected.{_version()}"
    )
    note = st.text_input(_("Note (optional)"), key=f"daily_output.one_note.{_version()}", max_chars=2000)
    detail = read(line_detail, line_id)
    reports = detail.current_reports
    already = (
        reports[pd.to_datetime(reports["report_date"]) == pd.Timestamp(day)] if day else reports.iloc[0:0]
    )
    confirm = False
    if len(already):
        old = already.iloc[-1]
        st.info(
            _(
                "Already posted for {date}: {good} good, {rejected} rejected, by {who}. "
                "Posting again corrects it; the old values stay in the history."
            ).format(
                date=format_date(day),
                good=format_number(int(old["good_qty"])),
                rejected=format_number(int(old["rejected_qty"])),
                who=plain(vocabulary.actor_name(old["created_by"])),
            )
        )
        confirm = st.checkbox(_("Correct this day"), key=f"daily_output.one_confirm.{_version()}")
    # Translators: a button (verb): send the values typed to the portal.
    if st.button(_("Post"), type="primary", key="daily_output.one_post", icon=":material/send:"):
        if good is None or day is None:
            st.error(_("Enter the day and the good units."))
            return
        before = pd.DataFrame(
            [
                {
                    "line_id": line_id,
                    "line": detail.header["label"],
                    "arrival_p50": (detail.forecast or {}).get("arrival_p50"),
                }
            ]
        )
        try:
            report = DailyReport.build(date=day, good_qty=good, rejected_qty=rejected or 0, note=note)
        except InvalidInput as refused:
            st.error(plain(refused))
            return
        result = call(post_report, line_id, report, confirm_correction=confirm)
        if result is not None:
            _posted(result, day, before)


@st.fragment
def upload(days: list[dt.date], choices: pd.DataFrame) -> None:
    """A CSV or Excel file in the reports format: a preview with every row's check, then post all or none."""
    st.caption(_(FORMAT_HELP))
    template = read(output_sheet, days[0])
    st.download_button(
        _("Download a template with your lines for {date}").format(date=format_date(days[0])),
        data=pd.DataFrame(
            {
                "po_number": template["po_number"],
                "line": template["line_no"],
                "date": days[0].isoformat(),
                "good_qty": "",
                "rejected_qty": "",
                "note": "",
            }
        )
        .to_csv(index=False)
        .encode(),
        file_name=f"reports-{days[0].isoformat()}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="daily_output.template",
    )
    file = st.file_uploader(_("Reports file"), type=["csv", "xlsx"], key=f"daily_output.file.{_version()}")
    if file is None:
        return
    try:
        limit = read(get_settings).upload_row_limit("reports")
        table = check_rows(read_table(file.getvalue(), file.name, "reports", max_rows=limit), "reports")
    except FileFormatError as exc:
        st.error(plain(exc))
        return
    preview = call(post_reports, table, dry_run=True)
    if preview is None:
        return
    checks = preview.preview
    assert checks is not None, "post_reports returns its preview"
    show_table(
        checks,
        key="daily_output.upload_preview",
        placeholder="",
        column_order=["row", "line", "check", "date", "good_qty", "rejected_qty", "posted_good_qty", "note"],
        column_config={
            "row": st.column_config.NumberColumn(_("Row"), width=50),
            "line": st.column_config.TextColumn(_("Line"), width=110),
            "date": st.column_config.DateColumn(_("Date"), format=date_format(), width=95),
            # Translators: column header: good units (not rejected).
            "good_qty": st.column_config.NumberColumn(_("Good"), width=70),
            "rejected_qty": st.column_config.NumberColumn(_("Rejected"), width=70),
            "note": st.column_config.TextColumn(_("Note")),
            "posted_good_qty": st.column_config.NumberColumn(_("Posted before"), width=90),
            "posted_rejected_qty": None,
            "check": st.column_config.TextColumn(_("Check"), width="large"),
        },
    )
    if preview.errors:
        n_rows = len({e.row for e in preview.errors})
        st.error(
            ngettext(
                "{problems} in {n} row: fix the file and upload it again. Nothing was posted.",
                "{problems} in {n} rows: fix the file and upload it again. Nothing was posted.",
                n_rows,
            ).format(
                problems=ngettext("{n} problem", "{n} problems", len(preview.errors)).format(
                    n=len(preview.errors)
                ),
                n=n_rows,
            )
        )
        return
    confirm = False
    if preview.corrected:
        confirm = st.checkbox(
            ngettext(
                "Correct the {n} day already posted (the old values stay in the history)",
                "Correct the {n} days already posted (the old values stay in the history)",
                preview.corrected,
            ).format(n=preview.corrected),
            key=f"daily_output.upload_confirm.{_version()}",
        )
    if st.button(
        ngettext("Post {n} row", "Post {n} rows", preview.rows).format(n=preview.rows),
        type="primary",
        key="daily_output.upload_post",
    ):
        ids = choices.set_index("label")["line_id"].reindex(checks["line"].unique()).dropna()
        before, _total = read_open_arrivals(tuple(int(i) for i in ids))
        before = before.merge(choices[["line_id", "label"]].rename(columns={"label": "line"}), on="line_id")
        result = call(post_reports, table, confirm_corrections=confirm)
        if result is not None and not result.errors:
            _posted(result, None, before)


me = actor()
st.title(_("Daily output"))
st.session_state[TODAY] = today()
days = read(recent_working_days, st.session_state[TODAY])
_show_changes()
# The tabs keep their state on the server: after a post the same tab stays open, and hidden tabs do not run.
tab_grid, tab_one, tab_file = st.tabs(
    [_("Many lines, one day"), _("One line"), _("Upload a file")], key="daily_output.tab", on_change="rerun"
)
choices = read(line_choices)
if tab_grid.open:
    with tab_grid:
        grid(days)
if tab_one.open:
    with tab_one:
        if choices.empty:
            st.info(_("You have no open lines."))
        else:
            one_line(days, choices)
if tab_file.open:
    with tab_file:
        upload(days, choices)

if not choices.empty:
    st.subheader(_("Forecast and burn-up"))
    chart_line = line_picker(choices, key=f"daily_output.chart_line.{_version()}", label=_("Line to show"))
    detail = read(line_detail, chart_line)
    line_summary(detail)
    show_burnup(detail)
