"""The DomainError family: services raise these; the UI flashes them and the API turns them into problem+json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A rule of DESIGN.md section 4 forbids the action (409 in the API). The message is for a person."""

    status = 409

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def errors(self) -> dict[str, list[str]]:
        return {self.field: [self.message]} if self.field else {}


class InvalidInput(DomainError):
    """Input that breaks a rule of shape rather than of the domain (422)."""

    status = 422

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        first = next(iter(errors.values()), [""])
        super().__init__(message or (first[0] if first else ""))
        self._errors = {k: list(v) for k, v in errors.items()}

    @property
    def errors(self) -> dict[str, list[str]]:
        return self._errors


class NotFound(DomainError):
    """The object does not exist or the actor may not know it exists (404, never 403)."""

    status = 404


class Forbidden(DomainError):
    """The actor sees the object but their role may not do this (403)."""

    status = 403
