"""Findings of a visit (DESIGN.md 4.1): adding, editing and removing them while the visit is editable."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core import client_ids, signals
from app.core.errors import InvalidInput
from app.extensions import db
from app.visits import policy
from app.visits.models import (
    Finding,
    FindingKind,
    Severity,
    Visit,
)

# ---- findings -------------------------------------------------------------------------------------

EDITABLE = policy.EDITABLE


def _validated_finding(
    visit: Visit,
    kind: str | FindingKind | None,
    severity: str | Severity | None,
    text: str,
    review_area_id: uuid.UUID | None,
) -> dict:
    errors: dict[str, list[str]] = {}
    try:
        kind = FindingKind(kind) if kind else None
    except ValueError:
        kind = None
    if kind is None:
        errors["kind"] = [_("Choose what kind of finding this is.")]
    sev: Severity | None = None
    if kind == FindingKind.deviation:
        try:
            sev = Severity(severity) if severity else None
        except ValueError:
            sev = None
        if sev is None:
            errors["severity"] = [_("Choose whether the deviation is minor or serious.")]
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("Describe what you saw.")]
    elif len(text) > 10000:
        errors["text"] = [_("The text may be at most %(n)d characters long.", n=10000)]
    if review_area_id is not None and review_area_id not in {a.id for a in visit.template_version.areas}:
        errors["review_area"] = [_("Choose a review area of the visit's template.")]
    if errors:
        raise InvalidInput(errors)
    return {"kind": kind, "severity": sev, "text": text, "review_area_id": review_area_id}


def add_finding(
    visit_id: uuid.UUID,
    *,
    actor: User,
    kind: str | FindingKind | None,
    text: str,
    severity: str | Severity | None = None,
    review_area_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
) -> Finding:
    visit = policy.get_visit(actor, visit_id)
    policy.require_visit_editor(actor, visit)
    if (existing := client_ids.replayed(Finding, finding_id, is_replay=lambda f: f.visit_id == visit.id)) is not None:
        return existing  # a repeated create with the client's id (API.md, the tablet's offline queue)
    if (refusal := policy.why_not_change_findings(actor, visit)) is not None:
        raise refusal
    fields = _validated_finding(visit, kind, severity, text, review_area_id)

    def insert() -> Finding:
        finding = Finding(id=finding_id or uuid.uuid4(), visit=visit, created_by_id=actor.id, **fields)
        db.session.add(finding)
        db.session.flush()
        signals.finding_changed.send(visit, actor=actor, finding=finding, action="create")
        return finding

    return client_ids.created_once(Finding, finding_id, insert, is_replay=lambda f: f.visit_id == visit.id)


def update_finding(
    finding_id: uuid.UUID,
    *,
    actor: User,
    kind: str | FindingKind | None,
    text: str,
    severity: str | Severity | None = None,
    review_area_id: uuid.UUID | None = None,
) -> Finding:
    finding = policy.get_finding(actor, finding_id)
    if (refusal := policy.why_not_change_findings(actor, finding.visit)) is not None:
        raise refusal
    for key, value in _validated_finding(finding.visit, kind, severity, text, review_area_id).items():
        setattr(finding, key, value)
    db.session.flush()
    signals.finding_changed.send(finding.visit, actor=actor, finding=finding, action="update")
    return finding


def delete_finding(finding_id: uuid.UUID, *, actor: User) -> Visit:
    finding = policy.get_finding(actor, finding_id)
    visit = finding.visit
    if (refusal := policy.why_not_change_findings(actor, visit)) is not None:
        raise refusal
    db.session.delete(finding)
    db.session.flush()
    signals.finding_changed.send(visit, actor=actor, finding=None, action="delete")
    return visit


def finding_query(visit: Visit) -> Select[Finding]:
    """A visit's findings in the order they were recorded, with their evidence."""
    return (
        select(Finding)
        .where(Finding.visit_id == visit.id)
        .options(selectinload(Finding.evidence))
        .order_by(Finding.created_at, Finding.id)
    )
