"""A manager's home: suppliers ranked by their rolling-12 scorecard, with their line counts."""

import datetime as dt

import streamlit as st

from portal.core import scorecard as sc
from portal.core.domain import Role
from portal.i18n import _, format_date, format_number, format_utc, ngettext
from portal.queries.scorecards import ranking_export, scorecard_months, supplier_ranking
from portal.services.scorecards import refresh_scorecards
from portal.ui.context import actor, call, get_db, read
from portal.ui.scorecard_text import month_choice, score_note
from portal.ui.text import plain
from portal.ui.widgets import download_buttons, page_offset, pager

SCORECARD_PAGE = "portal/ui/views/manager/scorecard.py"
#: Suppliers shown at a time: the rest are a page, a search or the download away.
PAGE = 50

me = actor()
st.title(_("Supplier ranking"))
choices, default = read(scorecard_months)
if st.session_state.get("ranking.end_month") not in choices:
    st.session_state["ranking.end_month"] = default
c1, c2 = st.columns([1, 3])
end = c1.selectbox(
    _("12 months ending"),
    choices,
    key="ranking.end_month",
    format_func=month_choice,
    help=_("Each supplier is scored over the 12 calendar months ending with this one."),
)
search = st.text_input(
    _("Find a supplier"),
    key="ranking.search",
    placeholder=_("Code or name"),
    icon=":material/search:",
    # A new search starts at its first page (an old page number may be past its end).
    on_change=lambda: st.session_state.update({"ranking.page": 1}),
)
ranking = read(supplier_ranking, end, search=search, limit=PAGE, offset=page_offset("ranking.page", PAGE))
table, summary = ranking.table, ranking.summary
weights = ranking.settings.weights()
c2.caption(
    _(
        "Score 0-100 over {first} – {last}: the weighted mean of OTD ({otd}), OTIF ({otif}), schedule "
        "adherence ({schedule_adherence}), promise reliability ({promise_reliability}), quality ({quality}) "
        "and responsiveness ({responsiveness}), over the metrics with data. Grades: A >= 90, B >= 80, "
        "C >= 65, D >= 50, else F. Fewer than {n} lines: not scored."
    ).format(
        first=month_choice(ranking.months[0]),
        last=month_choice(ranking.months[-1]),
        n=ranking.settings.min_lines_for_score,
        **weights,
    )
)
source, button = st.columns([4, 1], vertical_alignment="center")
stored = ranking.computed_at
stored_at = format_utc(stored)
if stored is not None and ranking.stale_suppliers:
    if ranking.snapshot_as_of is not None and ranking.snapshot_as_of < dt.date.today():
        source.caption(
            _(
                "Scores as of {day}, stored {when}: the next scheduled refresh (or Recompute) counts "
                "them up to today. Each supplier's scorecard shows today's numbers."
            ).format(day=format_date(ranking.snapshot_as_of), when=stored_at)
        )
    else:
        source.caption(
            ngettext(
                "Scores stored {when}. {n} supplier has had receipts, reports or schedules since and "
                "shows its numbers as of then (its scorecard shows today's); the next scheduled refresh "
                "(or Recompute) brings it up to date.",
                "Scores stored {when}. {n} suppliers have had receipts, reports or schedules since and "
                "show their numbers as of then (their scorecards show today's); the next scheduled refresh "
                "(or Recompute) brings them up to date.",
                ranking.stale_suppliers,
            ).format(when=stored_at, n=format_number(ranking.stale_suppliers, 0))
        )
elif stored is not None:
    source.caption(
        _(
            "Up to date as of today: the totals stored {when}, with the suppliers whose receipts, "
            "reports or schedules changed since computed again — the same numbers as each supplier's "
            "scorecard."
        ).format(when=stored_at)
    )
else:
    source.caption(_("Scores computed live from every receipt and production report, as of today."))
if me.role in (Role.MANAGER, Role.ADMIN) and button.button(
    _("Recompute"),
    icon=":material/refresh:",
    help=_(
        "Store again now the scorecards of the suppliers with receipts, reports or schedules since the "
        "last refresh (every supplier's when the stored ones are of another day: a while with many)."
    ),
):
    with st.spinner(_("Computing the scorecards...")):
        info = call(refresh_scorecards, changed_only=True)
    if info is not None:
        st.toast(
            ngettext(
                "Scorecards stored: {n} supplier in {seconds} s.",
                "Scorecards stored: {n} suppliers in {seconds} s.",
                info.suppliers,
            ).format(n=info.suppliers, seconds=format_number(info.seconds, 1))
        )
        st.rerun()
if summary.suppliers == 0:
    st.info(
        _(
            "No suppliers yet: a buyer or admin imports them "
            "(Imports page, or `python -m portal import suppliers`)."
        )
    )
    st.stop()

# A grid, not columns: five across on a wide screen, two a row on a phone (not five rows of counts).
counts_grid = st.grid(5, min_column_width=140)
counts_grid.metric(_("Suppliers"), format_number(summary.suppliers))
counts_grid.metric(
    _("Scored"), format_number(summary.scored), help=_("Suppliers with enough lines for a score")
)
counts_grid.metric(
    _("Open lines now"), format_number(summary.open_lines), help=_("Lines still awaiting goods today")
)
counts_grid.metric(
    _("Late lines now (p50)"),
    format_number(summary.late_lines),
    help=_("Open lines forecast to arrive late"),
)
counts_grid.metric(
    _("Received lines"),
    format_number(summary.received_lines),
    help=_("Lines received in full with a receipt in the 12 months shown"),
)
if table.empty and ranking.total:  # a page past the end (kept from a longer list): back to the first
    st.session_state["ranking.page"] = 1
    st.rerun()
if table.empty:
    st.info(_("No supplier's code or name holds “{text}”.").format(text=plain(search.strip())))
    st.stop()

view = table.copy()
for rate in ("otd", "otif"):
    view[rate] = view[rate] * 100
view["supplier"] = view["code"] + " · " + view["name"]
# The sparkline draws only numbers: months without a score are left out of it.
view["score_history"] = view["score_history"].map(lambda scores: [v for v in scores if v is not None])
view["line_counts"] = (
    view["open_lines"].astype(str)
    + " / "
    + view["late_lines"].astype(str)
    + " / "
    + view["received_lines"].astype(str)
)
st.caption(
    _(
        "Select a supplier to open its scorecard: every number there lists the receipts, lines or "
        "days behind it."
    )
)
picked = st.dataframe(
    view[
        [
            "rank",
            "supplier",
            "score",
            "grade",
            "trend",
            "score_history",
            "lines",
            "otd",
            "otif",
            "avg_days_late",
            "line_counts",
        ]
    ],
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="ranking.table",
    placeholder="–",
    column_config={
        "rank": st.column_config.NumberColumn(_("Rank"), width=44, help=_("Place in the whole ranking")),
        "supplier": st.column_config.TextColumn(_("Supplier"), width=170),
        "score": st.column_config.NumberColumn(
            _("Score"), format="%.1f", width=56, help=_("0-100 over the 12 months; best first")
        ),
        "grade": st.column_config.TextColumn(_("Grade"), width=52),
        "trend": st.column_config.TextColumn(
            _("Trend"),
            width=52,
            help=_(
                "Against the 12 months ending the month before: {up} up, {down} down by {step} "
                "point or more, "
                "{flat} within; blank when either is not scored"
            ).format(up=sc.TREND_UP, down=sc.TREND_DOWN, step=f"{sc.TREND_STEP:g}", flat=sc.TREND_FLAT),
        ),
        "score_history": st.column_config.LineChartColumn(
            _("Score trend"),
            y_min=0,
            y_max=100,
            width=100,
            help=_(
                "The rolling-12 score at the end of each of the last 12 months, on a 0-100 scale (the last "
                "point is the score); months without a score are left out"
            ),
        ),
        "lines": st.column_config.NumberColumn(
            _("Lines"), width=52, help=_("PO lines counted by the scorecard in the 12 months")
        ),
        "otd": st.column_config.NumberColumn(
            _("OTD"), format="%.1f%%", width=62, help=_("Receipts on or before their due date / all receipts")
        ),
        "otif": st.column_config.NumberColumn(
            _("OTIF"), format="%.1f%%", width=62, help=_("Lines due, delivered in full on time / lines due")
        ),
        "avg_days_late": st.column_config.NumberColumn(
            _("Days late"), format="%.1f", width=70, help=_("Average days late of the lines delivered late")
        ),
        "line_counts": st.column_config.TextColumn(
            _("Open/late/rcvd"),
            help=_(
                "Open lines now (open, in production or shipped) / of those, forecast to arrive after "
                "need-by (p50) / received in full with a receipt in the 12 months shown"
            ),
        ),
    },
)
pager(ranking.total, PAGE, "ranking.page")
unscored = table[table["score"].isna()]
if len(unscored):
    st.caption(
        _("Not scored: ")
        + "; ".join(
            f"{plain(code)} ({plain(score_note(row))})"
            for code, row in zip(unscored["code"], unscored.to_dict("records"), strict=True)
        )
    )
db, who, month = get_db(), me, end
download_buttons(
    lambda: ranking_export(supplier_ranking(db, who, month)),
    f"supplier-ranking-{month}",
    key="ranking.export",
)
selected = picked.selection.rows if picked is not None else []
if selected:
    chosen = view.iloc[selected[0]]
    st.session_state["scorecard.supplier"] = int(chosen["supplier_id"])
    st.session_state["scorecard.end_month"] = ranking.end_month
    st.switch_page(SCORECARD_PAGE)
