"""Imports in the browser: upload, map columns, preview every problem, then write every row or none.

The checks are the command line's own (read_table, check_rows, import_table): a dry run for
the preview, the real run on "Import".
"""

import streamlit as st

from portal.core import vocabulary
from portal.core.domain import PortalError
from portal.core.fileformats import FORMATS, check_rows, normalize_header, problems_frame, read_table
from portal.i18n import _, format_number, ngettext
from portal.queries.exports import problems_csv
from portal.services.import_mappings import (
    IGNORE,
    apply_mapping,
    check_mapping,
    load_import_mapping,
    needs_mapping,
    save_import_mapping,
    suggest_mapping,
)
from portal.services.imports import KIND_ROLES, import_table
from portal.services.settings import get_settings
from portal.ui.context import actor, call, read
from portal.ui.text import plain
from portal.ui.widgets import flash, label_from, show_table

FLASH = "imports.flash"
KINDS = {
    "pos": _("Purchase-order lines"),
    "receipts": _("Receipts"),
    "backorders": _("Backorders"),
    "items": _("Items"),
    "suppliers": _("Suppliers"),
    "schedules": _("Production schedules"),
    "reports": _("Daily production reports"),
}
AFTER = {
    "pos": ("portal/ui/views/buyer/open_lines.py", _("See the open lines")),
    "backorders": ("portal/ui/views/buyer/backorders.py", _("See the backorders")),
    "suppliers": ("portal/ui/views/buyer/suppliers.py", _("See the supplier directory")),
}
PREVIEW_ROWS = 200

me = actor()
st.title(_("Imports"))
st.caption(
    _(
        "Upload a CSV or Excel file. Every row is checked first and every problem is listed; "
        "the file is written only when all rows are valid (all or nothing)."
    )
)
flash(FLASH)
last = st.session_state.pop("imports.after", None)
if last in AFTER:
    st.page_link(AFTER[last][0], label=AFTER[last][1], icon=":material/arrow_forward:")

kinds = [k for k in KINDS if me.role in KIND_ROLES[k]]
left, right = st.columns([1.2, 2], vertical_alignment="bottom")
kind = left.selectbox(_("What are you importing?"), kinds, format_func=label_from(KINDS), key="imports.kind")
fmt = FORMATS[kind]
right.download_button(
    _("Empty template for {kind} (CSV)").format(kind=vocabulary.kind_name(kind)),
    data=(",".join(fmt.names) + "\n").encode("utf-8"),
    file_name=f"{kind}-template.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/description:",
    key="imports.template",
)
st.caption(
    _(
        "Columns: {columns} — optional in brackets; dates as YYYY-MM-DD. Other headers can be mapped below."
    ).format(columns=", ".join(f"`{c.name}`" if c.required else f"`[{c.name}]`" for c in fmt.columns))
)

version = int(st.session_state.get("imports.file_version", 0))
upload = st.file_uploader(_("File"), type=["csv", "xlsx"], key=f"imports.file.{version}")
if upload is None:
    st.stop()

data = upload.getvalue()
try:
    raw = read_table(data, upload.name, kind, max_rows=read(get_settings).upload_row_limit(kind))
except PortalError as exc:
    st.error(plain(exc))
    st.stop()
headers = [str(c) for c in raw.columns]
suggested = suggest_mapping(headers, kind, read(load_import_mapping, kind))

with st.expander(_("Column mapping"), expanded=needs_mapping(headers, kind), icon=":material/swap_horiz:"):
    st.caption(
        _(
            "Which of our columns each column of your file holds. Your choices are remembered for the "
            "next file of {kind}."
        ).format(kind=vocabulary.kind_name(kind))
    )
    options = [IGNORE, *fmt.names]
    grid = st.columns(4)
    mapping = {}
    for i, header in enumerate(headers):
        sample = next((v for v in raw[header] if v), "")
        mapping[header] = grid[i % 4].selectbox(
            plain(header),
            options,
            index=options.index(suggested[header]),
            format_func=lambda c: _("— leave out —") if c == IGNORE else c,
            key=f"imports.map.{kind}.{upload.file_id}.{i}",
            help=_("First value in your file: {value}").format(value=plain(sample[:60]))
            if sample
            else _("This column is empty."),
        )
try:
    check_mapping(mapping, kind)
except PortalError as exc:
    st.error(plain(exc))
    st.stop()
frame, effective = apply_mapping(raw, mapping)
remember = any(target != normalize_header(header) for header, target in mapping.items())

signature = (upload.file_id, kind, tuple(sorted(effective.items())), tuple(frame.columns))
if st.session_state.get("imports.checked") != signature:
    checking = ngettext(
        "Checking {n} row against the database...", "Checking {n} rows against the database...", len(frame)
    )
    with st.spinner(checking.format(n=format_number(len(frame)))):
        try:
            preview = call(
                import_table, check_rows(frame, kind, effective), filename=upload.name, dry_run=True
            )
        except PortalError as exc:
            st.error(plain(exc))
            st.stop()
    if preview is None:
        st.stop()
    st.session_state["imports.checked"] = signature
    st.session_state["imports.preview"] = preview
preview = st.session_state["imports.preview"]


if not preview.ok:
    bad_rows = sorted({e.row for e in preview.errors})
    problems = ngettext("{n} problem", "{n} problems", len(preview.errors)).format(
        n=format_number(len(preview.errors))
    )
    # Translators: {bad} rows with a problem, of the {n} rows of the file.
    rows = ngettext("{bad} of {n} row", "{bad} of {n} rows", preview.rows).format(
        bad=format_number(len(bad_rows)), n=format_number(preview.rows)
    )
    st.error(
        ngettext(
            "{problems} in {rows}: nothing will be imported. Fix this row in your file and upload it again.",
            "{problems} in {rows}: nothing will be imported. Fix these rows in your file and upload it "
            "again.",
            len(bad_rows),
        ).format(problems=problems, rows=rows),
        icon=":material/block:",
    )
    errors = problems_frame(preview.errors)
    # Row, column, then the problem: on a phone those three fit the screen, the value can scroll.
    show_table(
        errors,
        columns={
            "row": st.column_config.NumberColumn(
                _("Row"), width=60, help=_("Row in your file (the header is row 1)")
            ),
            "column": st.column_config.TextColumn(_("Column"), width=120),
            "reason": st.column_config.TextColumn(_("Problem"), width="large"),
            "value": st.column_config.TextColumn(_("Value"), width=160),
        },
    )
    st.download_button(
        _("Download the problems (CSV)"),
        data=problems_csv(preview.errors),
        file_name=f"{kind}-problems.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="imports.problems",
    )
    st.stop()

if preview.corrected:
    valid = ngettext(
        "All {rows} rows are valid ({n} corrects an earlier report). Nothing is written until you import.",
        "All {rows} rows are valid ({n} correct earlier reports). Nothing is written until you import.",
        preview.corrected,
    ).format(rows=format_number(preview.rows), n=preview.corrected)
else:
    valid = ngettext(
        "The row is valid. Nothing is written until you import.",
        "All {n} rows are valid. Nothing is written until you import.",
        preview.rows,
    ).format(n=format_number(preview.rows))
st.success(valid)
shown = frame.head(PREVIEW_ROWS).rename(columns=effective)
shown.insert(0, "row", range(2, 2 + len(shown)))
show_table(
    shown,
    placeholder="",
    column_config={"row": st.column_config.NumberColumn(_("Row"), width=50, help=_("Row in your file"))},
)
if preview.rows > PREVIEW_ROWS:
    st.caption(_("The first {n} of {rows} rows.").format(n=PREVIEW_ROWS, rows=format_number(preview.rows)))

rows_text = format_number(preview.rows)
if st.button(
    ngettext("Import {rows} row", "Import {rows} rows", preview.rows).format(rows=rows_text),
    type="primary",
    icon=":material/upload:",
    key="imports.commit",
):
    progress = st.progress(0.1, text=_("Checking {rows} rows...").format(rows=rows_text))
    table = check_rows(frame, kind, effective)
    progress.progress(0.4, text=_("Writing every row and recomputing forecasts, promises and alerts..."))
    result = call(import_table, table, filename=upload.name)
    progress.progress(1.0, text=_("Done."))
    if result is not None and result.ok:
        if remember:
            call(save_import_mapping, kind, mapping)
        flash(FLASH, plain(f"{upload.name}: {result.summary()}"))
        st.session_state["imports.after"] = kind
        st.session_state["imports.file_version"] = version + 1
        st.session_state.pop("imports.checked", None)
        st.rerun()
    elif result is not None:
        # The database changed since the preview (someone imported the same lines): show why.
        st.session_state["imports.preview"] = result
        st.rerun()
