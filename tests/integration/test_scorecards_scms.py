"""The real SCMS delivery history, loaded through the portal: every vendor's OTD, OTIF and average days
late for every month equal a direct pandas computation on the CSV file itself.

The direct computation reads the raw columns (Vendor, Line Item Quantity, Scheduled Delivery Date,
Delivered to Client Date) and knows nothing of the portal: each row is one line delivered in full on
its delivery date, due on its scheduled date.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from db.engine import Database, open_database
from portal.core import scorecard as sc
from portal.demo.load import load_scms
from portal.queries.scorecard_data import load_scorecard_data
from portal.queries.scorecards import scorecard_export
from portal.services.access import Actor

SCMS = Path(__file__).parents[3] / "shared" / "data" / "scms_delivery_history.csv"
# The history ends in 2015: any later day judges every line; a fixed one keeps the test reproducible.
AS_OF = dt.date(2026, 3, 6)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SCMS.exists(), reason=f"the SCMS history is not at {SCMS}"),
]


def direct_vendor_months(path: Path) -> pd.DataFrame:
    """OTD by delivery month, OTIF and average days late by due month, per vendor, from the raw file."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    vendor = raw["Vendor"].str.strip()
    due = pd.to_datetime(raw["Scheduled Delivery Date"].str.strip(), format="%d-%b-%y", errors="coerce")
    delivered = pd.to_datetime(
        raw["Delivered to Client Date"].str.strip(), format="%d-%b-%y", errors="coerce"
    )
    quantity = pd.to_numeric(raw["Line Item Quantity"].str.replace(",", "").str.strip(), errors="coerce")
    ok = due.notna() & delivered.notna() & (quantity > 0) & (vendor != "")
    frame = pd.DataFrame({"vendor": vendor, "due": due, "delivered": delivered, "on_time": delivered <= due})[
        ok
    ]
    frame["days_late"] = (frame["delivered"] - frame["due"]).dt.days.where(~frame["on_time"])
    otd = frame.groupby(["vendor", frame["delivered"].dt.strftime("%Y-%m").rename("period")])[
        "on_time"
    ].mean()
    by_due = frame.groupby(["vendor", frame["due"].dt.strftime("%Y-%m").rename("period")])
    out = pd.concat(
        [
            otd.rename("otd"),
            by_due["on_time"].mean().rename("otif"),
            by_due["days_late"].mean().rename("avg_days_late"),
        ],
        axis=1,
    )
    out.attrs["lines"] = int(ok.sum())
    return out.sort_index()


@pytest.fixture(scope="module")
def scms_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A fresh SQLite database with the SCMS history loaded through the import service."""
    path = tmp_path_factory.mktemp("scms") / "scms.db"
    shutil.copy(sqlite_template, path)
    db = open_database(f"sqlite:///{path}")
    load_scms(db, Actor.system("test"), SCMS)
    yield db
    db.dispose()


def portal_vendor_months(db: Database) -> pd.DataFrame:
    """The same numbers from the portal: every supplier and month of the history at once."""
    with db.read() as session:
        loaded = load_scorecard_data(session, None, AS_OF)
    months = loaded.events.line_months["month"]
    rows = sc.by_month(loaded.events, loaded.settings, int(months.min()), int(months.max()))
    rows["vendor"] = loaded.suppliers.set_index("supplier_id")["name"].reindex(rows["supplier_id"]).to_numpy()
    rows = rows[rows["lines"] > 0]
    return rows.set_index(["vendor", "period"])[["otd", "otif", "avg_days_late", "lines"]].sort_index()


def test_every_vendor_months_otd_otif_and_days_late_equal_a_direct_computation_on_the_file(
    scms_db: Database,
) -> None:
    direct = direct_vendor_months(SCMS)
    portal = portal_vendor_months(scms_db)
    # The same vendor-months have data on both sides: every one of them is compared.
    assert sorted(portal.index) == sorted(direct.index)
    assert len(direct) > 1000
    joined = direct.join(portal.add_suffix("_portal"))
    for metric in ("otd", "otif", "avg_days_late"):
        ours, theirs = joined[f"{metric}_portal"].to_numpy(), joined[metric].to_numpy()
        same_gaps = np.isnan(ours) == np.isnan(theirs)
        assert same_gaps.all(), joined.loc[~same_gaps, [metric, f"{metric}_portal"]].head()
        known = ~np.isnan(theirs)
        np.testing.assert_allclose(ours[known], theirs[known], rtol=0, atol=1e-12, err_msg=metric)


def test_every_line_of_the_file_is_counted(scms_db: Database) -> None:
    direct = direct_vendor_months(SCMS)
    with scms_db.read() as session:
        loaded = load_scorecard_data(session, None, AS_OF)
    assert loaded.events.lines_due.shape[0] == direct.attrs["lines"]
    assert loaded.events.receipts.shape[0] == direct.attrs["lines"]


def test_the_scorecards_export_of_a_month_matches_the_file(scms_db: Database) -> None:
    direct = direct_vendor_months(SCMS)
    busiest = direct.reset_index().groupby("period").size().idxmax()
    with scms_db.read() as session:
        export = scorecard_export(session, Actor.system("test"), busiest, today=AS_OF)
        names = dict(loaded_names(session))
    export["vendor"] = export["supplier_code"].map(names)
    got = export[export["lines"] > 0].set_index("vendor")
    expected = direct.xs(busiest, level="period")
    assert set(got.index) == set(expected.index)
    for metric in ("otd", "otif"):
        np.testing.assert_allclose(
            got.loc[expected.index, metric].astype(float),
            expected[metric].round(4),
            atol=1e-9,
            err_msg=metric,
        )
    late = expected["avg_days_late"].notna()
    np.testing.assert_allclose(
        got.loc[expected.index[late], "avg_days_late"].astype(float),
        expected.loc[late, "avg_days_late"].round(1),
    )


def loaded_names(session: Session) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from db.models import Supplier

    return list(session.execute(select(Supplier.code, Supplier.name)).all())
