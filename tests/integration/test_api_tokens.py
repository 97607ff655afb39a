"""Personal API tokens: made and revoked by their user, an admin or the command line; stored hashed."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from db.engine import Database, open_database
from db.models import ApiToken, AuditEvent
from portal.cli import main
from portal.core.domain import NotFound, PermissionDenied, ValidationError
from portal.i18n import format_utc
from portal.services.access import Actor
from portal.services.api_tokens import (
    actor_for_token,
    create_api_token,
    hash_secret,
    my_api_tokens,
    revoke_api_token,
)
from tests.builders import small_world

NOW = dt.datetime(2026, 3, 11, 9, 0)


def test_a_user_makes_a_token_that_acts_as_itself(db: Database) -> None:
    world = small_world(db)
    made = create_api_token(db, world.acme_user, "ERP upload", now=NOW)
    actor = actor_for_token(db, made.secret, now=NOW)
    assert actor is not None
    assert (actor.username, actor.role, actor.supplier_id) == ("acme", world.acme_user.role, world.acme_id)
    assert actor.token_id == made.token_id
    assert made.expires_at == NOW + dt.timedelta(days=90)


def test_only_the_hash_of_the_secret_is_stored(db: Database) -> None:
    world = small_world(db)
    made = create_api_token(db, world.buyer, "Purchasing system", now=NOW)
    with db.read() as session:
        token = session.get(ApiToken, made.token_id)
        assert token is not None
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "api_token")).all()
    assert token.token_hash == hash_secret(made.secret) and made.secret != token.token_hash
    assert made.secret.startswith(token.prefix)
    assert all(made.secret not in repr((e.before, e.after)) for e in events)


def test_a_token_is_refused_after_it_expires_or_is_revoked(db: Database) -> None:
    world = small_world(db)
    made = create_api_token(db, world.buyer, "Nightly", expires_days=1, now=NOW)
    assert actor_for_token(db, made.secret, now=NOW + dt.timedelta(hours=23)) is not None
    assert actor_for_token(db, made.secret, now=NOW + dt.timedelta(days=1)) is None
    other = create_api_token(db, world.buyer, "Other", now=NOW)
    assert revoke_api_token(db, world.buyer, other.token_id, now=NOW) is True
    assert revoke_api_token(db, world.buyer, other.token_id, now=NOW) is False
    assert actor_for_token(db, other.secret, now=NOW) is None


def test_the_last_use_is_recorded_at_most_once_a_minute(db: Database) -> None:
    world = small_world(db)
    made = create_api_token(db, world.buyer, "Poller", now=NOW)
    actor_for_token(db, made.secret, now=NOW)
    actor_for_token(db, made.secret, now=NOW + dt.timedelta(seconds=30))
    with db.read() as session:
        assert session.get_one(ApiToken, made.token_id).last_used_at == NOW
    actor_for_token(db, made.secret, now=NOW + dt.timedelta(minutes=2))
    with db.read() as session:
        assert session.get_one(ApiToken, made.token_id).last_used_at == NOW + dt.timedelta(minutes=2)


def test_a_user_lists_only_its_own_tokens_with_their_state(db: Database) -> None:
    world = small_world(db)
    active = create_api_token(db, world.acme_user, "Active", now=NOW)
    gone = create_api_token(db, world.acme_user, "Gone", now=NOW)
    revoke_api_token(db, world.acme_user, gone.token_id, now=NOW)
    create_api_token(db, world.buyer, "Not mine", now=NOW)
    mine = my_api_tokens(db, world.acme_user, now=NOW)
    assert dict(zip(mine["token_id"], mine["state"], strict=True)) == {
        active.token_id: "active",
        gone.token_id: "revoked",
    }


def test_only_an_admin_makes_or_revokes_another_users_tokens(db: Database) -> None:
    world = small_world(db)
    with pytest.raises(PermissionDenied):
        create_api_token(db, world.buyer, "For acme", username="acme")
    made = create_api_token(db, world.admin, "For acme", username="acme")
    with pytest.raises(PermissionDenied):
        revoke_api_token(db, world.bolt_user, made.token_id)
    assert revoke_api_token(db, world.admin, made.token_id) is True
    with pytest.raises(NotFound):
        revoke_api_token(db, world.admin, 999_999)


@pytest.mark.parametrize(
    ("name", "days"),
    [("", 90), ("x" * 81, 90), ("ok", 0), ("ok", 731)],
    ids=["no-name", "long", "0d", "731d"],
)
def test_a_token_needs_a_name_and_a_sensible_expiry(db: Database, name: str, days: int) -> None:
    world = small_world(db)
    with pytest.raises(ValidationError):
        create_api_token(db, world.buyer, name, expires_days=days)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[tuple[Callable[..., int], Database]]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    db = open_database(sqlite_url)
    small_world(db)

    def run(*args: str) -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        return main(list(args))

    yield run, db
    db.dispose()


def test_the_command_line_makes_a_token_prints_it_once_and_revokes_it(
    cli: tuple[Callable[..., int], Database], capsys: pytest.CaptureFixture[str]
) -> None:
    run, db = cli
    assert run("token", "create", "acme", "--name", "shop floor", "--expires", "30") == 0
    out = capsys.readouterr()
    secret = out.out.strip()
    assert secret.startswith("spt_") and "shop floor" in out.err
    actor = actor_for_token(db, secret)
    assert actor is not None and actor.username == "acme"
    with db.read() as session:
        expires_at = session.get_one(ApiToken, actor.token_id).expires_at
    # The expiry as the portal writes a UTC time everywhere else: Apr 10, 2026, 09:00 UTC.
    assert f"expires {format_utc(expires_at)}." in out.err
    assert run("token", "revoke", str(actor.token_id)) == 0
    assert "Revoked" in capsys.readouterr().out
    assert actor_for_token(db, secret) is None


def test_the_command_line_refuses_a_token_for_an_unknown_user(
    cli: tuple[Callable[..., int], Database], capsys: pytest.CaptureFixture[str]
) -> None:
    run, _ = cli
    assert run("token", "create", "nobody") == 1
    assert "nobody" in capsys.readouterr().err


def test_a_system_actor_cannot_make_a_token_without_naming_the_user(db: Database) -> None:
    small_world(db)
    with pytest.raises(ValidationError):
        create_api_token(db, Actor.system("cli"), "mine")
