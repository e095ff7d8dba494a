"""What the /api/v1 endpoints of visits share: problem descriptions in the OpenAPI document, the Idempotency-Key
parameter, the API's field names in messages, and the API's view of a visit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.api.blueprint import blp
from app.api.visits_schemas import (
    ProblemSchema,
)
from app.core.errors import DomainError, InvalidInput
from app.visits import policy as visits_policy
from app.visits import report
from app.visits.models import TeamMember, TemplateVersion, Visit

# ---- documentation helpers ------------------------------------------------------------------------

PROBLEM_DESCRIPTIONS = {
    403: "Visible to the caller, but their role may not do this (e.g. not on the review team).",
    404: "Does not exist, or the caller may not know of it (another unit's, or a draft for the unit).",
    409: "A rule of DESIGN.md 4 forbids it now; `detail` says which.",
    413: "The request is larger than the upload limit allows.",
    422: "Invalid input; `errors` names each field and what is wrong with it.",
}

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Repeating this write with the same key (per person) returns the first answer and changes "
    "nothing more; the same key with another request is a 422.",
}


def problems(*codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the problem+json answers an endpoint may give."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for code in codes:
            func = blp.alt_response(
                code,
                schema=ProblemSchema,
                content_type="application/problem+json",
                description=PROBLEM_DESCRIPTIONS[code],
            )(func)
        return func

    return decorate


def binary(content_types: tuple[str, ...], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"schema": {"type": "string", "format": "binary"}}
    answer: dict[str, Any] = {"description": description, "content": dict.fromkeys(content_types, body)}
    if headers:
        answer["headers"] = headers
    return {"200": answer}


# Field names of the services' (and the browser forms') errors → the API's names for the same fields.
API_FIELD_NAMES = {
    "template": "template_id",
    "lead": "lead_id",
    "team": "member_ids",
    "unit": "unit_id",
    "review_area": "review_area_id",
    "overall": "text",
}


@contextmanager
def api_field_names() -> Iterator[None]:
    """A service names a field as the browser form does; the API caller sent it under the API's name."""
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput({API_FIELD_NAMES.get(k, k): v for k, v in exc.errors.items()}, exc.message) from None
    except DomainError as exc:
        if exc.field in API_FIELD_NAMES:
            raise type(exc)(exc.message, field=API_FIELD_NAMES[exc.field]) from None
        raise


# ---- the object in the URL first ------------------------------------------------------------------

# The objects a URL names are fetched through their domain's policy before a write's body is read
# (app.core.access.guard_url_objects, run for the whole API by app.api.blueprint).


# ---- how a visit is shown to one person -----------------------------------------------------------


class VisitOut:
    """A visit as the caller may see it: before kommunicering a unit member gets only the fields of
    ``visits_policy.VISIT_FIELDS_BEFORE_KOMMUNICERING`` (a missing attribute is left out of the answer)."""

    def __init__(self, visit: Visit) -> None:
        self._visit = visit
        self._visible = visits_policy.visit_fields_visible(current_user, visit)

    def __getattr__(self, name: str) -> Any:
        if self._visible is not None and name not in self._visible:
            raise AttributeError(name)
        visit = self._visit
        if name == "template":
            version = visit.template_version
            return {
                "id": version.template_id,
                "name": version.template.name,
                "version_id": version.id,
                "version_number": version.number,
            }
        if name == "review_areas":
            return visit.template_version.areas
        if name == "final_report_sha256":
            stored = report.stored_report(visit)
            return stored.sha256 if stored else None
        return getattr(visit, name)


def visit_list_options() -> list[Any]:
    return [
        selectinload(Visit.unit),
        selectinload(Visit.team).selectinload(TeamMember.user),
        selectinload(Visit.template_version).selectinload(TemplateVersion.template),
        selectinload(Visit.findings),  # ``actions``: sending for comment needs a finding (app.visits.policy)
    ]


def visit_detail_options() -> list[Any]:
    return [*visit_list_options(), selectinload(Visit.template_version).selectinload(TemplateVersion.areas)]
