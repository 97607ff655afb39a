"""Who is asking: the Actor, role checks on every service, and supplier scoping.

Every service and query function is declared with :func:`service`, naming the roles
that may call it. The decorator refuses other roles before the function runs and
records the function in :data:`REGISTRY`, so the authorization matrix test can check
that every service has a row. Object-level rules (a supplier user only touches its own
supplier's lines) are enforced inside the services with :func:`require_supplier_access`
and :func:`scope_to_actor`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy import Select

from portal.core.domain import NotFound, PermissionDenied, Role
from portal.i18n import N_, _

if TYPE_CHECKING:
    from db.engine import Database
    from db.models import User

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Actor:
    """The person (or the command line) on whose behalf a service runs."""

    user_id: int | None
    username: str
    role: Role
    supplier_id: int | None = None
    display_name: str = ""
    #: The API token this actor came through (None: the browser, the command line, the scheduler).
    token_id: int | None = None
    #: The posting link this actor came through (a supplier posting from its reminder, no login).
    posting_link_id: int | None = None
    #: The user's chosen language (portal.i18n.LANGUAGES); None: follow the browser.
    language: str | None = None

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_supplier(self) -> bool:
        return self.role is Role.SUPPLIER

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The command line and the scheduler: full rights, audited under ``name``."""
        return cls(user_id=None, username=name, role=Role.ADMIN, display_name=name)


def actor_for(user: User) -> Actor:
    """The Actor a logged-in user acts as."""
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        supplier_id=user.supplier_id,
        display_name=user.display_name,
        language=user.language,
    )


ALL_ROLES: frozenset[Role] = frozenset(Role)
STAFF: frozenset[Role] = frozenset({Role.BUYER, Role.MANAGER, Role.ADMIN})


@dataclass(frozen=True)
class ServiceSpec:
    """A registered service: its name, the roles allowed, and whether it writes."""

    name: str
    roles: frozenset[Role]
    writes: bool
    func: Callable[..., Any] = field(compare=False, repr=False)


#: Every service and query function, by qualified name.
REGISTRY: dict[str, ServiceSpec] = {}


def service(*roles: Role, writes: bool = True) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a service callable by ``roles``; its second argument must be the Actor."""
    allowed = frozenset(roles)

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        name = f"{func.__module__.removeprefix('portal.')}.{func.__name__}"

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs.get("actor", args[1] if len(args) > 1 else None)
            if not isinstance(actor, Actor):
                raise TypeError(f"{name} needs an Actor as its second argument")
            if actor.role not in allowed:
                raise PermissionDenied(
                    _("A {role} user cannot do this ({action}).").format(
                        role=actor.role.value, action=func.__name__
                    )
                )
            return func(*args, **kwargs)

        REGISTRY[name] = ServiceSpec(name=name, roles=allowed, writes=writes, func=wrapper)
        return wrapper

    return decorate


def require_supplier_access(actor: Actor, supplier_id: int, what: str) -> None:
    """Refuse a supplier user touching another supplier's object."""
    if actor.is_supplier and actor.supplier_id != supplier_id:
        raise PermissionDenied(_("{what} belongs to another supplier.").format(what=what))


def scope_to_actor(
    stmt: Select[*tuple[Any, ...]], supplier_column: Any, actor: Actor
) -> Select[*tuple[Any, ...]]:
    """Restrict a query to the actor's supplier when the actor is a supplier user."""
    if actor.is_supplier:
        return stmt.where(supplier_column == actor.supplier_id)
    return stmt


def own_value(db: Database, actor: Actor, stmt: Select[*tuple[Any, ...]], user_column: Any) -> Any:
    """The one value ``stmt`` reads among the actor's own rows (``user_column``: their user); None when
    there is none, or when the actor is not a signed-in user (the system, a posting link)."""
    if actor.user_id is None:
        return None
    with db.read() as session:
        return session.scalar(stmt.where(user_column == actor.user_id))


#: How a supplier user is refused a line that is not its own, whether it is another supplier's or
#: does not exist: the same words, so nobody learns which PO numbers other suppliers have.
NOT_YOUR_LINE = N_("is not one of your lines")


def require_line_access(actor: Actor, supplier_id: int | None, line_id: int) -> None:
    """Refuse a missing line (``supplier_id`` None) and, to a supplier user, another supplier's line alike."""
    if actor.is_supplier and (supplier_id is None or supplier_id != actor.supplier_id):
        raise PermissionDenied(_("PO line #{line_id} is not one of your lines.").format(line_id=line_id))
    if supplier_id is None:
        raise NotFound(_("No PO line with id {line_id}.").format(line_id=line_id))
