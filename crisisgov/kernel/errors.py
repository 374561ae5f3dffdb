"""Errors that services raise and the API and pages turn into clear 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. `field` names the offending input when there is one."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        detail: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            detail["field"] = self.field
        return {"detail": [detail]}


class NotFound(DomainError):
    """Missing, or outside the actor's jurisdiction: the two are indistinguishable on purpose."""

    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class TooManyAttempts(DomainError):
    """Over a rate limit (`crisisgov.kernel.ratelimit`): try again later."""

    status_code = 429
    code = "too_many_attempts"
