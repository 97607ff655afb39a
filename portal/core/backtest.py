"""Backtest of promise policies: would the promises made from past deliveries have been kept?

Each delivery is promised at the moment ``t = due_date - horizon_days`` from the deliveries
received before ``t`` (``delivered_date < t``): promise = due_date + the policy's buffer for
its supplier. A promise is kept when the goods arrived on or before it. Padding is what the
promise adds to the due date. A policy is a set of keyword arguments of
:func:`~portal.core.buffers.supplier_buffers`; the ``portal`` policy is its Settings defaults,
so the figures are those of the promises the portal makes.

Deliveries are replayed in date order by
:func:`~portal.core.buffers.supplier_buffers_before`: the rule ``supplier_buffers`` applies,
evaluated once per distinct history (moments between the same two delivery dates share one),
on arrays sorted once; never one computation per delivery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portal.core.buffers import supplier_buffers_before
from portal.core.calendar import to_days
from portal.core.settings import Settings


@dataclass(frozen=True)
class Policy:
    """A named buffer rule: keyword arguments of ``supplier_buffers``; ``None`` promises the due date."""

    name: str
    options: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PolicyResult:
    """How one policy's promises fared: share kept (0-1) and padding in days."""

    name: str
    kept: float | None  # None when there was nothing to score
    mean_padding_days: float | None
    median_padding_days: float | None


@dataclass(frozen=True)
class BacktestResult:
    """The deliveries replayed and one result per policy."""

    deliveries: int
    policies: list[PolicyResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: kept rounded to 4 decimals, padding to 2."""
        return {
            "deliveries": self.deliveries,
            "policies": [
                {
                    **asdict(p),
                    "kept": _rounded(p.kept, 4),
                    "mean_padding_days": _rounded(p.mean_padding_days, 2),
                    "median_padding_days": _rounded(p.median_padding_days, 2),
                }
                for p in self.policies
            ],
        }


def default_policies(settings: Settings | None = None) -> list[Policy]:
    """Due date, the portal's buffers (``supplier_buffers`` with ``settings``) and plain vendor quantiles."""
    settings = settings or Settings()
    portal = {"quantile": settings.buffer_quantile, "min_history": settings.buffer_min_history}
    return [
        Policy("due_date"),
        Policy("portal", portal),
        *(
            Policy(f"vendor_q{q}", {**portal, "quantile": q, "half_life_days": None, "tail_days": None})
            for q in (0.95, 0.97)
        ),
    ]


def backtest(
    deliveries: pd.DataFrame, horizon_days: int = 30, policies: Sequence[Policy] | None = None
) -> BacktestResult:
    """Replay ``deliveries`` (supplier_id, due_date, delivered_date) and score each policy's promises."""
    policies = default_policies() if policies is None else list(policies)
    due = to_days(deliveries["due_date"])
    delivered = to_days(deliveries["delivered_date"])
    scored = ~(np.isnat(due) | np.isnat(delivered))
    due, delivered = due[scored], delivered[scored]
    history = pd.DataFrame(
        {
            "supplier_id": deliveries["supplier_id"].to_numpy()[scored],
            "due_date": due,
            "delivered_date": delivered,
        }
    )
    slips = (delivered - due).astype(np.int64)
    promised_on = pd.DataFrame(
        {"cutoff": due - np.timedelta64(horizon_days, "D"), "supplier_id": history["supplier_id"]}
    )
    results = []
    for policy in policies:
        padding = np.zeros(len(history), dtype=np.int64)
        if policy.options is not None and len(history):
            table = supplier_buffers_before(history, promised_on["cutoff"], **policy.options)
            # Every supplier has a row at every cutoff, so a left merge finds each delivery's buffer.
            looked_up = promised_on.merge(table, on=["cutoff", "supplier_id"], how="left")
            padding = looked_up["buffer_days"].to_numpy()
        results.append(_score(policy.name, slips, padding))
    return BacktestResult(deliveries=len(history), policies=results)


def format_table(result: BacktestResult) -> str:
    """The result as an aligned text table, one line per policy."""
    header = ("policy", "kept", "mean padding", "median padding")
    rows = [
        (
            p.name,
            _cell(p.kept, "{:.1%}"),
            _cell(p.mean_padding_days, "{:.1f} d"),
            _cell(p.median_padding_days, "{:.1f} d"),
        )
        for p in result.policies
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([cells[0].ljust(widths[0]), *rest])

    rule = "  ".join("-" * w for w in widths)
    return "\n".join(
        [f"Backtest over {result.deliveries:,} deliveries", line(header), rule, *map(line, rows)]
    )


def _score(name: str, slips: np.ndarray, padding: np.ndarray) -> PolicyResult:
    if not len(slips):
        return PolicyResult(name, None, None, None)
    return PolicyResult(
        name=name,
        kept=float(np.mean(slips <= padding)),
        mean_padding_days=float(np.mean(padding)),
        median_padding_days=float(np.median(padding)),
    )


def _cell(value: float | None, template: str) -> str:
    return "no data" if value is None else template.format(value)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
