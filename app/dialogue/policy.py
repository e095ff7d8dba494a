"""Who may read and write which conversations (DESIGN.md 4.2, 4.6): internal notes are the supervising side's;
a member of the visited unit writes as the unit whatever other roles they hold (jäv)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, true

from app.core import access, audit
from app.dialogue.models import Message, Thread
from app.visits import policy as visits_policy
from app.visits.models import Visit, VisitStatus


def sees_internal_notes(actor: Any, unit_id: Any) -> bool:
    """Internal notes are the supervising side's: reviewers and coordinators, never the unit's own members, even
    when they hold a reviewer's role as well (jäv: they take part as the unit)."""
    return access.supervises(actor, unit_id)


def writes_for_unit(actor: Any, visit: Visit) -> bool:
    """A member of the visited unit takes part in its conversations as the unit, whatever other roles they hold."""
    return access.takes_unit_side(actor, visit.unit_id)


def can_write_in_dialogue(actor: Any, visit: Visit) -> bool:
    """The unit's members, the review team and coordinators; other reviewers read along."""
    return writes_for_unit(actor, visit) or visits_policy.can_edit_visit(actor, visit)


def why_conversation_is_closed(visit: Visit) -> str | None:
    """Why nobody writes in the visit's conversations any more, or None while they are open: a closed case's and a
    cancelled visit's conversations are read, not continued (DESIGN.md 4.1: a cancelled visit leaves every list of
    work). The page shows this instead of the form and ``post_message`` refuses with it (409)."""
    if visit.status == VisitStatus.closed:
        return _("The case is closed. Its conversations can be read, not continued.")
    if visit.status == VisitStatus.cancelled:
        return _("The visit is cancelled. Its conversations can be read, not continued.")
    return None


def can_write_internal(actor: Any, visit: Visit) -> bool:
    """An internal note: the review team and coordinators (never the unit's side)."""
    return can_write_in_dialogue(actor, visit) and not writes_for_unit(actor, visit)


def message_visibility(actor: Any) -> ColumnElement[bool]:
    """Which messages a person may read, as one condition over Message joined with its Thread and Visit.

    Every list, count, page, API answer and e-mail about messages uses it, so none can forget a rule: another
    unit's conversations never; a finding's conversation only once the unit may see the finding; internal notes
    only for the supervising side (``sees_internal_notes``)."""
    member_units = list(actor.unit_ids)
    public = Message.is_internal.is_(False)
    if actor.is_staff:
        return or_(public, Thread.unit_id.not_in(member_units)) if member_units else true()
    return and_(
        Thread.unit_id.in_(member_units),
        or_(Thread.finding_id.is_(None), Visit.status.in_(visits_policy.OPEN_TO_UNIT)),
        public,
    )


audit.register_audit_type("message", unit_may_read=True)
audit.register_audit_type("internal_note")
