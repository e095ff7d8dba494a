"""One way for views and API handlers to run a service (DESIGN.md 5): commit once when it succeeds; when it refuses
(a ``DomainError``), roll back everything it did and tell the person where they are — the message and field errors
beside the form, or a flashed message; in the API (a request under /api/) every refusal goes on to the app's
handler (app.core.web), which answers problem+json. API writes mostly commit in ``app.api.idempotency.idempotent``
already, and their refusals reach the same handler.
A refusal that is about the object itself (403: not allowed, 404: not there or not visible) is never shown on a
form: it goes to the error page or the API's problem answer like any other request for such an object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash, has_request_context
from flask_wtf import FlaskForm

from app.core import input as input_layer
from app.core.errors import DomainError
from app.core.forms import apply_errors
from app.core.web import is_api_request
from app.extensions import db

T = TypeVar("T")

# Statuses of a refusal that leave the page for the error page (or problem+json) instead of showing on a form.
ERROR_PAGE_STATUSES = (403, 404)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What running a service gave: its ``value`` (committed), or the ``error`` it was refused with (rolled back).
    True when it succeeded, so a view writes ``if outcome: redirect…``."""

    value: T | None = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        """The status a page showing the refusal again answers with (200 after success)."""
        return self.error.status if self.error is not None else 200


def form_errors(exc: DomainError) -> dict[str, list[str]]:
    """A refusal as form errors: its field errors, or its message as an error of the whole form."""
    return dict(exc.errors or {"": [exc.message]})


def run_service(
    call: Callable[[], T],
    *,
    form: FlaskForm | None = None,
    errors: Callable[[DomainError], dict[str, list[str]]] = form_errors,
    flash_refusal: bool = False,
    refusals: type[DomainError] = DomainError,
    to_error_page: tuple[int, ...] = ERROR_PAGE_STATUSES,
) -> Outcome[T]:
    """Run ``call()`` (a service call taking the actor explicitly) and commit once if it succeeds.

    If it raises ``refusals`` (a ``DomainError`` subclass; any other exception is not caught), the session is rolled
    back and: in an API request, or when its status is in ``to_error_page`` (403/404), the refusal is raised again
    for the app's error handler (problem+json for the API, else the error page); otherwise ``errors(exc)`` is put on
    ``form`` beside its fields (an unknown field name becomes an error of the whole form), and with ``flash_refusal``
    the message is flashed as an error. Returns the ``Outcome``: truthy with ``value`` after the commit, falsy with
    ``error`` after a refusal."""
    try:
        if refused := input_layer.refused_fields():  # a web form's field held what cannot be stored: refuse first
            input_layer.answer_refused(refused)
            beside = [name for name in refused if form is not None and name in form]
            raise input_layer.refusal_of(refused, beside=beside)
        value = call()
    except refusals as exc:
        db.session.rollback()
        if exc.status in to_error_page or (has_request_context() and is_api_request()):
            raise
        if form is not None:
            apply_errors(form, errors(exc))
        if flash_refusal:
            flash(exc.message, "error")
        return Outcome(error=exc)
    db.session.commit()
    return Outcome(value=value)
