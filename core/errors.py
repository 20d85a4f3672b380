"""Domain errors. The API maps them to RFC 7807 problem+json in one table (api/errors.py)."""

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause; never a bug."""

    title = "Request failed"

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
