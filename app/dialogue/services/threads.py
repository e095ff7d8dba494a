"""Conversations and who takes part (DESIGN.md 4.2, 4.6): finding a visit's or a finding's thread, its title and
path, the writer's side, whether they may write, and which messages a person may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.core.errors import Forbidden, NotFound
from app.dialogue import policy as dialogue_policy
from app.dialogue.models import (
    Message,
    Side,
    Thread,
)
from app.extensions import db
from app.visits import policy as visits_policy
from app.visits.models import Finding, Visit

MAX_TEXT_LENGTH = 10000


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


# ---- the subject of a conversation -----------------------------------------------------------------


def subject(
    actor: User, *, visit_id: uuid.UUID | None = None, finding_id: uuid.UUID | None = None
) -> tuple[Visit, Finding | None]:
    """The visit (and finding) whose conversation the actor opens; 404 for what they may not know of."""
    if finding_id is not None:
        finding = visits_policy.get_finding(actor, finding_id)
        return finding.visit, finding
    if visit_id is None:
        raise NotFound(_("The conversation does not exist or you may not see it."))
    return visits_policy.get_visit(actor, visit_id), None


def find_thread(visit_id: uuid.UUID, finding_id: uuid.UUID | None) -> Thread | None:
    return db.session.scalar(select(Thread).where(Thread.key == Thread.key_for(visit_id, finding_id)))


def _thread_for_writing(visit: Visit, finding: Finding | None) -> Thread:
    """The conversation, made with its first message. Two first messages at once: one insert wins, the other
    finds its thread (the unique key), so a conversation is never split in two."""
    existing = find_thread(visit.id, finding.id if finding else None)
    if existing is not None:
        return existing
    thread = Thread(
        id=uuid.uuid4(),
        key=Thread.key_for(visit.id, finding.id if finding else None),
        unit_id=visit.unit_id,
        visit=visit,
        finding=finding,
    )
    try:
        with db.session.begin_nested():
            db.session.add(thread)
    except IntegrityError:
        winner = find_thread(visit.id, finding.id if finding else None)
        if winner is None:
            raise
        return winner
    return thread


def thread_title(thread_or_visit: Thread | Visit, finding: Finding | None = None) -> str:
    """A conversation's title: the case and the unit, and for a finding its review area (never its text)."""
    if isinstance(thread_or_visit, Thread):
        visit, finding = thread_or_visit.visit, thread_or_visit.finding
    else:
        visit = thread_or_visit
    if finding is None:
        return _("%(case)s %(unit)s: the visit", case=visit.case_number, unit=visit.unit.name)
    if finding.review_area is not None:
        return _(
            "%(case)s %(unit)s: a finding under “%(area)s”",
            case=visit.case_number,
            unit=visit.unit.name,
            area=finding.review_area.title,
        )
    return _("%(case)s %(unit)s: a finding", case=visit.case_number, unit=visit.unit.name)


def thread_path(visit_id: uuid.UUID, finding_id: uuid.UUID | None) -> str:
    return f"/findings/{finding_id}/messages" if finding_id else f"/visits/{visit_id}/messages"


# ---- who may write ---------------------------------------------------------------------------------


def writer_side(actor: User, visit: Visit) -> Side:
    """The capacity the actor writes in, or 403 for a reviewer who is not on the team."""
    if dialogue_policy.writes_for_unit(actor, visit):
        return Side.unit
    if dialogue_policy.can_write_in_dialogue(actor, visit):
        return Side.supervisor
    raise Forbidden(_("Only the review team, coordinators and the unit's members can write in this conversation."))


@dataclass(frozen=True)
class WritePermission:
    may_write: bool
    may_write_internal: bool
    # A finding's conversation before kommunicering: the unit may not see the finding yet.
    internal_only: bool
    reason: str = ""


def write_permission(actor: User, visit: Visit, finding: Finding | None) -> WritePermission:
    """What the page offers: the same rules ``post_message`` enforces."""
    if (closed := dialogue_policy.why_conversation_is_closed(visit)) is not None:
        return WritePermission(False, False, False, closed)
    if not dialogue_policy.can_write_in_dialogue(actor, visit):
        return WritePermission(
            False,
            False,
            False,
            _("You can read this conversation. The review team, coordinators and the unit's members write in it."),
        )
    internal_only = finding is not None and not visit.is_open_to_unit
    return WritePermission(True, dialogue_policy.can_write_internal(actor, visit), internal_only)


# ---- reading ---------------------------------------------------------------------------------------


def visible_messages(actor: User) -> Select[Any]:
    """Messages the actor may read, joined with their thread and visit (the access policy's one condition)."""
    return (
        select(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id)
        .where(dialogue_policy.message_visibility(actor))
    )
