"""Each user's language: set by the user (checked and audited), given at creation, refused when unknown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import AuditEvent, User
from portal.core.domain import ValidationError
from portal.services.access import Actor
from portal.services.users import create_user, set_user_language
from tests.builders import SmallWorld, actor_of, small_world


@pytest.fixture
def world(sqlite_db: Database) -> SmallWorld:
    return small_world(sqlite_db)


def _language(db: Database, username: str) -> str | None:
    with db.read() as session:
        return session.scalar(select(User.language).where(User.username == username))


def test_a_user_sets_its_own_language_and_the_change_is_audited(
    sqlite_db: Database, world: SmallWorld
) -> None:
    assert set_user_language(sqlite_db, world.acme_user, "zh_Hans") is True
    assert _language(sqlite_db, "acme") == "zh_Hans"
    assert set_user_language(sqlite_db, world.acme_user, "zh_Hans") is False  # no change, no event
    with sqlite_db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.language_set")).all()
    assert [(e.before, e.after) for e in events] == [({"language": None}, {"language": "zh_Hans"})]
    # The Actor of the next login carries it.
    assert actor_of(sqlite_db, "acme").user_id == world.acme_user.user_id
    # None: follow the browser again.
    assert set_user_language(sqlite_db, world.acme_user, None) is True
    assert _language(sqlite_db, "acme") is None


def test_a_language_with_no_catalog_is_refused_naming_the_choices_and_nothing_is_written(
    sqlite_db: Database, world: SmallWorld
) -> None:
    set_user_language(sqlite_db, world.buyer, "de")
    with pytest.raises(ValidationError) as refused:
        set_user_language(sqlite_db, world.buyer, "fr")
    message = str(refused.value)
    assert "'fr'" in message and "de (Deutsch)" in message and "zh_Hans (简体中文)" in message
    assert _language(sqlite_db, "buyer") == "de"


def test_a_new_user_can_be_given_a_language_but_not_an_unknown_one(
    sqlite_db: Database, world: SmallWorld
) -> None:
    system = Actor.system("test")
    create_user(
        sqlite_db, system, "wang", "wang-password-1", "supplier", supplier_code="ACME", language="zh_Hans"
    )
    assert _language(sqlite_db, "wang") == "zh_Hans"
    with pytest.raises(ValidationError, match="choose one of"):
        create_user(sqlite_db, system, "pierre", "pierre-password-1", "buyer", language="fr")
    with sqlite_db.read() as session:
        assert session.scalar(select(User.id).where(User.username == "pierre")) is None
