"""How the visits domain's events read in a timeline (DESIGN.md 4.1): its object types for the kernel's registry,
the sentences both parties read most, and the visits a shared timeline names its events' cases by."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import timeline
from app.core.models import AuditEvent
from app.extensions import db
from app.visits.labels import KIND, PURPOSE, SEVERITY, STANCE, STATUS
from app.visits.models import Visit

FIELDS = {
    "name": _l("Name"),
    "status": _l("Status"),
    "unit_id": _l("Unit"),
    "user_id": _l("Person"),
    "visit_date": _l("Date of the visit"),
    "aim": _l("Aim of the visit"),
    "summary": _l("Summary of the report"),
    "caption": _l("Caption"),
    "finalised_by_id": _l("Finalised by"),
    "comment_deadline": _l("Deadline for comments"),
    "kommunicering_waiver": _l("Why kommunicering was unnecessary"),
    "text": _l("Text"),
    "kind": _l("Kind"),
    "severity": _l("Severity"),
    "review_area_id": _l("Review area"),
    "is_lead": _l("Lead reviewer"),
    "sent_for_comment_at": _l("Sent for comment"),
    "finalised_at": _l("Finalised"),
    "closed_at": _l("Closed"),
    "cancel_reason": _l("Why the visit was cancelled"),
    "cancelled_at": _l("Cancelled on"),
    "withdrawal_reason": _l("Why the draft was taken back for revision"),
    "withdrawn_at": _l("Taken back for revision"),
    "earlier_draft": _l("Answers an earlier draft"),
    "authority_comment": _l("The authority's comment"),
    "authority_comment_by_id": _l("Comment written by"),
    "authority_comment_at": _l("Comment written"),
}
# A template version's own words: its "purpose" is what the review is for, not a visit's kind (DESIGN.md 4.1).
TEMPLATE_VERSION_FIELDS = {
    **FIELDS,
    "description": _l("Description"),
    "purpose": _l("Purpose of the review"),
    "legal_basis": _l("Legal basis"),
}

# A visit's moves along its status machine, in the words both parties use (DESIGN.md 4.1).
STATUS_SENTENCES = {
    "in_progress": _l("%(who)s started the visit."),
    "draft": _l("%(who)s marked the report as a draft."),
    "sent_for_comment": _l("%(who)s sent the draft report to the unit for comment."),
    "final": _l("%(who)s finalised the report."),
    "closed": _l("%(who)s closed the case."),
    "cancelled": _l("%(who)s cancelled the visit."),
}


def _visit_sentence(event: AuditEvent, who: str) -> str | None:
    if event.action == "create":
        return _("%(who)s planned the visit.", who=who)
    if event.action != "update":
        return None
    status = timeline.change(event, "status")
    if status:
        if status[0] == "draft" and status[1] == "in_progress":
            return _("%(who)s took the report back to recording findings.", who=who)
        if status[0] == "sent_for_comment" and status[1] == "draft":
            return _("%(who)s took the draft report back from the unit for revision.", who=who)
        template = STATUS_SENTENCES.get(status[1])
        if template is not None:
            return str(template) % {"who": who}
    if timeline.change(event, "visit_date"):
        return _("%(who)s changed the date of the visit.", who=who)
    if timeline.change(event, "comment_deadline"):
        return _("%(who)s set the deadline for the unit's comments.", who=who)
    if timeline.change(event, "summary"):
        return _("%(who)s wrote the summary of the report.", who=who)
    return None


def _response_sentence(event: AuditEvent, who: str) -> str | None:
    if event.action != "create":
        return None
    if timeline.change(event, "finding_id"):
        return _("%(who)s responded to a finding on behalf of the unit.", who=who)
    return _("%(who)s responded to the report on behalf of the unit.", who=who)


def _response_comment_sentence(event: AuditEvent, who: str) -> str | None:
    return {
        "create": _("%(who)s wrote the authority's comment on a response from the unit.", who=who),
        "update": _("%(who)s changed the authority's comment on a response from the unit.", who=who),
    }.get(event.action)


def _final_report_sentence(event: AuditEvent, who: str) -> str | None:
    return _("The final report was stored as a PDF.") if event.action == "create" else None


def _finding_sentence(event: AuditEvent, who: str) -> str | None:
    return {
        "create": _("%(who)s recorded a finding.", who=who),
        "update": _("%(who)s changed a finding.", who=who),
        "delete": _("%(who)s removed a finding.", who=who),
    }.get(event.action)


def _team_member_sentence(event: AuditEvent, who: str) -> str | None:
    return {
        "create": _("%(who)s added a reviewer to the team.", who=who),
        "delete": _("%(who)s removed a reviewer from the team.", who=who),
    }.get(event.action)


def register() -> None:
    """The visits domain's object types in the kernel's timeline registry (called by app.visits.init_app)."""
    timeline.register_object_type("template", _l("a review template"), fields=FIELDS)
    timeline.register_object_type(
        "template_version", _l("a version of a review template"), fields=TEMPLATE_VERSION_FIELDS
    )
    timeline.register_object_type(
        "visit",
        _l("a review visit"),
        fields=FIELDS,
        values={"status": STATUS, "purpose": PURPOSE},
        sentence=_visit_sentence,
    )
    timeline.register_object_type(
        "team_member", _l("a member of a review team"), fields=FIELDS, sentence=_team_member_sentence
    )
    timeline.register_object_type(
        "finding",
        _l("a finding"),
        fields=FIELDS,
        values={"kind": KIND, "severity": SEVERITY},
        sentence=_finding_sentence,
    )
    timeline.register_object_type("evidence", _l("a photo or document"), fields=FIELDS)
    timeline.register_object_type(
        "response",
        _l("a response from the unit"),
        fields=FIELDS,
        values={"stance": STANCE},
        sentence=_response_sentence,
    )
    timeline.register_object_type(
        "response_comment",
        _l("the authority's comment on a response"),
        fields=FIELDS,
        sentence=_response_comment_sentence,
    )
    timeline.register_object_type(
        "final_report", _l("the final report"), fields=FIELDS, sentence=_final_report_sentence
    )


def visit_refs(events: Iterable[AuditEvent]) -> dict[str, Any]:
    """The visits the events belong to, by id (one query), so a timeline can name each event's case:
    ``{str(visit id): Visit}`` for events on a visit or on one of its children."""
    ids = set()
    for event in events:
        ref = event.object_id if event.object_type == "visit" else None
        ref = ref or (event.parent_id if event.parent_type == "visit" else None)
        if ref:
            try:
                ids.add(uuid.UUID(ref))
            except ValueError:
                continue
    if not ids:
        return {}
    return {str(v.id): v for v in db.session.scalars(select(Visit).where(Visit.id.in_(ids)))}
