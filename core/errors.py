"""Domain errors. The API maps them to RFC 7807 problem+json in one table (api/errors.py)."""

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause; never a bug."""

    title = "Request failed"
    # True when what the request wrote before refusing must be kept (the audit of a failed
    # login, the revocation of a replayed token): the unit of work commits, then raises.
    keep_writes = False

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    title = "Not found"


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a domain rule (bad geometry, bad code, ...)."""

    title = "Invalid input"


class Conflict(DomainError):
    title = "Conflict"


class Unauthorized(DomainError):
    """No valid credentials. The detail never says which part was wrong."""

    title = "Not authenticated"


class RecordedRefusal(Unauthorized):
    """A refusal whose traces (audit rows, revocations) are committed all the same."""

    keep_writes = True


class Forbidden(DomainError):
    title = "Forbidden"


class TooManyRequests(DomainError):
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after
