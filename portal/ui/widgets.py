"""Widgets shared by several pages: the open-lines table, filters, pagination."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from portal.core import vocabulary
from portal.i18n import (
    DEFAULT_LANGUAGE,
    _,
    babel_locale,
    current_language,
    format_date,
    format_number,
    format_percent,
    ngettext,
    pgettext,
)
from portal.queries.line_detail import LineDetail
from portal.ui.text import plain

#: Severity in a table cell: a word (tables cannot show icons; emoji need a font some machines lack).
SEVERITY_ICONS = {s: vocabulary.severity_name(s) for s in vocabulary.SEVERITIES}
STATUS_LABELS = {
    s: vocabulary.status_name(s) for s in ("open", "in_production", "shipped", "received", "cancelled")
}


def status_label(status: str) -> str:
    """A line status as a table cell shows it: its label, or the status itself when it has none."""
    return _(STATUS_LABELS.get(status, status))


def severity_label(severity: str) -> str:
    """An alert severity as a table cell shows it: its word, or the severity itself when it has none."""
    return _(SEVERITY_ICONS.get(severity, severity))


#: CLDR date fields a table can show as numbers, and their moment.js tokens (years always in full).
_MOMENT_TOKENS = {"y": "YYYY", "yy": "YYYY", "yyyy": "YYYY", "M": "M", "MM": "MM", "d": "D", "dd": "DD"}


def moment_pattern(cldr: str) -> str | None:
    """A CLDR date pattern ("dd.MM.y", "y年M月d日") as moment.js writes it ("DD.MM.YYYY",
    "YYYY[年]M[月]D[日]"); None when it names months or weekdays in words (moment.js would write them
    in English, whatever the user's language)."""
    moment = []
    for token in re.finditer(r"'([^']*)'|(([A-Za-z])\3*)|([^A-Za-z']+)", cldr):
        quoted, field, _letter, literal = token.groups()
        if field is not None:
            if field not in _MOMENT_TOKENS:
                return None
            moment.append(_MOMENT_TOKENS[field])
        else:
            text = quoted if quoted is not None else literal
            # Letters and CJK between brackets: moment.js shows them as they are.
            moment.append(text if re.fullmatch(r"[\s./,:-]*", text) else f"[{text}]")
    return "".join(moment)


@cache
def _table_cldr_pattern(code: str) -> str | None:
    """The CLDR pattern of a table's dates in language ``code``; None for ISO (English, or no
    all-numeric pattern)."""
    if code == DEFAULT_LANGUAGE:
        return None  # English tables keep ISO dates, as they always have
    from babel import Locale

    formats = Locale.parse(babel_locale(code)).date_formats
    for length in ("medium", "short"):
        if moment_pattern(formats[length].pattern) is not None:
            return str(formats[length].pattern)
    return None


@cache
def _table_date_format(code: str) -> str:
    cldr = _table_cldr_pattern(code)
    return "YYYY-MM-DD" if cldr is None else str(moment_pattern(cldr))


def table_date(value: dt.date) -> str:
    """A date written as the user's tables show their date columns (:func:`date_format`): 27.11.2026 in
    German, 2026年11月27日 in Chinese, ISO in English; for dates inside a table's text."""
    from babel.dates import format_date as babel_format_date

    cldr = _table_cldr_pattern(current_language())
    return value.isoformat() if cldr is None else babel_format_date(value, format=cldr, locale=babel_locale())


def date_format(*, weekday: bool = False) -> str:
    """The ``format`` of a table's date column in the user's language (DateColumn, or a
    DatetimeColumn shown as a day): "DD.MM.YYYY" in German, "YYYY[年]M[月]D[日]" in Chinese,
    ISO in English. A weekday ("ddd") only in English: moment.js names days in English only.
    CSV exports are not tables: they stay ISO."""
    code = current_language()
    pattern = _table_date_format(code)
    return f"ddd {pattern}" if weekday and code == DEFAULT_LANGUAGE else pattern


def date_input_format() -> str:
    """The ``format`` of a date picker (st.date_input) in the user's language: the order of day, month
    and year and the separator of :func:`date_format`, as the picker allows them ("DD.MM.YYYY",
    "DD/MM/YYYY", "YYYY/MM/DD"); ISO in English."""
    pattern = re.sub(r"\[[^\]]*\]", "", _table_date_format(current_language()))
    order = "".join(dict.fromkeys(ch for ch in pattern if ch in "YMD"))
    separator = next((ch for ch in pattern if ch in "/-."), "/")
    return separator.join({"Y": "YYYY", "M": "MM", "D": "DD"}[ch] for ch in order)


def days_format() -> str:
    """The ``format`` of a table's column of days ("%d d"; "%d g" in Turkish, "%d 天" in Chinese)."""
    # Translators: the number format of a table column counting days: %d is the number, keep it.
    return pgettext("table format", "%d d")


def datetime_format() -> str:
    """The ``format`` of a table's date-and-time column in the user's language ("DD.MM.YYYY HH:mm")."""
    return f"{date_format()} HH:mm"


K = TypeVar("K")


def label_from(labels: Mapping[K, str]) -> Callable[[K], str]:
    """A select box's format_func that shows each option's label from `labels` (its keys are the options)."""

    def label(option: K) -> str:
        # Streamlit also formats a value kept in session state to check it is still an option. Like dict.get,
        # a key no longer there gets no label (so the widget resets) rather than raising (Streamlit would then
        # match the value by its old label).
        return labels.get(option, "")

    return label


def page_offset(key: str, page_size: int) -> int:
    """The row offset of the page chosen in the pager ``key`` (read before querying)."""
    return (int(st.session_state.get(key, 1)) - 1) * page_size


def pager(total: int, page_size: int, key: str) -> None:
    """A page picker under a table (its value is read by :func:`page_offset` on the next run)."""
    pages = max(1, -(-total // page_size))
    if int(st.session_state.get(key, 1)) > pages:
        st.session_state[key] = pages
    if pages == 1:
        st.caption(ngettext("{n} row", "{n} rows", total).format(n=format_number(total)))
        return
    cols = st.columns([1, 3])
    page = cols[0].number_input(_("Page"), min_value=1, max_value=pages, step=1, key=key)
    cols[1].caption(
        _("{n} rows · page {page} of {pages}").format(n=format_number(total), page=page, pages=pages)
    )


# --------------------------------------------------------------------------- buyer workspace

LINE_DETAIL_PAGE = "portal/ui/views/buyer/line_detail.py"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: Cell colors by meaning; text stays readable without colour (the words say it too).
TONES = {
    "bad": "background-color: #ffe2e0; color: #a40e26; font-weight: 600",
    "warn": "background-color: #fff1c7; color: #7a4b00",
    "ok": "background-color: #dcf5e3; color: #116329",
    "info": "background-color: #e2f0ff; color: #0a3069",
}
_SEVERITY_TONES = {"critical": "bad", "warning": "warn", "info": "info"}


def severity_words() -> dict[str, str]:
    """Severity value → its word in the user's language ("critical" → "Kritisch"); built per run,
    since the language is the request's, not the module's."""
    return {s: vocabulary.severity_name(s) for s in vocabulary.SEVERITIES}


def severity_tones() -> dict[str, str]:
    """The words of :func:`severity_words` → their cell tone (for :func:`toned`)."""
    return {word: _SEVERITY_TONES[s] for s, word in severity_words().items() if s in _SEVERITY_TONES}


def toned(frame: pd.DataFrame, tones: dict[str, dict[str, str]]) -> pd.DataFrame | Styler:
    """``frame`` with cells coloured by value: ``{column: {value: tone}}`` (tones from :data:`TONES`)."""
    if not tones or frame.empty:
        return frame
    style = frame.style
    for column, by_value in tones.items():
        style = style.map(lambda v, by=by_value: TONES.get(by.get(v, ""), ""), subset=[column])
    return style


def show_table(
    data: pd.DataFrame | Styler, *, columns: Mapping[str, Any] | None = None, **options: Any
) -> Any:
    """A read-only table the page's width without the index column: ``st.dataframe`` with the portal's
    table settings, ``options`` (column_config, column_order, key, placeholder, on_select...) passed on.

    ``columns``: the columns shown, in this order, each with its ``st.column_config``: the column order
    and the column config in one, so that each column is named once. An empty cell shows "–"
    (Streamlit's own placeholder is the word "None")."""
    if columns is not None:
        options.update(column_config=dict(columns), column_order=list(columns))
    options.setdefault("placeholder", "–")
    return st.dataframe(data, hide_index=True, width="stretch", **options)


def selectable_table(
    frame: pd.DataFrame,
    *,
    id_column: str,
    key: str,
    columns: Mapping[str, Any] | None = None,
    column_config: dict | None = None,
    column_order: list[str] | None = None,
    single: bool = False,
    tones: dict[str, dict[str, str]] | None = None,
) -> list[int]:
    """A table whose rows can be ticked; returns the ids (``id_column``) of the ticked rows.

    The columns as :func:`show_table` takes them: ``columns``, or ``column_config`` and ``column_order``
    (where the order shows only some of the configured columns)."""
    # When the rows shown change (a filter, another page, someone else's edit), the selection
    # starts afresh, so an action never lands on a row the user did not tick.
    ids = [int(i) for i in frame[id_column]]
    version = int(st.session_state.get(f"{key}.version", 0))
    if st.session_state.get(f"{key}.ids") != ids:
        if f"{key}.ids" in st.session_state:
            version += 1
            st.session_state[f"{key}.version"] = version
        st.session_state[f"{key}.ids"] = ids
    state = show_table(
        toned(frame, tones or {}),
        key=f"{key}.{version}",
        on_select="rerun",
        selection_mode="single-row" if single else "multi-row",
        columns=columns,
        column_config=column_config,
        column_order=column_order,
        placeholder="–",
    )
    return [ids[i] for i in state.selection.rows if 0 <= i < len(ids)]


def clear_selection(key: str) -> None:
    """Untick every row of the :func:`selectable_table` ``key`` (after an action on them)."""
    st.session_state[f"{key}.version"] = int(st.session_state.get(f"{key}.version", 0)) + 1


def line_detail_link(line_id: int, label: str) -> None:
    """A link to the line detail page, opened on this line (in the same tab: the login is kept)."""
    st.page_link(
        LINE_DETAIL_PAGE,
        label=_("Open line {line}").format(line=plain(label)),
        icon=":material/timeline:",
        query_params={"line": str(int(line_id))},
    )


def ticked_line_link(lines: pd.DataFrame, ticked: list[int], *, hint: bool = True) -> None:
    """A link to the detail of the line ticked in a table of ``lines`` (line_id, line); none ticked,
    with ``hint``, how to open one."""
    if ticked:
        row = lines[lines["line_id"] == ticked[0]].iloc[0]
        line_detail_link(int(row["line_id"]), str(row["line"]))
    elif hint:
        st.caption(_("Tick a line to open its detail: burn-up, schedule revisions, reports and alerts."))


def flash(key: str, message: str | None = None) -> None:
    """Show the success message kept under ``key`` (set it with ``message``; shown once, after a rerun)."""
    if message is not None:
        st.session_state[key] = message
        return
    kept = st.session_state.pop(key, None)
    if kept:
        st.success(kept, icon=":material/check_circle:")


def download_buttons(make_frame: Callable[[], pd.DataFrame], name: str, *, key: str) -> None:
    """CSV and Excel buttons; the file is built when clicked, with spreadsheet formulas neutralized."""
    from portal.queries.exports import to_csv_bytes, to_xlsx_bytes

    left, right = st.columns(2)
    left.download_button(
        _("Download CSV"),
        data=lambda: to_csv_bytes(make_frame()),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}.csv",
        width="stretch",
    )
    right.download_button(
        _("Download Excel"),
        data=lambda: to_xlsx_bytes(make_frame(), name),
        file_name=f"{name}.xlsx",
        mime=XLSX_MIME,
        on_click="ignore",
        icon=":material/table_view:",
        key=f"{key}.xlsx",
        width="stretch",
    )


def rule_label(rule: str) -> str:
    """'PROJECTED_LATE' -> 'Forecast to arrive late' (the one vocabulary's name)."""
    return _(vocabulary.rule_name(rule))


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def change_summary(before: dict | None, after: dict | None) -> str:
    """An audit event's change in one line, in words: 'Status: Open → Acknowledged; comment: ...'."""
    before, after = before or {}, after or {}

    def show(name: str, value: object) -> str:
        if value is None or value == "":
            return "–"
        if name == "status":
            return _(vocabulary.status_name(value))
        if isinstance(value, str) and _ISO_DAY.fullmatch(value):  # audit events store dates as ISO text
            try:
                return table_date(dt.date.fromisoformat(value))
            except ValueError:
                return value
        return str(value)

    parts = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        label = _(vocabulary.field_name(name))
        if name in before and old != new:
            parts.append(f"{label}: {show(name, old)} → {show(name, new)}")
        elif name not in before:
            parts.append(f"{label}: {show(name, new)}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- supplier workspace

#: The line a supplier user works on, remembered across its pages (my lines -> schedule -> output).
SUPPLIER_LINE_KEY = "supplier.line_id"


def line_picker(choices: pd.DataFrame, *, key: str, label: str | None = None) -> int | None:
    """A select box of lines ('PO-1/1 · SKU-1 · Storage box') that remembers the line across pages."""
    if choices.empty:
        return None
    ids = [int(i) for i in choices["line_id"]]
    names = dict(zip(ids, choices["label"] + " · " + choices["sku"] + " · " + choices["item"], strict=True))
    if st.session_state.get(key) not in (None, *ids):
        del st.session_state[key]
    remembered = st.session_state.get(SUPPLIER_LINE_KEY)
    index = ids.index(remembered) if remembered in ids else 0
    chosen = st.selectbox(label or _("Line"), ids, index=index, format_func=label_from(names), key=key)
    st.session_state[SUPPLIER_LINE_KEY] = chosen
    return chosen


def _day(value: object) -> str:
    return "—" if value is None or pd.isna(value) else format_date(pd.Timestamp(value).date())


def line_summary(detail: LineDetail) -> None:
    """One line's numbers in a compact row: produced, my end date, forecast end and arrival, need-by."""
    header = detail.header
    forecast = detail.forecast or {}
    schedule = detail.current_schedule
    quantity = int(header["quantity"])
    produced = int(forecast.get("produced") or 0)
    late = forecast.get("days_late_p50")
    if late is None:
        lateness = _("no forecast yet")
    elif late > 0:
        lateness = ngettext("{n} day late", "{n} days late", late).format(n=late)
    elif late < 0:
        lateness = ngettext("{n} day early", "{n} days early", -late).format(n=-late)
    else:
        lateness = _("on time")
    facts = [
        (
            _("Produced"),
            _("{produced} of {quantity}").format(
                produced=format_number(produced), quantity=format_number(quantity)
            ),
            _("Good units reported / ordered"),
        ),
        (
            _("My end date"),
            _day(schedule["estimated_end_date"] if schedule else None),
            _("Your estimated end"),
        ),
        (
            _("Forecast end p50 / p90"),
            f"{_day(forecast.get('completion_p50'))} / {_day(forecast.get('completion_p90'))}",
            _("The portal's forecast of the end of production: {p50} and {p90} sure").format(
                p50=format_percent(0.5), p90=format_percent(0.9)
            ),
        ),
        (
            _("Arrival p50 / p90"),
            f"{_day(forecast.get('arrival_p50'))} / {_day(forecast.get('arrival_p90'))}",
            _("Forecast arrival at the warehouse (end of production + transit days)"),
        ),
        (
            _("Need by"),
            f"{_day(header['need_by_date'])} · {lateness}",
            _("Arrival p50 compared with need-by"),
        ),
    ]
    with st.container(border=True):
        for col, (label, value, help_text) in zip(st.columns([1.1, 0.9, 1.3, 1.3, 1.4]), facts, strict=True):
            col.caption(label, help=help_text)
            col.markdown(f"**{value}**")


def arrival_chance(share: float) -> str:
    """A forecast arrival date's help text: "Forecast arrival: 90% chance by then", in the user's words."""
    return _("Forecast arrival: {chance} chance by then").format(chance=format_percent(share))
