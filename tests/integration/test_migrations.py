"""Migrations: up to head, down to base and up again on SQLite and PostgreSQL; no drift from the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from alembic import command
from db.base import Base
from db.migrate import alembic_config, downgrade_to, scratch_postgres
from portal.bootstrap import upgrade_database
from tests.conftest import POSTGRES_ADMIN_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    request.getfixturevalue("postgres_server_url")  # skips (or fails under CI) without a server
    with scratch_postgres(POSTGRES_ADMIN_URL, "portal_mig") as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query, read through an engine of its own (as the migrations leave the database)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


def test_upgrade_downgrade_and_upgrade_again(empty_url: str) -> None:
    upgrade_database(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    downgrade_to(empty_url, "base")
    assert _tables(empty_url) == set()
    upgrade_database(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)


def test_0012_adds_the_users_language_and_takes_it_away_again(empty_url: str) -> None:
    upgrade_database(empty_url)
    assert "language" in _columns(empty_url, "users")
    downgrade_to(empty_url, "0011")
    assert "language" not in _columns(empty_url, "users")
    upgrade_database(empty_url)
    assert "language" in _columns(empty_url, "users")


def test_0024_adds_the_rank_rows_and_the_snapshots_rank_month_and_takes_them_away_again(
    empty_url: str,
) -> None:
    upgrade_database(empty_url)
    assert "scorecard_rank_rows" in _tables(empty_url)
    assert {"rank_end_month", "counts_sweep_run"} <= _columns(empty_url, "scorecard_snapshots")
    downgrade_to(empty_url, "0023_latesince")
    assert "scorecard_rank_rows" not in _tables(empty_url)
    assert not {"rank_end_month", "counts_sweep_run"} & _columns(empty_url, "scorecard_snapshots")
    upgrade_database(empty_url)
    assert "scorecard_rank_rows" in _tables(empty_url)
    assert {"rank_end_month", "counts_sweep_run"} <= _columns(empty_url, "scorecard_snapshots")


@pytest.mark.postgres
def test_0019_leaves_half_of_each_alerts_page_free_on_postgresql(postgres_server_url: str) -> None:
    """Room for a sweep's last_seen update of every live alert to stay on its page (a HOT update)."""

    def options(url: str) -> list[str]:
        [(found,)] = _rows(url, "SELECT reloptions FROM pg_class WHERE relname = 'alerts'")
        return list(found or [])

    with scratch_postgres(POSTGRES_ADMIN_URL, "portal_mig") as url:
        upgrade_database(url)
        assert "fillfactor=50" in options(url)
        downgrade_to(url, "0018_sweep")
        assert options(url) == []
        upgrade_database(url)
        assert "fillfactor=50" in options(url)


def test_0020_down_writes_each_alerts_last_seen_as_shown_into_it(empty_url: str) -> None:
    """Going below 0020 drops the sweep passes; the alerts' last_seen and as_of they gave (full and
    shard passes) are written into the alerts first, so every reader shows the same values after as
    before."""
    import datetime as dt

    from sqlalchemy import select

    from db.engine import open_database
    from db.models import Alert
    from portal.services.access import Actor
    from portal.services.planning import sweep
    from portal.services.planning.seen import seen_columns
    from portal.services.planning.shard import Shard
    from tests.builders import TODAY, small_world

    upgrade_database(empty_url)
    db = open_database(empty_url)
    try:
        world = small_world(db, recompute=False)
        sweep(db, world.admin, TODAY)
        sweep(db, Actor.system("test"), TODAY + dt.timedelta(days=1))
        # Then a pass of each shard: each alert was last seen by its own shard's (the CASE in SQL
        # over the shards' subjects: both shards' passes are after the full one).
        sweep(db, Actor.system("test"), TODAY + dt.timedelta(days=2), shard=Shard(2, 2))
        sweep(db, Actor.system("test"), TODAY + dt.timedelta(days=3), shard=Shard(1, 2))
        with db.read() as session:
            shown = session.execute(select(Alert.id, *seen_columns(session)).order_by(Alert.id)).all()
            stored = session.execute(select(Alert.id, Alert.last_seen, Alert.as_of).order_by(Alert.id)).all()
    finally:
        db.dispose()
    # Some alert was seen by a later pass without being written: its shown values differ; each live
    # alert shows its shard's pass (the migration's own SQL, not the app's, writes them back below:
    # compared with the app's reading here).
    assert shown and [tuple(r) for r in shown] != [tuple(r) for r in stored]
    assert all(r.as_of > TODAY + dt.timedelta(days=1) for r in shown if r.as_of > TODAY), shown
    downgrade_to(empty_url, "0019_fillfactor")
    after = _rows(empty_url, "SELECT id, last_seen, as_of FROM alerts ORDER BY id")
    if empty_url.startswith("sqlite"):  # text on SQLite: read back through the models' types
        after = [(i, dt.datetime.fromisoformat(s), dt.date.fromisoformat(d)) for i, s, d in after]
    assert after == [tuple(r) for r in shown]
    upgrade_database(empty_url)


def test_0021_reads_each_stored_promise_reason_into_the_arguments_a_sweep_writes(empty_url: str) -> None:
    """Down below 0021 the arguments go; up again, each stored English reason is read back into
    exactly the arguments the sweep wrote (so the next sweep rewrites nothing), and a reason that is
    not the writers' English keeps none."""
    from sqlalchemy import select, update

    from db.engine import open_database
    from db.models import Backorder
    from portal.services.planning import sweep
    from tests.builders import TODAY, small_world

    def reasons(url: str) -> list[tuple[object, ...]]:
        return _rows(url, "SELECT id, promise_reason, promise_reason_args FROM backorders ORDER BY id")

    upgrade_database(empty_url)
    db = open_database(empty_url)
    try:
        world = small_world(db, recompute=False)
        sweep(db, world.admin, TODAY)
        with db.write.begin() as session:
            typed = session.scalars(select(Backorder.id).order_by(Backorder.id).limit(1)).one()
            session.execute(
                update(Backorder)
                .where(Backorder.id == typed)
                .values(promise_reason="told by phone", promise_reason_args=None)
            )
    finally:
        db.dispose()
    written = reasons(empty_url)
    assert [r[0] for r in written if r[2] is not None] == [2], written
    downgrade_to(empty_url, "0020_lastseen")
    assert "promise_reason_args" not in _columns(empty_url, "backorders")
    upgrade_database(empty_url)
    assert reasons(empty_url) == written


def test_0023_adds_late_since_to_the_stored_forecasts_and_takes_it_away_again(empty_url: str) -> None:
    """Up, each stored forecast has an empty late_since until the next sweep or post computes it;
    down, the column goes and the forecasts stay."""
    from db.engine import open_database
    from portal.services.planning import sweep
    from tests.builders import TODAY, small_world

    upgrade_database(empty_url)
    db = open_database(empty_url)
    try:
        world = small_world(db, recompute=False)
        sweep(db, world.admin, TODAY)
    finally:
        db.dispose()
    forecasts = "SELECT po_line_id, as_of, arrival_p50, arrival_p90 FROM line_forecasts ORDER BY po_line_id"
    stored = _rows(empty_url, forecasts)
    assert stored
    downgrade_to(empty_url, "0022_inboxproblems")
    assert "late_since" not in _columns(empty_url, "line_forecasts")
    assert _rows(empty_url, forecasts) == stored
    upgrade_database(empty_url)
    assert _rows(empty_url, "SELECT DISTINCT late_since FROM line_forecasts") == [(None,)]
    assert _rows(empty_url, forecasts) == stored


def test_an_old_database_with_reports_gets_its_summaries_rebuilt_once_at_head(empty_url: str) -> None:
    """0006 creates the production summaries and supplier daily outputs empty and 0013 only asks for
    them (a migration imports no application code): upgraded from before them with reports, the
    database has at head the summaries the application keeps with every report, and no request left
    (the rebuild is portal.bootstrap.upgrade_database's: db.migrate only runs the migrations).
    A request left at head (an upgrade stopped after the migrations) keeps the database "not at
    head" until the next upgrade does the rebuild."""
    from db.engine import open_database
    from db.migrate import REBUILD_SUMMARIES, is_at_head, upgrade_to_head
    from portal.services.daily_outputs import verify_daily_outputs
    from portal.services.settings import load_settings
    from portal.services.summaries import verify_summaries
    from tests.builders import small_world

    def derived() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        lines = _rows(
            empty_url,
            "SELECT po_line_id, produced, rejected, reported_days, positive_days, steady_days, steady_sum"
            " FROM line_production_summaries ORDER BY po_line_id",
        )
        days = _rows(
            empty_url,
            "SELECT supplier_id, report_date, good_qty FROM supplier_daily_outputs"
            " ORDER BY supplier_id, report_date",
        )
        return lines, days

    def check_consistent_at_head() -> None:
        db = open_database(empty_url)
        try:
            assert is_at_head(db.engine)
            with db.read() as session:
                assert verify_summaries(session, load_settings(session).forecast_ewm_span).empty
                assert verify_daily_outputs(session).empty
        finally:
            db.dispose()

    upgrade_database(empty_url)
    db = open_database(empty_url)
    try:
        small_world(db)
    finally:
        db.dispose()
    kept = derived()
    assert kept[0] and kept[1]
    downgrade_to(empty_url, "0005")
    assert "line_production_summaries" not in _tables(empty_url)
    # Up to 0013 only: the request is there, the tables still empty (the migration folds nothing).
    command.upgrade(alembic_config(empty_url), "0013")
    assert derived() == ([], [])
    assert (REBUILD_SUMMARIES,) in _rows(empty_url, "SELECT key FROM settings")
    # The schema at head (db/ alone) leaves the request: the rebuild is the application's.
    upgrade_to_head(empty_url)
    assert derived() == ([], [])
    assert (REBUILD_SUMMARIES,) in _rows(empty_url, "SELECT key FROM settings")
    upgrade_database(empty_url)
    assert derived() == kept
    check_consistent_at_head()

    # A request left at head, the summaries gone: not at head until the next upgrade rebuilds them.
    engine = create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM line_production_summaries"))
            conn.execute(text("DELETE FROM supplier_daily_outputs"))
            conn.execute(
                text("INSERT INTO settings (key, value, updated_at) VALUES (:k, 'true', CURRENT_TIMESTAMP)"),
                {"k": REBUILD_SUMMARIES},
            )
        assert not is_at_head(engine)
    finally:
        engine.dispose()
    upgrade_database(empty_url)
    assert derived() == kept
    check_consistent_at_head()


def test_alembic_check_finds_no_drift_between_models_and_migrations(empty_url: str) -> None:
    upgrade_database(empty_url)
    # Raises alembic.util.exc.AutogenerateDiffsDetected when models and migrations differ.
    command.check(alembic_config(empty_url))


def _fill_every_table(url: str) -> dict[str, int]:
    """The demo world, plus a row in each table the demo leaves empty; returns row counts."""
    import datetime as dt

    from sqlalchemy import func, select

    from db.engine import open_database
    from db.models import (
        Alert,
        AlertComment,
        AlertNotification,
        ApiIdempotencyKey,
        ApiToken,
        ImportMapping,
        JobLock,
        Notification,
        NotificationPreference,
        OutputDraft,
        PoLine,
        PoLineChange,
        PostingLink,
        Setting,
        Supplier,
        SupplierFollow,
        User,
        UserSession,
        Webhook,
    )
    from portal.demo.load import load_demo_world
    from portal.services.access import Actor

    db = open_database(url)
    load_demo_world(db, Actor.system("test"), seed=5, today=dt.date(2026, 3, 6))
    with db.write() as session:
        user = session.scalar(select(User).where(User.username == "buyer"))
        assert user is not None
        supplier = session.scalar(select(Supplier).limit(1))
        assert supplier is not None
        alert = session.scalar(select(Alert).limit(1))
        assert alert is not None
        note = Notification(
            channel="email",
            kind="alert_digest",
            dedup_key="k1",
            recipient="b@example.com",
            subject="s",
            payload={"alerts": [1]},
        )
        session.add_all(
            [
                note,
                ImportMapping(user_id=user.id, kind="pos", mapping={"PO": "po_number"}),
                SupplierFollow(user_id=user.id, supplier_id=supplier.id),
                NotificationPreference(user_id=user.id, kind="alert_digest", enabled=False),
                Webhook(team="ops", url="https://hooks.example/x"),
                JobLock(name="sweep", holder="test", expires_at=dt.datetime(2026, 3, 6, 10)),
                UserSession(user_id=user.id, token_hash="a" * 64),
                UserSession(
                    user_id=user.id, ticket_hash="b" * 64, ticket_expires_at=dt.datetime(2026, 3, 6, 10)
                ),
            ]
        )
        session.flush()
        session.add(
            AlertNotification(alert_id=alert.id, user_id=user.id, severity="warning", notification_id=note.id)
        )
        session.add(AlertComment(alert_id=alert.id, author_id=user.id, author_name="Bea", body="On it"))
        token = ApiToken(
            user_id=user.id, name="ERP", prefix="spt_abcdef", token_hash="c" * 64, created_by="test"
        )
        session.add(token)
        session.flush()
        session.add(ApiIdempotencyKey(user_id=user.id, key="k1", token_id=token.id, request_hash="d" * 64))
        session.add(Setting(key="stale_update_days", value=4))
        session.add(
            OutputDraft(user_id=user.id, report_date=dt.date(2026, 3, 6), values={"1": {"good_qty": 5}})
        )
        session.add(
            PostingLink(token_hash="e" * 64, supplier_id=supplier.id, expires_at=dt.datetime(2026, 3, 7, 10))
        )
        line = session.scalar(select(PoLine).limit(1))
        assert line is not None
        session.add(
            PoLineChange(
                po_line_id=line.id, field="quantity", old_value="1", new_value="2", changed_by_name="Bea"
            )
        )
        session.commit()
    with db.read() as session:
        counts = {
            t.name: int(session.scalars(select(func.count()).select_from(t)).one())
            for t in Base.metadata.sorted_tables
        }
    db.dispose()
    return counts


def test_migrations_go_down_and_up_with_data_in_every_table(empty_url: str) -> None:
    upgrade_database(empty_url)
    before = _fill_every_table(empty_url)
    assert all(n > 0 for n in before.values()), {t: n for t, n in before.items() if n == 0}
    # Two steps down and up again keep the data, except what those steps drop by design: the
    # pending login ticket (0003), the scorecard snapshot, derived data recomputed on refresh (0004),
    # the API tokens and idempotency keys (0005), the drafts and posting links (0009), the
    # lines' change history (0010), the sweep passes (0020: written into the alerts first), and the
    # inbox problems with the row that marks them complete (0022: the next sweep builds them again).
    downgrade_to(empty_url, "0002")
    upgrade_database(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        after = {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in before}
    engine.dispose()
    assert after == {
        **before,
        "user_sessions": before["user_sessions"] - 1,
        "scorecard_snapshots": 0,
        "scorecard_totals": 0,
        "scorecard_rank_rows": 0,
        "api_tokens": 0,
        "api_idempotency_keys": 0,
        "output_drafts": 0,
        "posting_links": 0,
        "po_line_changes": 0,
        "sweep_runs": 0,
        "inbox_problems": 0,
        "settings": before["settings"] - 1,
    }
    # All the way down and up: every table comes back.
    downgrade_to(empty_url, "base")
    assert _tables(empty_url) == set()
    upgrade_database(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
