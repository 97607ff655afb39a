"""Capture an evaluate world's sweep inputs once, then re-forecast them with a changed calibration.

Trying a change to the forecast's uncertainty on ``python -m portal evaluate`` costs a full replay
per world (about 30 s CPU, minutes of wall time on a loaded machine). This keeps what every weekly
sweep passed to ``forecast_lines`` (the lines, their summary statistics, the supplier calibration)
and the records ``supplier_calibration`` learned from, so a variant of ``portal.core.calibration``
is scored in about 3 s CPU per world (docs/evaluation.md, "Sixteen worlds")::

    python -m bench.sim_reforecast capture 1 2 3 --out /tmp/worlds   # one replay per seed
    python -m bench.sim_reforecast score /tmp/worlds/seed*.pkl        # re-forecast unchanged

Unchanged, the re-forecast reproduces every stored p90 date and the run's four figures exactly.
A variant is a patch of ``portal.core.calibration`` (or ``forecast_lines``) applied around
:func:`reforecast`; PROJECTED_LATE is re-derived by the alert rule's own tests (``portal.core.alerts``).
The simulated suppliers have no country, so every calendar is Monday to Friday.
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from db.models import PoLine
from portal.core import alerts as alert_rules
from portal.core import calibration as cal
from portal.core import forecast as fc
from portal.core.alerts import _confidently_late, _Lines
from portal.core.calendar import CalendarSet
from portal.core.settings import Settings
from portal.sim import evaluate as ev
from portal.sim import factory
from portal.sim import replay as replay_module

MON_FRI = CalendarSet({})
Recalibrate = Callable[[pd.DataFrame, pd.Series], pd.DataFrame]


def capture(seed: int, out: Path, step_days: int = 7) -> Path:
    """Replay the default world of ``seed`` (a sweep every ``step_days``) and pickle its sweeps'
    forecast inputs and its truth (``seedN.pkl``; ``seedN-dayK.pkl`` for another step)."""
    from portal.services.planning import pipeline

    calls: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    ids: dict[int, tuple[str, int]] = {}
    forecast_lines, supplier_calibration, snapshot = (
        pipeline.forecast_lines,
        cal.supplier_calibration,
        replay_module.snapshot,
    )

    def copy(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else frame.copy()

    def keep_forecast(
        lines: pd.DataFrame,
        reports: pd.DataFrame | None,
        calendars: CalendarSet,
        as_of: Any,
        settings: Any = None,
        stats: pd.DataFrame | None = None,
        calibration: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        calls.append(
            {
                "lines": lines.copy(),
                "reports": copy(reports),
                "stats": copy(stats),
                "calibration": copy(calibration),
                "as_of": as_of,
                "settings": settings,
            }
        )
        return forecast_lines(
            lines, reports, calendars, as_of, settings, stats=stats, calibration=calibration
        )

    def keep_records(
        found: pd.DataFrame, supplier_ids: Any, prior_lines: float = cal.PRIOR_LINES
    ) -> pd.DataFrame:
        records.append(
            {"at_call": len(calls), "records": found.copy(), "supplier_ids": pd.Series(supplier_ids)}
        )
        return supplier_calibration(found, supplier_ids, prior_lines)

    def keep_ids(db: Any, as_of: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        with db.read() as session:
            ids.update(
                {
                    r[0]: (r[1], r[2])
                    for r in session.execute(select(PoLine.id, PoLine.po_number, PoLine.line))
                }
            )
        return snapshot(db, as_of)

    # Patched for this replay only: the sweep calls these by module attribute.
    patches: list[tuple[Any, str, Any]] = [
        (pipeline, "forecast_lines", keep_forecast),
        (cal, "supplier_calibration", keep_records),
        (replay_module, "snapshot", keep_ids),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    for module, name, patch in patches:
        setattr(module, name, patch)
    try:
        params = factory.WorldParams(seed=seed)
        truth = factory.run(params, factory.Dynamics())
        result = replay_module.replay(truth, params.weeks, step_days)
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
    out.mkdir(parents=True, exist_ok=True)
    path = out / (f"seed{seed}.pkl" if step_days == 7 else f"seed{seed}-day{step_days}.pkl")
    world = {
        "calls": calls,
        "records": records,
        "ids": ids,
        "truth": truth.lines,
        "sim": truth.world,
        "snapshots": result.snapshots,
        "days": result.days,
    }
    path.write_bytes(pickle.dumps(world))
    return path


def reforecast(world: dict[str, Any], recalibrate: Recalibrate | None = None) -> pd.DataFrame:
    """Every sweep's forecast again, with the (possibly patched) calibration; ``recalibrate``: learn
    the supplier calibration again from the captured records (e.g. another shrinkage)."""
    out = []
    for i, call in enumerate(world["calls"]):
        learned = call["calibration"]
        if recalibrate is not None and learned is not None:
            rec = [r for r in world["records"] if r["at_call"] <= i][-1]
            learned = recalibrate(rec["records"], rec["supplier_ids"].astype("int64"))
            learned = learned.reindex(columns=list(call["calibration"].columns))
        f = fc.forecast_lines(
            call["lines"],
            call["reports"],
            MON_FRI,
            call["as_of"],
            call["settings"],
            stats=call["stats"],
            calibration=learned,
        )
        f = f.merge(call["lines"][["line_id", "need_by_date", "transit_days", "supplier_id"]], on="line_id")
        f["as_of"] = pd.Timestamp(call["as_of"])
        out.append(f)
    frame = pd.concat(out, ignore_index=True)
    frame["po_number"] = frame["line_id"].map(lambda i: world["ids"][i][0])
    frame["line"] = frame["line_id"].map(lambda i: world["ids"][i][1]).astype("int64")
    return frame


def projected_late(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The (as_of, line) pairs PROJECTED_LATE fires on, by the alert rule's own tests: confidently
    late (``projected_late_confidence``) or stalled."""
    lines = _Lines(frame.reset_index(drop=True), np.datetime64("NaT"), MON_FRI, settings)
    fires = _confidently_late(lines) | lines.stalled()
    return frame.reset_index(drop=True).loc[fires, ["as_of", "po_number", "line"]]


def confirmed_projected_late(frame: pd.DataFrame, settings: Settings, within_days: int) -> pd.DataFrame:
    """The (as_of, line) pairs a PROJECTED_LATE that waits for confirmation would raise on
    (docs/evaluation.md, "PROJECTED_LATE confirmed on a second day"): confidently late on this sweep
    and late or stalled on the line's sweep before (its alert raised, or its stored forecast late), or
    need-by at most ``within_days`` after the sweep's day; a stalled line at once."""
    f = frame.reset_index(drop=True)
    lines = _Lines(f, np.datetime64("NaT"), MON_FRI, settings)
    late, stalled = _confidently_late(lines), lines.stalled()
    days = sorted({pd.Timestamp(d) for d in f["as_of"]})
    sweep = f["as_of"].map({d: i for i, d in enumerate(days)}).to_numpy()
    held = set(
        zip(
            sweep[late | stalled],
            f.loc[late | stalled, "po_number"],
            f.loc[late | stalled, "line"],
            strict=True,
        )
    )
    before = np.array(
        [(i - 1, p, n) in held for i, p, n in zip(sweep, f["po_number"], f["line"], strict=True)], bool
    )
    near = (
        (pd.to_datetime(f["need_by_date"]) - pd.to_datetime(f["as_of"])).dt.days <= within_days
    ).to_numpy()
    fires = (late & (before | near)) | stalled
    return f.loc[fires, ["as_of", "po_number", "line"]]


def held_projected_late(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The (as_of, line) pairs the product's PROJECTED_LATE raises on, sweep after sweep as the
    sweep stores them: confidently late or stalled, and so since at least ``projected_late_held_days``
    (:func:`portal.core.alerts.late_since`, :func:`portal.core.alerts.held_late`), or need-by at most
    ``projected_late_confirm_days`` after the sweep's day. (A raised alert
    stays confirmed while the condition holds: the same pairs, since the late_since of a line
    still late is unchanged.)"""
    f = frame.reset_index(drop=True)
    lines = _Lines(f, np.datetime64("NaT"), MON_FRI, settings)
    late = _confidently_late(lines) | lines.stalled()
    key = f["po_number"].astype(str) + "/" + f["line"].astype(str)
    stored: dict[str, tuple[Any, Any]] = {}  # line: its stored forecast's (as_of, late_since)
    held = np.zeros(len(f), bool)
    for day, rows in f.groupby("as_of", sort=True).groups.items():
        index = np.asarray(rows)
        previous = [stored.get(k, (None, None)) for k in key.iloc[index]]
        since = alert_rules.late_since(
            late[index],
            pd.to_datetime([p[0] for p in previous]).to_numpy(),
            pd.to_datetime([p[1] for p in previous]).to_numpy(),
            pd.Timestamp(day).date(),
        )
        held[index] = alert_rules.held_late(since, pd.Timestamp(day).date(), settings)
        stored.update(zip(key.iloc[index], [(day, s) for s in since], strict=True))
    near = (
        (pd.to_datetime(f["need_by_date"]) - pd.to_datetime(f["as_of"])).dt.days
        <= settings.projected_late_confirm_days
    ).to_numpy()
    fires = late & (held | near)
    return f.loc[fires, ["as_of", "po_number", "line"]]


def score(
    world: dict[str, Any],
    frame: pd.DataFrame,
    confirm_within: int | None = None,
    held_days: int | None = None,
) -> dict[str, float]:
    """p90 coverage (and its SE by line), p50 MAE ratio, warned share and precision, in percent;
    ``confirm_within``: PROJECTED_LATE waits for confirmation (:func:`confirmed_projected_late`);
    ``held_days``: the product's rule (:func:`held_projected_late`), late for that many days unless
    need-by is within ``confirm_within`` (default: the setting's default)."""
    truth = world["truth"]
    pairs = frame.merge(
        world["snapshots"][["as_of", "po_number", "line", "supplier_arrival"]],
        on=["as_of", "po_number", "line"],
    )
    settings = world["calls"][0]["settings"]
    if held_days is not None:
        within = Settings().projected_late_confirm_days if confirm_within is None else confirm_within
        rule = dataclasses.replace(
            settings, projected_late_held_days=held_days, projected_late_confirm_days=within
        )
        flags = held_projected_late(frame, rule)
    elif confirm_within is None:
        flags = projected_late(frame, settings)
    else:
        flags = confirmed_projected_late(frame, settings, confirm_within)
    c, a = ev.calibration(pairs, truth), ev.accuracy(pairs, truth)
    w, p = ev.warning(flags, truth, world["days"][-1]), ev.precision(flags, truth)
    return {
        "p90": 100 * c["p90_coverage"],
        "se": 100 * c["p90_coverage_se"],
        "ratio": a["ratio"],
        "warned": 100 * w["warned_share"],
        "precision": 100 * p["precision"],
        "median_warning": w["median_warning_days"],
        "flagged": p["flagged_lines"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sim_reforecast", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture", help="replay default worlds and keep their sweeps' forecast inputs")
    cap.add_argument("seeds", type=int, nargs="+")
    cap.add_argument("--out", type=Path, default=Path("bench/results/worlds"))
    cap.add_argument("--step-days", type=int, default=7, help="days between sweeps (default weekly)")
    sc = sub.add_parser("score", help="re-forecast captured worlds unchanged and print their figures")
    sc.add_argument("files", type=Path, nargs="+")
    sc.add_argument(
        "--confirm-within",
        type=int,
        metavar="DAYS",
        help="PROJECTED_LATE waits for a second sweep unless need-by is within DAYS (not the product's rule)",
    )
    sc.add_argument(
        "--held-days",
        type=int,
        metavar="DAYS",
        help="the product's rule: PROJECTED_LATE once late for DAYS (projected_late_held_days), at once "
        "within --confirm-within days of need-by (default the setting's)",
    )
    args = parser.parse_args(argv)
    if args.command == "capture":
        for seed in args.seeds:
            print(capture(seed, args.out, args.step_days))
        return 0
    rows = []
    for file in args.files:
        world = pickle.loads(file.read_bytes())  # our own capture
        rows.append(
            {"world": file.stem, **score(world, reforecast(world), args.confirm_within, args.held_days)}
        )
    table = pd.DataFrame(rows)
    print(table.round(2).to_string(index=False))
    p90 = table["p90"].to_numpy()
    print(f"p90 mean {p90.mean():.2f}, sd {np.std(p90, ddof=1) if len(p90) > 1 else 0:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
