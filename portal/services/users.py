"""User administration: create, deactivate, reactivate, reset password (admins only)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Supplier, User, utcnow
from portal.core.domain import NotFound, Role, ValidationError
from portal.i18n import LANGUAGES, _
from portal.services import audit
from portal.services.access import ALL_ROLES, Actor, service
from portal.services.auth import check_password_strength, hash_password
from portal.services.sessions import end_user_sessions

_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,79}$")


def _check_new_user(
    session: Session, username: str, role: Role, supplier_code: str | None, password: str | None = None
) -> int | None:
    """The new user's supplier id; every problem with the form at once, in one ValidationError."""
    problems: list[str] = []
    supplier_id = None
    if not _USERNAME_RE.match(username):
        problems.append(
            _(
                "Username: 2-80 characters, lower-case letters, digits and . _ @ -, "
                "starting with a letter or digit."
            )
        )
    elif session.scalar(select(User.id).where(func.lower(User.username) == username)) is not None:
        problems.append(_("Username '{username}' is taken.").format(username=username))
    if role is Role.SUPPLIER:
        if not supplier_code:
            problems.append(_("A supplier user must belong to a supplier: give its supplier code."))
        else:
            supplier_id = session.scalar(select(Supplier.id).where(Supplier.code == supplier_code))
            if supplier_id is None:
                problems.append(_("No supplier with code '{code}'.").format(code=supplier_code))
    elif supplier_code:
        problems.append(
            _("Only supplier users belong to a supplier, not a {role} user.").format(role=role.value)
        )
    if password is not None:
        try:
            check_password_strength(password)
        except ValidationError as exc:
            problems.append(str(exc))
    if problems:
        raise ValidationError("\n\n".join(problems))
    return supplier_id


def create_user_unchecked(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
    *,
    supplier_code: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    language: str | None = None,
) -> User:
    """Create a user in an open transaction (used by :func:`create_user` and the demo loader)."""
    username = username.strip().lower()
    role = Role(role)
    language = check_user_language(language) if language else None
    supplier_id = _check_new_user(session, username, role, supplier_code, password)
    user = User(
        username=username,
        display_name=(display_name or username).strip(),
        email=email,
        password_hash=hash_password(password),
        role=role,
        supplier_id=supplier_id,
        language=language,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.created",
        "user",
        user.id,
        after={"username": username, "role": role.value, "supplier": supplier_code, "language": language},
    )
    return user


@service(Role.ADMIN)
def create_user(
    db: Database,
    actor: Actor,
    username: str,
    password: str,
    role: Role | str,
    *,
    supplier_code: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    language: str | None = None,
) -> int:
    """Create a login; a supplier user is bound to exactly one supplier. Returns the user id."""
    with db.write() as session:
        user = create_user_unchecked(
            session,
            actor,
            username,
            password,
            Role(role),
            supplier_code=supplier_code,
            display_name=display_name,
            email=email,
            language=language,
        )
        session.commit()
        return user.id


def check_user_language(code: str) -> str:
    """The code when the portal has a catalog for it; else a ValidationError naming the choices."""
    if code not in LANGUAGES:
        choices = ", ".join(f"{key} ({name})" for key, name in LANGUAGES.items())
        raise ValidationError(
            _("The portal has no translation for the language '{code}': choose one of {choices}.").format(
                code=code, choices=choices
            )
        )
    return code


@service(*ALL_ROLES)
def set_user_language(db: Database, actor: Actor, code: str | None) -> bool:
    """Set the actor's own language (None: follow the browser); whether it changed."""
    code = check_user_language(code) if code else None
    if actor.user_id is None:
        raise ValidationError(_("Only a logged-in user has a language to choose."))
    with db.write() as session:
        user = _get_user(session, actor.user_id)
        before = {"language": user.language}
        changed = user.language != code
        if changed:
            user.language = code
            audit.record(
                session, actor, "user.language_set", "user", user.id, before=before, after={"language": code}
            )
        session.commit()
    return changed


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No user with id {user_id}.").format(user_id=user_id))
    return user


@service(Role.ADMIN)
def set_user_active(db: Database, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (or reactivate) a login; a deactivated user cannot log in."""
    if user_id == actor.user_id and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    with db.write() as session:
        user = _get_user(session, user_id)
        before = {"active": user.active}
        user.active = active
        if active:
            user.failed_logins = 0
            user.locked_until = None
        audit.record(
            session,
            actor,
            "user.activated" if active else "user.deactivated",
            "user",
            user_id,
            before=before,
            after={"active": active},
        )
        session.commit()


@service(Role.ADMIN)
def reset_password(db: Database, actor: Actor, user_id: int, new_password: str) -> None:
    """Set a new password for a user, lift any lockout, and end every session of that user."""
    new_hash = hash_password(new_password)  # before the transaction: a hash takes a while
    with db.write() as session:
        user = _get_user(session, user_id)
        user.password_hash = new_hash
        user.failed_logins = 0
        user.locked_until = None
        ended = end_user_sessions(session, user_id, utcnow())
        audit.record(
            session,
            actor,
            "user.password_reset",
            "user",
            user_id,
            after={"username": user.username, "sessions_ended": ended},
        )
        session.commit()
