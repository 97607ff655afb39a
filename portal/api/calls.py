"""Calling the portal's services from a route: the same functions, roles and checks as the browser.

The role check of ``@service`` runs first and answers 403. Inside the call the role is
allowed, so a refusal (``PermissionDenied``) is about an object of another supplier: it is
answered 404, the same as an object that does not exist, so ids and PO numbers reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from db.engine import Database
from portal.api.problems import Problem
from portal.core.domain import PermissionDenied, Role
from portal.services.access import REGISTRY, Actor

T = TypeVar("T")


def allowed_roles(fn: Callable[..., Any]) -> frozenset[Role]:
    """The roles ``fn``'s ``@service`` declaration allows."""
    return REGISTRY[f"{fn.__module__.removeprefix('portal.')}.{fn.__name__}"].roles


def require_role(actor: Actor, roles: Collection[Role], what: str) -> None:
    """403 unless the actor's role is one of ``roles``."""
    if actor.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Problem(403, f"A {actor.role.value} token cannot {what} (allowed: {allowed}).")


async def run(
    fn: Callable[..., T],
    db: Database,
    actor: Actor,
    *args: Any,
    hidden: str = "Not found.",
    **kwargs: Any,
) -> T:
    """Call service ``fn`` for ``actor`` in a worker thread; another supplier's object is a 404 ``hidden``."""
    require_role(actor, allowed_roles(fn), fn.__name__.replace("_", " "))
    try:
        return await run_in_threadpool(fn, db, actor, *args, **kwargs)
    except PermissionDenied:
        raise Problem(404, hidden) from None
