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
from app.visits.models import ReviewArea, Template, TemplateVersion, Visit

FIELDS = {
    "name": _l("Name"),
    "is_archived": _l("Archived"),
    "number": _l("Version"),
    "description": _l("Description"),
    "status": _l("Status"),
    "case_number": _l("Case number"),
    "unit_id": _l("Unit"),
    "template_version_id": _l("Review template"),
    "purpose": _l("Kind of visit"),
    "previous_visit_id": _l("Earlier visit"),
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
    "created_by_id": _l("Recorded by"),
    "uploaded_by_id": _l("Added by"),
    "original_name": _l("File name"),
    "stance": _l("The unit's position"),
    "submitted_by_id": _l("Submitted by"),
    "received_at": _l("Received"),
    "written_by_id": _l("Written by"),
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
REFS = {
    "unit_id": "unit",
    "user_id": "user",
    "created_by_id": "user",
    "uploaded_by_id": "user",
    "submitted_by_id": "user",
    "written_by_id": "user",
    "authority_comment_by_id": "user",
    "finalised_by_id": "user",
    "template_version_id": "template_version",
    "previous_visit_id": "visit",
    "review_area_id": "review_area",
}
# Links to the object an object belongs to (never changed after creation) and the stored file's internals.
HIDDEN = {
    "visit_id",
    "template_id",
    "finding_id",
    "response_id",
    "content_type",
    "size_bytes",
    "sha256",
    "storage_name",
    "thumbnail_name",
    "pdf",
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
        date = timeline.value_of(event, "visit_date")
        if date:
            return _(
                "%(who)s planned the visit for %(date)s.",
                who=who,
                date=timeline.change_value(event, "visit_date", date),
            )
        return _("%(who)s planned the visit.", who=who)
    if event.action == "delete":
        return _("%(who)s removed %(what)s.", who=who, what=timeline.named(event, _("the visit")))
    status = timeline.change(event, "status")
    if status:
        if status[0] == "draft" and status[1] == "in_progress":
            return _("%(who)s took the report back to recording findings.", who=who)
        if status[0] == "sent_for_comment" and status[1] == "draft":
            return _("%(who)s took the draft report back from the unit for revision.", who=who)
        template = STATUS_SENTENCES.get(status[1])
        if template is not None:
            return str(template) % {"who": who}
    date = timeline.change(event, "visit_date")
    if date:
        return _(
            "%(who)s moved the visit to %(date)s.", who=who, date=timeline.change_value(event, "visit_date", date[1])
        )
    deadline = timeline.change(event, "comment_deadline")
    if deadline:
        return _(
            "%(who)s set the deadline for the unit's comments to %(date)s.",
            who=who,
            date=timeline.change_value(event, "comment_deadline", deadline[1]),
        )
    if timeline.change(event, "summary"):
        return _("%(who)s wrote the summary of the report.", who=who)
    if timeline.change(event, "aim"):
        return _("%(who)s changed the aim of the visit.", who=who)
    return _("%(who)s changed the details of the visit.", who=who)


def _response_sentence(event: AuditEvent, who: str) -> str | None:
    stance = timeline.words_of(event, "stance")
    if event.action == "create":
        if timeline.value_of(event, "finding_id"):
            return _("%(who)s responded to a finding on behalf of the unit: %(stance)s.", who=who, stance=stance)
        return _("%(who)s responded to the report on behalf of the unit.", who=who)
    if event.action == "update":
        return _("%(who)s changed a response of the unit.", who=who)
    return _("%(who)s removed a response of the unit.", who=who)


def _response_comment_sentence(event: AuditEvent, who: str) -> str | None:
    return {
        "create": _("%(who)s wrote the authority's comment on a response from the unit.", who=who),
        "update": _("%(who)s changed the authority's comment on a response from the unit.", who=who),
        "delete": _("%(who)s removed the authority's comment on a response from the unit.", who=who),
    }.get(event.action)


def _final_report_sentence(event: AuditEvent, who: str) -> str | None:
    if event.action == "create":
        return _("The final report was stored as a PDF.")
    return _("The stored final report was replaced.")


def _finding_kind(event: AuditEvent) -> str:
    kind = timeline.words_of(event, "kind")
    severity = timeline.value_of(event, "severity")
    if severity:
        return _("%(kind)s (%(severity)s)", kind=kind, severity=timeline.words_of(event, "severity").lower())
    return kind


def _finding_sentence(event: AuditEvent, who: str) -> str | None:
    if event.action == "create":
        return _("%(who)s recorded a finding: %(kind)s.", who=who, kind=_finding_kind(event))
    if event.action == "delete":
        return _("%(who)s removed a finding: %(kind)s.", who=who, kind=_finding_kind(event))
    return _("%(who)s changed a finding.", who=who)


def _evidence_sentence(event: AuditEvent, who: str) -> str | None:
    photo = timeline.value_of(event, "kind") == "photo"
    what = timeline.named(event, _("the photo") if photo else _("the document"))
    if event.action == "create":
        return _("%(who)s added %(what)s to a finding.", who=who, what=what)
    if event.action == "delete":
        return _("%(who)s removed %(what)s from a finding.", who=who, what=what)
    return _("%(who)s changed a photo or document of a finding.", who=who)


def _team_member_sentence(event: AuditEvent, who: str) -> str | None:
    person = timeline.reference_name("user", timeline.value_of(event, "user_id")) or _("a reviewer")
    if event.action == "create" and person == who:
        if timeline.value_of(event, "is_lead"):
            return _("%(who)s joined the review team as lead reviewer.", who=who)
        return _("%(who)s joined the review team.", who=who)
    if event.action == "create":
        if timeline.value_of(event, "is_lead"):
            return _("%(who)s added %(person)s to the review team as lead reviewer.", who=who, person=person)
        return _("%(who)s added %(person)s to the review team.", who=who, person=person)
    if event.action == "delete":
        return _("%(who)s removed %(person)s from the review team.", who=who, person=person)
    lead = timeline.change(event, "is_lead")
    if lead and lead[1]:
        return _("%(who)s made %(person)s the lead reviewer.", who=who, person=person)
    return _("%(who)s changed the role of %(person)s in the review team.", who=who, person=person)


def _template_sentence(event: AuditEvent, who: str) -> str | None:
    what = timeline.named(event, _("the review template"))
    if event.action == "create":
        return _("%(who)s created %(what)s.", who=who, what=what)
    if event.action == "delete":
        return _("%(who)s removed %(what)s.", who=who, what=what)
    archived = timeline.change(event, "is_archived")
    if archived and archived[1]:
        return _("%(who)s archived %(what)s.", who=who, what=what)
    if archived:
        return _("%(who)s took %(what)s out of the archive.", who=who, what=what)
    return _("%(who)s changed %(what)s.", who=who, what=what)


def _template_version_sentence(event: AuditEvent, who: str) -> str | None:
    number = timeline.value_of(event, "number")
    if event.action == "create" and number:
        return _("%(who)s made version %(number)s of the review template.", who=who, number=number)
    return None


def _names(model: Any, column: Any, ids: Any) -> dict[str, str]:
    keys = [uuid.UUID(i) for i in ids]
    return {str(i): str(name) for i, name in db.session.execute(select(model.id, column).where(model.id.in_(keys)))}


def _template_version_names(ids: Any) -> dict[str, str]:
    keys = [uuid.UUID(i) for i in ids]
    rows = db.session.execute(
        select(TemplateVersion.id, Template.name, TemplateVersion.number)
        .join(Template, Template.id == TemplateVersion.template_id)
        .where(TemplateVersion.id.in_(keys))
    )
    return {str(i): _("%(name)s, version %(number)s", name=name, number=number) for i, name, number in rows}


def register() -> None:
    """The visits domain's object types in the kernel's timeline registry (called by app.visits.init_app)."""
    timeline.register_reference("visit", lambda ids: _names(Visit, Visit.case_number, ids))
    timeline.register_reference("template", lambda ids: _names(Template, Template.name, ids))
    timeline.register_reference("template_version", _template_version_names)
    timeline.register_reference("review_area", lambda ids: _names(ReviewArea, ReviewArea.title, ids))
    common: dict[str, Any] = {"fields": FIELDS, "refs": REFS, "hidden": HIDDEN}
    timeline.register_object_type("template", _l("a review template"), sentence=_template_sentence, **common)
    timeline.register_object_type(
        "template_version",
        _l("a version of a review template"),
        sentence=_template_version_sentence,
        **{**common, "fields": TEMPLATE_VERSION_FIELDS},
    )
    timeline.register_object_type(
        "visit",
        _l("a review visit"),
        values={"status": STATUS, "purpose": PURPOSE},
        sentence=_visit_sentence,
        **common,
    )
    timeline.register_object_type(
        "team_member", _l("a member of a review team"), sentence=_team_member_sentence, **common
    )
    timeline.register_object_type(
        "finding",
        _l("a finding"),
        values={"kind": KIND, "severity": SEVERITY},
        sentence=_finding_sentence,
        **common,
    )
    timeline.register_object_type(
        "evidence",
        _l("a photo or document"),
        values={"kind": timeline.FILE_KINDS},
        sentence=_evidence_sentence,
        **common,
    )
    timeline.register_object_type(
        "response",
        _l("a response from the unit"),
        values={"stance": STANCE},
        sentence=_response_sentence,
        **common,
    )
    timeline.register_object_type(
        "response_comment",
        _l("the authority's comment on a response"),
        sentence=_response_comment_sentence,
        **common,
    )
    timeline.register_object_type("final_report", _l("the final report"), sentence=_final_report_sentence, **common)


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
    found = {str(v.id): v for v in db.session.scalars(select(Visit).where(Visit.id.in_(ids)))}
    timeline.remember_names("visit", {key: v.case_number for key, v in found.items()})  # the timeline's names
    return found
