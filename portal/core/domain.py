"""The domain's vocabulary: roles, statuses, alert rules and severities, errors."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUPPLIER = "supplier"
    BUYER = "buyer"
    MANAGER = "manager"
    ADMIN = "admin"


class LineStatus(StrEnum):
    OPEN = "open"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"


#: Lines that still await goods: they get forecasts, supply promises and alerts.
OPEN_LINE_STATUSES: tuple[LineStatus, ...] = (
    LineStatus.OPEN,
    LineStatus.IN_PRODUCTION,
    LineStatus.SHIPPED,
)


class BackorderStatus(StrEnum):
    WAITING = "waiting"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


class PromiseStatus(StrEnum):
    PROMISED = "promised"
    UNPROMISABLE = "unpromisable"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    # The one severity ranking: members are declared from the mildest up, and the rank follows.

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for critical: a higher rank is worse."""
        return list(Severity).index(self)

    @classmethod
    def from_rank(cls, rank: int) -> Severity:
        """The severity of a rank (ValueError for any other number)."""
        members = list(cls)
        if not 0 <= int(rank) < len(members):
            raise ValueError(f"No severity has rank {rank}")
        return members[int(rank)]

    @classmethod
    def worst_first(cls) -> tuple[Severity, ...]:
        """Every severity, critical first."""
        return tuple(reversed(list(cls)))

    @classmethod
    def ranks(cls) -> dict[str, int]:
        """Each severity's value with its rank (for mapping columns of values)."""
        return {s.value: s.rank for s in cls}


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertRule(StrEnum):
    LATE_START = "LATE_START"
    BEHIND_PLAN = "BEHIND_PLAN"
    PROJECTED_LATE = "PROJECTED_LATE"
    AT_RISK = "AT_RISK"
    STALE_UPDATE = "STALE_UPDATE"
    DATE_SLIPPED = "DATE_SLIPPED"
    UNREALISTIC_ESTIMATE = "UNREALISTIC_ESTIMATE"
    CAPACITY_OVERLOAD = "CAPACITY_OVERLOAD"
    SHORT_LEAD_TIME = "SHORT_LEAD_TIME"
    QUALITY = "QUALITY"
    UNPROMISABLE = "UNPROMISABLE"
    PROMISE_SLIPPED = "PROMISE_SLIPPED"
    #: An event, not a condition: the buyer changed a line against the supplier (need-by earlier,
    #: quantity up). Raised by the import that changed it, closed by hand, never by a recompute.
    PO_CHANGED = "PO_CHANGED"


#: Rules raised by an event rather than a condition that holds: recomputes leave their alerts alone.
EVENT_RULES: tuple[AlertRule, ...] = (AlertRule.PO_CHANGED,)


class SubjectType(StrEnum):
    LINE = "line"
    BACKORDER = "backorder"
    SUPPLIER = "supplier"


class PortalError(Exception):
    """An error a user can act on; its message is shown as is."""


class ValidationError(PortalError):
    """Input that breaks a rule: a form field, a date, a quantity."""


class PermissionDenied(PortalError):
    """The user may not do this, or may not see this object."""


class NotFound(PortalError):
    """The object does not exist (or is not visible to this user)."""


class ConflictError(PortalError):
    """Someone else changed the object since it was read."""


class AuthenticationError(PortalError):
    """Login failed. One message for every cause, so nothing is revealed."""

    def __init__(self) -> None:
        super().__init__("Invalid username or password, or the account is locked. Try again later.")
