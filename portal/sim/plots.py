"""The evaluation's figures as an SVG chart (for the README), written without a plotting library.

One chart per run: the four issue-16 targets (p90 coverage, p50 error as a multiple of the
supplier's own date, late lines warned >= 7 days ahead, PROJECTED_LATE precision), each a bar
for the portal beside one for the supplier's own date where the evaluation has that baseline,
over the target band shaded green; and the open alerts per open line by rule. SVG is text, so the
figures are reproducible byte for byte and reviewable in a diff; matplotlib is not a dependency
and altair needs vl-convert to write an image.

``python -m portal evaluate --seed N --plot FILE.svg`` writes it after a run;
``python -m portal.sim.plots RUN.json [...] --out DIR`` redraws it from saved ``--json`` files.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

WIDTH = 760
ROW = 34
LABEL_WIDTH = 250
BAR_WIDTH = 420
PORTAL_COLOUR = "#1f77b4"
SUPPLIER_COLOUR = "#bbbbbb"
TARGET_COLOUR = "#d8f0d8"


@dataclass(frozen=True)
class Target:
    """One issue-16 target: a figure read from the evaluation's dict and the band it must fall in."""

    label: str
    low: float | None
    high: float | None
    scale_max: float
    percent: bool

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` is inside the band (None when there is no value)."""
        if value is None:
            return None
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def text(self, value: float | None) -> str:
        """The value as the README writes it."""
        if value is None:
            return "n/a"
        return f"{value:.1%}" if self.percent else f"{value:.2f}x"


TARGETS = {
    "p90_coverage": Target("p90 coverage (87-93%)", 0.87, 0.93, 1.0, True),
    "p50_error_ratio": Target("p50 error / supplier's (<= 0.7x)", None, 0.7, 1.5, False),
    "warned_share": Target("late lines warned >= 7 d (>= 90%)", 0.90, None, 1.0, True),
    "precision": Target("PROJECTED_LATE precision (>= 85%)", 0.85, None, 1.0, True),
}


def target_figures(result: Mapping[str, Any]) -> dict[str, tuple[float | None, float | None]]:
    """(portal, supplier's own date) per target from an evaluation's ``to_dict``; None where absent."""
    warning, precision = result["warning"], result["precision"]
    return {
        "p90_coverage": (result["calibration"]["p90_coverage"], None),
        "p50_error_ratio": (
            result["accuracy"]["ratio"],
            1.0 if result["accuracy"]["ratio"] is not None else None,
        ),
        "warned_share": (warning["portal"]["warned_share"], warning["supplier"]["warned_share"]),
        "precision": (precision["portal"]["precision"], precision["supplier"]["precision"]),
    }


def targets_met(result: Mapping[str, Any]) -> dict[str, bool | None]:
    """Per target, whether the portal's figure meets it."""
    figures = target_figures(result)
    return {key: target.met(figures[key][0]) for key, target in TARGETS.items()}


def evaluation_svg(result: Mapping[str, Any], title: str) -> str:
    """The chart of one evaluation (its ``to_dict``) as an SVG document."""
    figures = target_figures(result)
    load = {rule: value for rule, value in result["alert_load"].items() if rule != "total"}
    top = 56
    targets_height = len(TARGETS) * (ROW + 8)
    load_top = top + targets_height + 56
    height = load_top + len(load) * 20 + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        _legend(10, 40),
    ]
    for row, (key, target) in enumerate(TARGETS.items()):
        y = top + row * (ROW + 8)
        portal, supplier = figures[key]
        parts.extend(_target_row(y, target, portal, supplier))
    total = result["alert_load"].get("total")
    parts.append(
        f'<text x="10" y="{load_top - 12}" font-weight="bold">Open alerts per open line, by rule '
        f"(total {total:.2f})</text>"
        if total is not None
        else f'<text x="10" y="{load_top - 12}" font-weight="bold">Open alerts per open line</text>'
    )
    biggest = max([*load.values(), 1e-9])
    for row, (rule, value) in enumerate(sorted(load.items(), key=lambda kv: -kv[1])):
        y = load_top + row * 20
        length = BAR_WIDTH * value / biggest
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 12}" text-anchor="end">{escape(rule)}</text>')
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" height="13" fill="{PORTAL_COLOUR}"/>'
        )
        parts.append(f'<text x="{LABEL_WIDTH + length + 5:.1f}" y="{y + 12}">{value:.2f}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(x: int, y: int) -> str:
    return (
        f'<rect x="{x}" y="{y - 9}" width="12" height="10" fill="{PORTAL_COLOUR}"/>'
        f'<text x="{x + 16}" y="{y}">portal</text>'
        f'<rect x="{x + 70}" y="{y - 9}" width="12" height="10" fill="{SUPPLIER_COLOUR}"/>'
        f'<text x="{x + 86}" y="{y}">supplier\'s own date</text>'
        f'<rect x="{x + 220}" y="{y - 9}" width="12" height="10" fill="{TARGET_COLOUR}"/>'
        f'<text x="{x + 236}" y="{y}">target</text>'
    )


def _target_row(y: int, target: Target, portal: float | None, supplier: float | None) -> list[str]:
    def at(value: float) -> float:
        return LABEL_WIDTH + BAR_WIDTH * min(max(value, 0.0), target.scale_max) / target.scale_max

    low = at(target.low if target.low is not None else 0.0)
    high = at(target.high if target.high is not None else target.scale_max)
    met = target.met(portal)
    verdict = "met" if met else "not met" if met is not None else "no data"
    parts = [
        f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(target.label)}</text>',
        f'<rect x="{low:.1f}" y="{y}" width="{high - low:.1f}" height="{ROW - 6}" fill="{TARGET_COLOUR}"/>',
    ]
    for offset, value, colour in ((2, portal, PORTAL_COLOUR), (16, supplier, SUPPLIER_COLOUR)):
        if value is None:
            continue
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + offset}" width="{at(value) - LABEL_WIDTH:.1f}" height="10" '
            f'fill="{colour}"/>'
        )
    shown = escape(f"{target.text(portal)} ({verdict})")
    parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 15}">{shown}</text>')
    return parts


def target_table(results: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """A Markdown table: one row per run, each target's figure and whether it is met."""
    header = "| run | " + " | ".join(t.label for t in TARGETS.values()) + " |"
    rule = "|---" * (len(TARGETS) + 1) + "|"
    rows = []
    for name, result in results:
        figures = target_figures(result)
        cells = []
        for key, target in TARGETS.items():
            value = figures[key][0]
            met = target.met(value)
            cells.append(
                f"{target.text(value)} {'met' if met else 'NOT met' if met is not None else ''}".strip()
            )
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *rows])


def main(argv: Sequence[str] | None = None) -> int:
    """Redraw the charts from saved ``evaluate --json`` files and print the targets table."""
    parser = argparse.ArgumentParser(prog="python -m portal.sim.plots", description=main.__doc__)
    parser.add_argument("runs", nargs="+", type=Path, help="JSON files written by evaluate --json")
    parser.add_argument("--out", type=Path, required=True, help="folder for one SVG per run")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    loaded = []
    for path in args.runs:
        result = json.loads(path.read_text(encoding="utf-8"))
        seed = result["parameters"]["world"]["seed"]
        (args.out / f"evaluation-seed{seed}.svg").write_text(
            evaluation_svg(result, f"python -m portal evaluate --seed {seed}"), encoding="utf-8"
        )
        loaded.append((f"seed {seed}", result))
    print(target_table(loaded))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
