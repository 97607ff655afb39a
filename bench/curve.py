"""The growth curve: `python -m bench.curve [--backend postgresql] [--out docs/img/growth.svg]`.

Reads the bench's saved runs (bench/results/*.json, the newest run per scale that measured the
sweep on that backend), fits each measure against the open lines on a log-log scale
(``seconds = a x lines^b``: ``b`` is the growth exponent, 1 linear) and extrapolates it to XL
(1,000,000 open lines) and 10x XL. It prints a Markdown table for the README and writes one SVG
chart, drawn as portal/sim/plots.py draws the evaluation's (plain SVG text, no plotting library):
measured points filled, the fit dashed, the extrapolations hollow.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from portal.demo.scale import SCALES
from portal.sim.plots import PORTAL_COLOUR, SUPPLIER_COLOUR

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
XL_LINES = SCALES["XL"].open_lines
TARGET_LINES = (XL_LINES, 10 * XL_LINES)

#: measure -> (label, unit, colour, how to read it from one backend's figures)
MEASURES: dict[str, tuple[str, str, str]] = {
    "sweep_seconds": ("full sweep, wall", "s", PORTAL_COLOUR),
    "sweep_cpu_seconds": ("full sweep, CPU", "s", "#2ca02c"),
    "page_seconds": ("slowest page (AppTest)", "s", "#d62728"),
    "post_cpu_seconds": ("one post, CPU p50", "s", "#9467bd"),
    "peak_mib": ("sweep peak memory", "MiB", SUPPLIER_COLOUR),
}
PAGES = ("page_late_lines_s", "page_alert_inbox_s", "page_ranking_s")


@dataclass(frozen=True)
class Point:
    scale: str
    lines: int
    values: dict[str, float]
    load_average: float
    source: str


def point(scale: str, figures: Mapping[str, Any], source: str) -> Point | None:
    """One scale's measures from a backend's figures (None without a sweep)."""
    sweep = figures.get("sweep")
    if not sweep:
        return None
    values = {
        "sweep_seconds": float(sweep["seconds"]),
        "sweep_cpu_seconds": float(sweep["cpu_seconds"]),
        "peak_mib": float(sweep["peak_mib"]),
    }
    pages = figures.get("pages") or {}
    if all(isinstance(pages.get(k), float) for k in PAGES):
        values["page_seconds"] = max(float(pages[k]) for k in PAGES)
    if "incremental" in figures:
        values["post_cpu_seconds"] = float(figures["incremental"]["post_cpu_p50_ms"]) / 1000
    load = figures.get("load_average") or [math.nan]
    return Point(scale, SCALES[scale].open_lines, values, float(load[0]), source)


def read_points(folder: Path, backend: str) -> list[Point]:
    """The newest run per scale (file names sort by time) that has a sweep on ``backend``."""
    newest: dict[str, Point] = {}
    for path in sorted(folder.glob("bench-*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        figures = result.get("backends", {}).get(backend)
        scale = result.get("scale")
        if figures is None or scale not in SCALES:
            continue
        found = point(scale, figures, path.name)
        if found is not None:
            newest[scale] = found
    return sorted(newest.values(), key=lambda p: p.lines)


def fit(points: Sequence[Point], measure: str) -> tuple[float, float] | None:
    """(a, b) of value = a x lines^b, least squares on the logs; None with fewer than two points."""
    pairs = [(math.log(p.lines), math.log(p.values[measure])) for p in points if p.values.get(measure, 0) > 0]
    if len(pairs) < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / len(pairs)
    mean_y = sum(y for _, y in pairs) / len(pairs)
    spread = sum((x - mean_x) ** 2 for x, _ in pairs)
    b = sum((x - mean_x) * (y - mean_y) for x, y in pairs) / spread
    return math.exp(mean_y - b * mean_x), b


def table(points: Sequence[Point]) -> str:
    """Measured values per scale, the exponent and the extrapolations (Markdown)."""
    header = (
        "| measure | "
        + " | ".join(f"{p.scale} ({p.lines:,} lines)" for p in points)
        + " | exponent b | XL (fit) | 10x XL (fit) |"
    )
    rows = [header, "|---" * (len(points) + 4) + "|"]
    for key, (label, unit, _colour) in MEASURES.items():
        ab = fit(points, key)
        cells = [_fmt(p.values.get(key), unit) for p in points]
        if ab is None:
            extra = ["-", "-", "-"]
        else:
            a, b = ab
            extra = [f"{b:.2f}", *(_fmt(a * n**b, unit) for n in TARGET_LINES)]
        rows.append(f"| {label} | " + " | ".join(cells + extra) + " |")
    loads = ", ".join(f"{p.scale} {p.load_average:.1f}" for p in points)
    rows.append(f"\nLoad average (1 min) when each run began: {loads}.")
    return "\n".join(rows)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:,.1f} s"


# --------------------------------------------------------------------------- the chart

WIDTH, HEIGHT = 760, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 230, 40, 50


def _axis(lo: float, hi: float, size: float, flip: bool) -> Any:
    span = math.log10(hi) - math.log10(lo)

    def at(value: float) -> float:
        share = (math.log10(value) - math.log10(lo)) / span
        return size * (1 - share) if flip else size * share

    return at


def svg(points: Sequence[Point], title: str) -> str:
    """Log-log chart of every measure against open lines, with fits and extrapolations."""
    x_lo, x_hi = 10 ** math.floor(math.log10(min(p.lines for p in points))), 2 * TARGET_LINES[-1]
    values = [v for p in points for v in p.values.values() if v > 0]
    fits = {key: fit(points, key) for key in MEASURES}
    for ab in fits.values():
        if ab is not None:
            values.extend(ab[0] * n ** ab[1] for n in TARGET_LINES)
    y_lo, y_hi = 10 ** math.floor(math.log10(min(values))), 10 ** math.ceil(math.log10(max(values)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    fx, fy = _axis(x_lo, x_hi, plot_w, False), _axis(y_lo, y_hi, plot_h, True)

    def xy(lines: float, value: float) -> tuple[float, float]:
        return LEFT + fx(lines), TOP + fy(value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>',
    ]
    decade = 10 ** math.floor(math.log10(x_lo))
    while decade <= x_hi:
        x = LEFT + fx(decade)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#eee"/>')
        parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{decade:,.0f}</text>')
        decade *= 10
    decade = y_lo
    while decade <= y_hi:
        y = TOP + fy(decade)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{decade:g}</text>')
        decade *= 10
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 12}" text-anchor="middle">open PO lines (log scale); '
        f"scales {', '.join(p.scale for p in points)} measured, XL and 10x XL extrapolated</text>"
    )
    parts.append(
        f'<text x="16" y="{TOP + plot_h / 2}" transform="rotate(-90 16 {TOP + plot_h / 2})" '
        'text-anchor="middle">seconds, or MiB for memory (log scale)</text>'
    )
    for row, (key, (label, unit, colour)) in enumerate(MEASURES.items()):
        measured = [(p.lines, p.values[key]) for p in points if p.values.get(key, 0) > 0]
        ab = fits[key]
        if ab is not None:
            a, b = ab
            (x1, y1), (x2, y2) = (
                xy(measured[0][0], a * measured[0][0] ** b),
                xy(TARGET_LINES[-1], a * TARGET_LINES[-1] ** b),
            )
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                'stroke-dasharray="5 4"/>'
            )
            for n in TARGET_LINES:
                cx, cy = xy(n, a * n**b)
                parts.append(
                    f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="white" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
        for lines, value in measured:
            cx, cy = xy(lines, value)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"/>')
        ly = TOP + 10 + row * 36
        exponent = f"b = {ab[1]:.2f}" if ab is not None else "one point"
        parts.append(f'<rect x="{WIDTH - RIGHT + 14}" y="{ly - 9}" width="12" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 30}" y="{ly}">{escape(label)} ({unit})</text>')
        parts.append(f'<text x="{WIDTH - RIGHT + 30}" y="{ly + 15}" fill="#555">{escape(exponent)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _loads(points: Sequence[Point]) -> str:
    low, high = min(p.load_average for p in points), max(p.load_average for p in points)
    return f"{low:.0f}" if round(low) == round(high) else f"{low:.0f}-{high:.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.curve", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="postgresql", choices=["sqlite", "postgresql"])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of bench-*.json runs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "growth.svg")
    args = parser.parse_args(argv)
    points = read_points(args.results, args.backend)
    if not points:
        raise SystemExit(f"no bench run with a sweep on {args.backend} in {args.results}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        svg(points, f"Growth with the world's size ({args.backend}, load average {_loads(points)})"),
        encoding="utf-8",
    )
    print(table(points))
    print(f"\nSVG: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
