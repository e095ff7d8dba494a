"""The follow-ups domain's notices of what the other side did (DESIGN.md 4.2): a follow-up proposed or its proposal
changed (to the other side), withdrawn by the side that proposed it (to the other side, who had been told it waits for
them), accepted or declined (to the proposer's side, the side waiting for that answer), reported
done (to the review team), verified or reopened (to its owner). Told in the dialogue's batched e-mail through
``app.core.notices``: the follow-up's title and link, never its description, report, note or reason."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import notices
from app.core.errors import NotFound
from app.core.urls import external_url
from app.extensions import db
from app.followups import policy
from app.followups.models import FollowUp, Side
from app.units.models import Membership

PROPOSED = "follow_up.proposed"
CHANGED = "follow_up.changed"
ACCEPTED = "follow_up.accepted"
AGREED = "follow_up.agreed"
DECLINED = "follow_up.declined"
WITHDRAWN = "follow_up.withdrawn"
DONE_REPORTED = "follow_up.done_reported"
VERIFIED = "follow_up.verified"
REOPENED = "follow_up.reopened"


def _describe(follow_up_id: uuid.UUID, recipient: Any) -> notices.NoticeSubject | None:
    """The visit's case number (None for a follow-up outside a visit), the follow-up's title and page."""
    try:
        follow_up = policy.get_follow_up(recipient, follow_up_id)
    except NotFound:
        return None
    return notices.NoticeSubject(
        follow_up.visit.case_number if follow_up.visit is not None else None,
        _("Follow-up “%(title)s”", title=follow_up.title),
        external_url("followups.show", follow_up_id=follow_up.id),
    )


def register() -> None:
    """Declare the follow-ups domain's notice kinds and its subject (at start-up)."""
    notices.register_notice_subject("follow_up", _describe)
    sentences = {
        PROPOSED: lambda who: _("%(who)s proposed it; it waits for your side to accept it.", who=who),
        CHANGED: lambda who: _("%(who)s changed the proposal; it waits for your side to accept it.", who=who),
        ACCEPTED: lambda who: _("%(who)s accepted it.", who=who),
        AGREED: lambda who: _("%(who)s accepted it; it is now agreed by both sides.", who=who),
        DECLINED: lambda who: _("%(who)s declined it.", who=who),
        WITHDRAWN: lambda who: _("%(who)s withdrew the proposal; it no longer waits for your side.", who=who),
        DONE_REPORTED: lambda who: _("%(who)s reported it done; it waits for the review team to verify it.", who=who),
        VERIFIED: lambda who: _("%(who)s verified it.", who=who),
        REOPENED: lambda who: _("%(who)s reopened it; it is agreed again and not yet done.", who=who),
    }
    # Once the reader's own side has answered (accepted, declined, changed, verified…) before their batch went out.
    answered = {
        PROPOSED: lambda who: _("%(who)s proposed it; your side has answered it since.", who=who),
        CHANGED: lambda who: _("%(who)s changed the proposal; your side has answered it since.", who=who),
        DONE_REPORTED: lambda who: _("%(who)s reported it done; your side has answered it since.", who=who),
        REOPENED: lambda who: _("%(who)s reopened it; your side has answered it since.", who=who),
    }
    notices.register_notice_kinds(sentences, answered=answered)


def people_of_side(follow_up: FollowUp, side: Side) -> list[uuid.UUID]:
    """Who speaks for ``side`` on the follow-up: the unit's active members; for the supervising body the visit's
    review team, or (outside a visit) the reviewer responsible for it and whoever proposed or accepted it for them."""
    if side == Side.unit:
        return list(
            db.session.scalars(
                select(User.id)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.unit_id == follow_up.unit_id, User.is_active_account.is_(True))
            )
        )
    if follow_up.visit is not None:
        return [m.user_id for m in follow_up.visit.team]
    candidates = [follow_up.reviewer_id, follow_up.supervisor_accepted_by_id]
    if follow_up.proposed_by_side == Side.supervisor:
        candidates.append(follow_up.proposed_by_id)
    return [c for c in candidates if c is not None]


def record(kind: str, follow_up: FollowUp, *, actor: User, to: Side | None = None) -> None:
    """Record ``kind`` about ``follow_up`` for the people of side ``to`` (or, with ``to=None``, its owner), in the
    current transaction; the actor is never told of their own move."""
    people = [follow_up.owner_id] if to is None else people_of_side(follow_up, to)
    notices.record(kind, object_type="follow_up", object_id=follow_up.id, actor_id=actor.id, recipient_ids=people)
