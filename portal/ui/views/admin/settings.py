"""Admin settings: alert thresholds, forecast, promise buffers, scorecard tolerance and weights; a sweep."""

import streamlit as st

from portal.core.settings import SCORE_METRICS, SPECS, Settings
from portal.i18n import _, format_date, format_number
from portal.services.planning import sweep
from portal.services.settings import get_settings, update_settings
from portal.ui.context import actor, call, read

actor()
st.title(_("Settings"))
st.caption(
    _(
        "Every threshold the portal uses. Changes are checked, recorded in the audit log with who changed "
        "what, and take effect the next time they are used: the next sweep for forecasts, promises and "
        "alerts; the next time a scorecard is opened for scores."
    )
)
if "settings.saved" in st.session_state:
    st.success(st.session_state.pop("settings.saved"), icon=":material/check_circle:")
current = read(get_settings)
defaults = Settings()
groups: dict[str, list[str]] = {}
for name, spec in SPECS.items():
    groups.setdefault(spec.group, []).append(name)


def _input(name: str) -> float | int:
    """A number input for one setting, with its bounds, its help and its default."""
    spec = SPECS[name]
    key = f"settings.{name}"
    value = getattr(current, name)
    default = getattr(defaults, name)
    help_text = _("{help} Default: {default}; allowed {minimum} to {maximum}.").format(
        help=_(spec.help), default=f"{default:g}", minimum=f"{spec.minimum:g}", maximum=f"{spec.maximum:g}"
    )
    # The allowed range in the label itself: a value typed outside it is clamped, and the label says why.
    label = f"{_(spec.label)} ({spec.minimum:g}–{spec.maximum:g})"
    # Whole numbers step by 1 in Streamlit's own format; fractions by 0.01, shown with two decimals.
    kind, step, shown = (int, 1, None) if spec.integer else (float, 0.01, "%.2f")
    return st.number_input(
        label,
        min_value=kind(spec.minimum),
        max_value=kind(spec.maximum),
        value=kind(value),
        step=step,
        format=shown,
        help=help_text,
        key=key,
    )


values: dict[str, float | int] = {}
weight_names = [f"weight_{m}" for m in SCORE_METRICS]
tabs = st.tabs([_(group) for group in groups])
for tab, (group, names) in zip(tabs, groups.items(), strict=True):
    with tab:
        cols = st.columns(2)
        for i, name in enumerate(names):
            with cols[i % 2]:
                values[name] = _input(name)
        if group == "Scorecard weights":
            st.caption(
                _(
                    "A supplier's score is the weighted mean of these metrics. When a metric has no data in "
                    "the period, its weight is shared out among the metrics that have data."
                )
            )
            total = sum(int(values[n]) for n in weight_names)
            if total == 100:
                st.success(
                    _("The weights sum to {total}.").format(total=total), icon=":material/check_circle:"
                )
            else:
                st.error(_("The weights sum to {total}: they must sum to 100 to save.").format(total=total))

total = sum(int(values[n]) for n in weight_names)
changes = {name: value for name, value in values.items() if value != getattr(current, name)}
if changes:
    st.write(
        _("Changed: {changes}").format(
            changes=", ".join(
                f"{_(SPECS[n].label)} {getattr(current, n):g} → {v:g}" for n, v in changes.items()
            )
        )
    )
c1, c2 = st.columns([1, 3])
if c1.button(
    _("Save settings"),
    type="primary",
    disabled=not changes or total != 100,
    key="settings.save",
    help=_("Weights must sum to 100") if total != 100 else None,
):
    saved = call(update_settings, changes)
    if saved is not None:
        # Rerun so every input and the list of changes show the stored values; say so after it.
        st.session_state["settings.saved"] = _(
            "Saved {n} setting(s); the change is in the audit log."
        ).format(n=len(changes))
        st.rerun()

st.divider()
st.subheader(_("Run a sweep now"))
st.caption(
    _(
        "Recomputes every forecast, supplier buffer, backorder promise and alert as of today with the "
        "saved settings (it also runs by itself after each import and each supplier update)."
    )
)
if st.button(_("Run a sweep now"), key="settings.sweep"):
    with st.spinner(_("Sweeping...")):
        result = call(sweep)
    if result is not None:
        # The sweep's own summary is English (logs, the command line): here in the admin's language.
        st.success(
            _(
                "Sweep as of {date}: {lines} open lines forecast, {backorders} backorders ({unpromisable} "
                "unpromisable), alerts: {opened} new, {updated} updated, {unchanged} unchanged, {resolved} "
                "resolved; {written} rows written."
            ).format(
                date=format_date(result.as_of),
                lines=format_number(result.lines),
                backorders=format_number(result.backorders),
                unpromisable=format_number(result.unpromisable),
                opened=format_number(result.alerts_opened),
                updated=format_number(result.alerts_updated),
                unchanged=format_number(result.alerts_seen),
                resolved=format_number(result.alerts_resolved),
                written=format_number(result.written),
            )
        )
