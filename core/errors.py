"""Domain errors. The API maps them to RFC 7807 problem+json in one table (api/errors.py).

Each error carries a stable machine `code` (snake_case, never reworded) that the problem
body repeats and the pages translate: its class's, or a finer one given when it is raised
(`InvalidInput("…", code="reason_required")`). Other keyword arguments are extra members
of the problem; an area's or a category's code goes there by another name (`area_code=`).
"""

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause; never a bug."""

    title = "Request failed"
    code = "request_failed"
    # True when what the request wrote before refusing must be kept (the audit of a failed
    # login, the revocation of a replayed token): the unit of work commits, then raises.
    keep_writes = False

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:  # a finer case than the class names ("reason_required")
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    title = "Not found"
    code = "not_found"


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a domain rule (bad geometry, bad code, ...)."""

    title = "Invalid input"
    code = "invalid_input"


class Conflict(DomainError):
    title = "Conflict"
    code = "conflict"


class Unauthorized(DomainError):
    """No valid credentials. The detail never says which part was wrong."""

    title = "Not authenticated"
    code = "not_authenticated"


class RecordedRefusal(Unauthorized):
    """A refusal whose traces (audit rows, revocations) are committed all the same."""

    keep_writes = True


class Forbidden(DomainError):
    title = "Forbidden"
    code = "forbidden"


class TooManyRequests(DomainError):
    title = "Too many requests"
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, **extra) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


# --- finer cases of bad input (hostile or careless clients; api/limits.py, core/images.py) ---

class ValueOutOfRange(InvalidInput):
    """A number or a moment beyond what the system can store or means to accept."""

    code = "value_out_of_range"


class ImageTooLarge(InvalidInput):
    """An image of more pixels than allowed (a decompression bomb is one)."""

    code = "image_too_large"


class UnreadableImage(InvalidInput):
    code = "image_unreadable"
