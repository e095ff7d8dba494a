"""The rules of DESIGN.md 4.4: agreed follow-up actions, proposed by either side and agreed only when both
sides have accepted; reported done with what was done, verified with how the effect was checked, reopened,
cancelled with a reason. Every change writes its reminders in the same transaction (app.followups.reminders)
and sends ``follow_up_changed``. Module-level functions with an explicit actor; they flush, never commit.

Who speaks for which side: a member of the follow-up's unit always speaks for the unit (even if they are also
a reviewer: jäv); otherwise coordinators, and the reviewers on the visit's team (for a follow-up of no visit:
the reviewer responsible for it, or any reviewer while nobody is), speak for the supervising body.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.auth.models import User
from app.core import client_ids, signals
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.core.input import fold
from app.core.models import local_today, utcnow
from app.core.pagination import Key, keyset_order
from app.extensions import db
from app.followups import counts as follow_up_counts
from app.followups import evidence as follow_up_evidence
from app.followups import notices as follow_up_notices
from app.followups import policy as followups_policy
from app.followups import reminders
from app.followups.models import AGREED_STATUSES, FollowUp, FollowUpStatus, Side
from app.units import policy as units_policy
from app.units.models import Membership, Unit, UnitKind
from app.visits import policy as visits_policy
from app.visits.models import Finding, FindingKind, Severity, TeamMember, Visit, VisitStatus

MAX_TITLE = 200
MAX_TEXT = 5000
MIN_NOTE = 10
MAX_YEARS_AHEAD = 5
VISIT_STATUSES_FOR_NEW = followups_policy.VISIT_STATUSES_FOR_NEW


_other = followups_policy.other_side
_side = followups_policy.side_in
side_of = followups_policy.side_of
may_act = followups_policy.may_act


def _accept_side(follow_up: FollowUp, side: Side, actor: User, now: datetime) -> None:
    if side == Side.supervisor:
        follow_up.supervisor_accepted_by_id, follow_up.supervisor_accepted_at = actor.id, now
        if follow_up.visit_id is None and follow_up.reviewer_id is None and actor.id is not None:
            follow_up.reviewer_id = actor.id  # who speaks for the supervising body on it from now on
    else:
        follow_up.unit_accepted_by_id, follow_up.unit_accepted_at = actor.id, now


def _clear_side(follow_up: FollowUp, side: Side) -> None:
    if side == Side.supervisor:
        follow_up.supervisor_accepted_by_id, follow_up.supervisor_accepted_at = None, None
    else:
        follow_up.unit_accepted_by_id, follow_up.unit_accepted_at = None, None


def _changed(follow_up: FollowUp, actor: User, previous: FollowUpStatus | None) -> FollowUp:
    db.session.flush()
    signals.follow_up_changed.send(follow_up, actor=actor, previous=previous)
    return follow_up


# ---- validation -----------------------------------------------------------------------------------------


def _text(value: str | None) -> str:
    return (value or "").strip()


def _check_title(title: str, errors: dict[str, list[str]]) -> None:
    if not title:
        errors["title"] = [_("Give the follow-up a short title.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("The title may be at most %(n)d characters long.", n=MAX_TITLE)]


def _check_description(description: str, errors: dict[str, list[str]]) -> None:
    if not description:
        errors["description"] = [_("Describe what is to be done.")]
    elif len(description) > MAX_TEXT:
        errors["description"] = [_("The text may be at most %(n)d characters long.", n=MAX_TEXT)]


def _check_due_date(due_date: date | None, today: date, errors: dict[str, list[str]]) -> None:
    if due_date is None:
        errors["due_date"] = [_("Enter the due date.")]
    elif due_date < today:
        errors["due_date"] = [_("The due date cannot be in the past.")]
    elif due_date > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        errors["due_date"] = [_("The due date may be at most %(n)d years ahead.", n=MAX_YEARS_AHEAD)]


def _check_owner(owner_id: uuid.UUID | None, unit_id: uuid.UUID, errors: dict[str, list[str]]) -> None:
    if owner_id is None:
        errors["owner"] = [_("Choose who in the unit is responsible.")]
        return
    member = db.session.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, User.id == owner_id, User.is_active_account.is_(True))
    )
    if member is None:
        errors["owner"] = [_("The person responsible must be an active member of the unit.")]


def _check_text(value: str, field: str, errors: dict[str, list[str]], message: str, minimum: int = 1) -> None:
    if len(value) < minimum:
        errors[field] = [message]
    elif len(value) > MAX_TEXT:
        errors[field] = [_("The text may be at most %(n)d characters long.", n=MAX_TEXT)]


def owner_choices(unit_id: uuid.UUID) -> list[User]:
    """Who may be responsible for a follow-up of the unit: its active members."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit_id, User.is_active_account.is_(True))
            .order_by(func.lower(User.name))
        )
    )


# ---- proposing, accepting, changing ---------------------------------------------------------------------


def propose(
    *,
    actor: User,
    unit_id: uuid.UUID,
    title: str,
    description: str,
    due_date: date | None,
    owner_id: uuid.UUID | None = None,
    visit_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
    follow_up_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """A new follow-up, from a finding, from a visit, or on its own; the proposer's side has accepted it.
    A unit member who names nobody is responsible themselves."""
    unit = units_policy.get_unit(actor, unit_id)

    def is_replay(follow_up: FollowUp) -> bool:
        return follow_up.unit_id == unit.id and follow_up.proposed_by_id == actor.id

    if (existing := client_ids.replayed(FollowUp, follow_up_id, is_replay=is_replay)) is not None:
        return existing  # a repeated create with the client's id (API.md)
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    finding: Finding | None = None
    visit: Visit | None = None
    if finding_id is not None:
        finding = db.session.get(Finding, finding_id)
        if finding is None or finding.visit.unit_id != unit.id:
            raise NotFound(_("The finding does not exist or you may not see it."))
        visit = finding.visit
        if finding.kind == FindingKind.strength:
            errors["finding"] = [_("A strength needs no follow-up. Choose a deviation or an area for development.")]
        if visit_id is not None and visit_id != visit.id:
            errors["visit"] = [_("The finding belongs to another visit.")]
    elif visit_id is not None:
        visit = db.session.get(Visit, visit_id)
        if visit is None or visit.unit_id != unit.id:
            raise NotFound(_("The visit does not exist or you may not see it."))
    if visit is not None:
        if not visits_policy.can_see_visit_content(actor, visit):
            raise NotFound(_("The visit does not exist or you may not see it."))
        if visit.status not in VISIT_STATUSES_FOR_NEW:
            raise DomainError(
                _("Follow-ups can be agreed in a visit from its start until the case is closed.")
                if visit.status == VisitStatus.planned
                else _("The case is closed: it takes no new follow-ups.")
            )
    side = _side(actor, unit.id, visit, None)
    title, description = _text(title), _text(description)
    if owner_id is None and side == Side.unit:
        owner_id = actor.id
    _check_title(title, errors)
    _check_description(description, errors)
    _check_due_date(due_date, local_today(now), errors)
    _check_owner(owner_id, unit.id, errors)
    if errors:
        raise InvalidInput(errors)
    assert due_date is not None and owner_id is not None
    follow_up = FollowUp(
        id=follow_up_id or uuid.uuid4(),
        unit=unit,
        visit=visit,
        finding=finding,
        title=title,
        description=description,
        owner_id=owner_id,
        due_date=due_date,
        status=FollowUpStatus.proposed,
        proposed_by_id=actor.id,
        proposed_by_side=side,
    )
    _accept_side(follow_up, side, actor, now)
    db.session.add(follow_up)
    _changed(follow_up, actor, None)
    follow_up_notices.record(follow_up_notices.PROPOSED, follow_up, actor=actor, to=_other(side))  # DESIGN.md 4.2
    return follow_up


def accept(follow_up_id: uuid.UUID, *, actor: User, now: datetime | None = None) -> FollowUp:
    """The actor's side accepts; when the other side has too, it is agreed and its reminders are written."""
    follow_up = followups_policy.get_follow_up(actor, follow_up_id)
    side = side_of(actor, follow_up)
    now = now or utcnow()
    if (refusal := followups_policy.why_not_accept(actor, follow_up, local_today(now))) is not None:
        raise refusal
    previous = follow_up.status
    _accept_side(follow_up, side, actor, now)
    if follow_up.accepted_by(_other(side)):
        follow_up.status = FollowUpStatus.agreed
        follow_up.agreed_at = now
        db.session.flush()
        reminders.plan_follow_up(follow_up, now=now)
    _changed(follow_up, actor, previous)
    # The side that proposed (and waits for this answer) hears of it (DESIGN.md 4.2).
    kind = follow_up_notices.AGREED if follow_up.status == FollowUpStatus.agreed else follow_up_notices.ACCEPTED
    follow_up_notices.record(kind, follow_up, actor=actor, to=_other(side))
    return follow_up


_UNSET: Any = object()


def update(
    follow_up_id: uuid.UUID,
    *,
    actor: User,
    title: str | None = _UNSET,
    description: str | None = _UNSET,
    due_date: date | None = _UNSET,
    owner_id: uuid.UUID | None = _UNSET,
    now: datetime | None = None,
) -> FollowUp:
    """Change a follow-up; what is left out stays as it is.

    While proposed, either side may change anything; the changed proposal is then accepted by the side that
    changed it and waits for the other. Once agreed, the unit may hand it to another of its members, and the
    supervising body may change the title, the description or the due date (a new due date gets its own
    reminders; the old date's unsent ones are dropped). Done, verified and cancelled ones stay as they are.
    """
    follow_up = followups_policy.get_follow_up(actor, follow_up_id)
    side = side_of(actor, follow_up)
    now = now or utcnow()
    if (refusal := followups_policy.why_not_update(actor, follow_up)) is not None:
        raise refusal
    wanted: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if title is not _UNSET and _text(title) != follow_up.title:
        wanted["title"] = _text(title)
        _check_title(wanted["title"], errors)
    if description is not _UNSET and _text(description) != follow_up.description:
        wanted["description"] = _text(description)
        _check_description(wanted["description"], errors)
    if due_date is not _UNSET and due_date != follow_up.due_date:
        wanted["due_date"] = due_date
        _check_due_date(due_date, local_today(now), errors)
    if owner_id is not _UNSET and owner_id != follow_up.owner_id:
        wanted["owner_id"] = owner_id
        _check_owner(owner_id, follow_up.unit_id, errors)
    if errors:
        raise InvalidInput(errors)
    if not wanted:
        return follow_up
    if follow_up.status == FollowUpStatus.agreed and side == Side.unit and set(wanted) - {"owner_id"}:
        raise Forbidden(
            _(
                "An agreed follow-up's title, description and due date are changed by the review team. "
                "Ask them, for example in the visit's conversation."
            )
        )
    previous = follow_up.status
    for key, value in wanted.items():
        setattr(follow_up, key, value)
    if follow_up.status == FollowUpStatus.proposed:
        _accept_side(follow_up, side, actor, now)
        _clear_side(follow_up, _other(side))
    elif "due_date" in wanted:
        db.session.flush()
        reminders.drop_follow_up(follow_up.id, reason="the due date changed", now=now, keep_due_date=follow_up.due_date)
        reminders.plan_follow_up(follow_up, now=now)
    _changed(follow_up, actor, previous)
    if follow_up.status == FollowUpStatus.proposed:
        # A changed proposal waits for the other side again: as good as a new proposal to them (DESIGN.md 4.2).
        follow_up_notices.record(follow_up_notices.CHANGED, follow_up, actor=actor, to=_other(side))
    return follow_up


# ---- done, verified, reopened, cancelled ----------------------------------------------------------------


def report_done(
    follow_up_id: uuid.UUID,
    *,
    actor: User,
    description: str,
    files: Sequence[tuple[str, bytes]] = (),
    now: datetime | None = None,
) -> FollowUp:
    """The unit reports what it has done (and may attach photos or documents); no more reminders."""
    follow_up = followups_policy.get_follow_up(actor, follow_up_id)
    side_of(actor, follow_up)  # Forbidden for who may not act on it at all
    if (refusal := followups_policy.why_not_report_done(actor, follow_up)) is not None:
        raise refusal
    now = now or utcnow()
    description = _text(description)
    errors: dict[str, list[str]] = {}
    _check_text(description, "description", errors, _("Describe what was done."))
    checked = []
    try:
        checked = follow_up_evidence.check_files(list(files))
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    previous = follow_up.status
    follow_up.status = FollowUpStatus.done_reported
    follow_up.done_description = description
    follow_up.done_reported_at = now
    follow_up.done_reported_by_id = actor.id
    for upload in checked:
        follow_up_evidence.store(follow_up, actor=actor, checked=upload)
    db.session.flush()
    reminders.drop_follow_up(follow_up.id, reason="the follow-up was reported done", now=now)
    _changed(follow_up, actor, previous)
    follow_up_notices.record(follow_up_notices.DONE_REPORTED, follow_up, actor=actor, to=Side.supervisor)
    return follow_up


def verify(follow_up_id: uuid.UUID, *, actor: User, note: str, now: datetime | None = None) -> FollowUp:
    """The review team confirms the effect, saying how it checked it (not on the unit's word alone)."""
    follow_up = followups_policy.get_follow_up(actor, follow_up_id)
    side_of(actor, follow_up)  # Forbidden for who may not act on it at all
    if (refusal := followups_policy.why_not_verify(actor, follow_up)) is not None:
        raise refusal
    note = _text(note)
    errors: dict[str, list[str]] = {}
    _check_text(
        note,
        "note",
        errors,
        _("Describe how the effect was checked (at least %(n)d characters).", n=MIN_NOTE),
        MIN_NOTE,
    )
    if errors:
        raise InvalidInput(errors)
    previous = follow_up.status
    follow_up.status = FollowUpStatus.verified
    follow_up.verification_note = note
    follow_up.verified_at = now or utcnow()
    follow_up.verified_by_id = actor.id
    _changed(follow_up, actor, previous)
    follow_up_notices.record(follow_up_notices.VERIFIED, follow_up, actor=actor)  # to its owner (DESIGN.md 4.2)
    return follow_up


def reopen(follow_up_id: uuid.UUID, *, actor: User, note: str, now: datetime | None = None) -> FollowUp:
    """A reviewer sends a done report back: agreed again, with reminders for the schedule points still ahead."""
    follow_up = followups_policy.get_follow_up(actor, follow_up_id)
    side_of(actor, follow_up)  # Forbidden for who may not act on it at all
    if (refusal := followups_policy.why_not_reopen(actor, follow_up)) is not None:
        raise refusal
    now = now or utcnow()
    note = _text(note)
    errors: dict[str, list[str]] = {}
    _check_text(note, "note", errors, _("Write what remains to be done."))
    if errors:
        raise InvalidInput(errors)
    previous = follow_up.status
    follow_up.status = FollowUpStatus.agreed
    follow_up.reopen_note = note
    follow_up.reopened_at = now
    db.session.flush()
    reminders.plan_follow_up(follow_up, now=now)
    _changed(follow_up, actor, previous)
    follow_up_notices.record(follow_up_notices.REOPENED, follow_up, actor=actor)  # to its owner (DESIGN.md 4.2)
    return follow_up


def cancel(follow_up_id: uuid.UUID, *, actor: User, reason: str, now: datetime | None = None) -> FollowUp:
    """Either side may withdraw or decline a proposal; an agreed follow-up is cancelled by the supervising
    body. Always with a reason; no more reminders."""
    follow_up = followups_policy.get_follow_up(actor, follow_up_id)
    side = side_of(actor, follow_up)  # Forbidden for who may not act on it at all
    if (refusal := followups_policy.why_not_cancel(actor, follow_up)) is not None:
        raise refusal
    now = now or utcnow()
    reason = _text(reason)
    errors: dict[str, list[str]] = {}
    _check_text(reason, "reason", errors, _("Write why the follow-up is cancelled."))
    if errors:
        raise InvalidInput(errors)
    previous = follow_up.status
    follow_up.status = FollowUpStatus.cancelled
    follow_up.cancel_reason = reason
    follow_up.cancelled_at = now
    follow_up.cancelled_by_id = actor.id
    db.session.flush()
    reminders.drop_follow_up(follow_up.id, reason="the follow-up was cancelled", now=now)
    _changed(follow_up, actor, previous)
    if previous == FollowUpStatus.proposed:
        # Declined by the side it waited for: the proposer's side hears of it. Withdrawn by the side that proposed
        # it (or last changed it): the other side, told it waits for them, hears that it no longer does (4.2).
        kind = follow_up_notices.WITHDRAWN if follow_up.accepted_by(side) else follow_up_notices.DECLINED
        follow_up_notices.record(kind, follow_up, actor=actor, to=_other(side))
    return follow_up


def cancel_with_visit(visit: Visit, *, actor: User, now: datetime | None = None) -> list[FollowUp]:
    """A cancelled visit takes its open follow-ups along (DESIGN.md 4.1: a cancelled visit "leaves every list of
    work, calendar feed and reminder"): each proposed, agreed or reported one is cancelled with the visit's reason
    and gets no more reminders (4.4). Called by the visits domain's ``visit_status_changed``; no policy check of
    its own (cancelling the visit was the decision). Returns the follow-ups cancelled."""
    now = now or utcnow()
    open_ones = list(
        db.session.scalars(select(FollowUp).where(FollowUp.visit_id == visit.id, FollowUp.status.in_(OPEN_STATUSES)))
    )
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = _(
            "The visit %(case)s was cancelled: %(reason)s", case=visit.case_number, reason=visit.cancel_reason or ""
        )
    for follow_up in open_ones:
        previous = follow_up.status
        follow_up.status = FollowUpStatus.cancelled
        follow_up.cancel_reason = reason
        follow_up.cancelled_at = now
        follow_up.cancelled_by_id = actor.id
        db.session.flush()
        reminders.drop_follow_up(follow_up.id, reason="the visit was cancelled", now=now)
        _changed(follow_up, actor, previous)
    return open_ones


# ---- lists ----------------------------------------------------------------------------------------------

OPEN_STATUSES = (FollowUpStatus.proposed, FollowUpStatus.agreed, FollowUpStatus.done_reported)
STATUS_FILTERS = ("open", "overdue", "all", *FollowUpStatus.__members__)


# The list's columns, each sortable both ways (issue 16); ties broken by the follow-up's id, so a page is stable.
SORT_COLUMNS = ("title", "unit", "responsible", "due", "status")


@dataclass
class ListFilter:
    """What a follow-ups list shows (issue 16), all kept in the URL: ``status`` (one of ``STATUS_FILTERS``),
    ``sort`` (one of ``SORT_COLUMNS``, or ``-due`` for due date latest first) and ``descending``, the unit, the
    unit's kind, the unit's owner (huvudman: the municipality), part of the unit's name, the reviewer (on the
    visit's team or responsible for it), a due window ``due_from``..``due_to`` (both days included) and "mine"."""

    status: str = "open"  # one of STATUS_FILTERS
    sort: str = "due"  # one of SORT_COLUMNS ("-due": due date, latest first)
    unit_id: uuid.UUID | None = None
    # A reviewer's own: on the visit's team, responsible for it, or nobody's yet; a unit member's own: as owner.
    mine: bool = False
    descending: bool = False
    unit_kind: UnitKind | None = None
    unit_owner: str | None = None
    unit_name: str = ""  # part of the unit's name, any case
    reviewer_id: uuid.UUID | None = None
    due_from: date | None = None
    due_to: date | None = None

    def __post_init__(self) -> None:
        if self.sort == "-due":
            self.sort, self.descending = "due", True
        elif self.sort not in SORT_COLUMNS:
            self.sort = "due"


def reviewer_choices() -> list[tuple[str, str]]:
    """Active reviewers as (id, name) by name: the choices of the list's reviewer filter."""
    from app.auth.models import Role, UserRole

    people = db.session.execute(
        select(User.id, User.name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.reviewer, User.is_active_account.is_(True))
        .order_by(User.name_key)
    ).all()
    return [(str(i), n) for i, n in people]


def list_options() -> list[Any]:
    """What a list row shows, in a fixed number of queries however long the list."""
    return [
        selectinload(FollowUp.unit),
        selectinload(FollowUp.owner),
        selectinload(FollowUp.visit).selectinload(Visit.team).selectinload(TeamMember.user),
    ]


def _filtered(actor: User, filters: ListFilter, today: date) -> Select[FollowUp]:
    query = followups_policy.visible_follow_ups(actor)
    if filters.unit_id is not None:
        query = query.where(FollowUp.unit_id == filters.unit_id)
    if filters.unit_kind is not None or filters.unit_owner or filters.unit_name:
        units = select(Unit.id)
        if filters.unit_name:
            units = units.where(Unit.name_key.contains(fold(filters.unit_name), autoescape=True))
        if filters.unit_kind is not None:
            units = units.where(Unit.kind == filters.unit_kind)
        if filters.unit_owner:
            units = units.where(Unit.owner == filters.unit_owner)
        query = query.where(FollowUp.unit_id.in_(units))
    status = filters.status if filters.status in STATUS_FILTERS else "open"
    if status == "open":
        query = query.where(FollowUp.status.in_(OPEN_STATUSES))
    elif status == "overdue":
        query = query.where(FollowUp.status == FollowUpStatus.agreed, FollowUp.due_date < today)
    elif status != "all":
        query = query.where(FollowUp.status == FollowUpStatus(status))
    if filters.due_from is not None:
        query = query.where(FollowUp.due_date >= filters.due_from)
    if filters.due_to is not None:
        query = query.where(FollowUp.due_date <= filters.due_to)
    if filters.reviewer_id is not None and actor.is_staff:
        on_their_team = select(TeamMember.visit_id).where(TeamMember.user_id == filters.reviewer_id)
        query = query.where(or_(FollowUp.reviewer_id == filters.reviewer_id, FollowUp.visit_id.in_(on_their_team)))
    if filters.mine and actor.id is not None:
        if actor.is_staff:
            on_team = select(TeamMember.visit_id).where(TeamMember.user_id == actor.id)
            unassigned = (FollowUp.visit_id.is_(None)) & (FollowUp.reviewer_id.is_(None))  # any reviewer's to take
            query = query.where(or_(FollowUp.reviewer_id == actor.id, FollowUp.visit_id.in_(on_team), unassigned))
        else:
            query = query.where(FollowUp.owner_id == actor.id)
    return query


def _order(filters: ListFilter) -> list[Any]:
    columns: dict[str, Any] = {
        "title": FollowUp.title,
        "due": FollowUp.due_date,
        "status": FollowUp.status,
        "unit": select(Unit.name_key).where(Unit.id == FollowUp.unit_id).scalar_subquery(),
        "responsible": select(User.name_key).where(User.id == FollowUp.owner_id).scalar_subquery(),
    }
    order = [columns[filters.sort]] + ([FollowUp.due_date] if filters.sort != "due" else [])
    order += [FollowUp.created_at, FollowUp.id]
    return [c.desc() for c in order] if filters.descending else order


def list_rows(actor: User, filters: ListFilter, *, today: date | None = None) -> list[Any]:
    """The whole filtered list in its order as plain rows for a CSV download, in one statement however long:
    ``(title, case_number or None, unit name, unit kind, responsible's name, due_date, status)``."""
    query = (
        _filtered(actor, filters, today or local_today())
        .with_only_columns(
            FollowUp.title, Visit.case_number, Unit.name, Unit.kind, User.name, FollowUp.due_date, FollowUp.status
        )
        .join(Unit, Unit.id == FollowUp.unit_id)
        .join(User, User.id == FollowUp.owner_id)
        .outerjoin(Visit, Visit.id == FollowUp.visit_id)
    )
    return list(db.session.execute(query.order_by(*_order(filters))))


def list_query(actor: User, filters: ListFilter, *, today: date | None = None) -> Select[FollowUp]:
    """A list for the unit, the reviewer or the coordinator, filtered by ``filters`` and sorted by its column
    (the unit's and the responsible person's by their folded names) both ways, ties by due date and then the
    creation and the follow-up's id (unique, so pages never repeat or skip a row): ``list_keyset``'s query in
    its keys' order (each sort an index's order, issue 17)."""
    query, keys = list_keyset(actor, filters, today=today)
    return query.order_by(*(keyset_order(key) for key in keys))


def list_keyset(actor: User, filters: ListFilter, *, today: date | None = None) -> tuple[Select[FollowUp], list[Key]]:
    """The list of ``list_query`` for keyset pages (``app.core.pagination.keyset_page``, issue 17): the filtered
    query without an ORDER BY and its keys: the sorted column, then due date, creation and id, all one way (so a
    page is one range of an index: ``ix_follow_ups_due_order``, ``ix_follow_ups_title_order``,
    ``ix_follow_ups_status_order``; the unit's and the responsible person's folded names through a join, the
    follow-ups of each in the ``(unit_id | owner_id, due_date, created_at, id)`` index's order). The same order
    as ``list_query``."""
    query = _filtered(actor, filters, today or local_today()).options(*list_options())
    head: list[Any]
    if filters.sort == "unit":
        unit = aliased(Unit)
        query = query.join(unit, unit.id == FollowUp.unit_id)
        head = [unit.name_key]
    elif filters.sort == "responsible":
        owner = aliased(User)
        query = query.join(owner, owner.id == FollowUp.owner_id)
        head = [owner.name_key]
    elif filters.sort == "title":
        head = [FollowUp.title]
    elif filters.sort == "status":
        head = [FollowUp.status]
    else:
        head = []
    columns = [*head, FollowUp.due_date, FollowUp.created_at, FollowUp.id]
    return query, [Key(column, descending=filters.descending) for column in columns]


def list_count(actor: User, filters: ListFilter, *, today: date | None = None) -> int:
    """How many follow-ups the filtered list holds (the caption's total): one count, without the sort's joins."""
    query = _filtered(actor, filters, today or local_today())
    return int(db.session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True)) or 0)


def of_visit(actor: User, visit: Visit) -> list[FollowUp]:
    """A visit's follow-ups as the actor may see them, soonest due first."""
    return list(
        db.session.scalars(
            followups_policy.visible_follow_ups(actor)
            .where(FollowUp.visit_id == visit.id)
            .options(selectinload(FollowUp.owner), selectinload(FollowUp.finding))
            .order_by(FollowUp.due_date, FollowUp.created_at)
        )
    )


def agreed_of_visit(visit: Visit) -> list[FollowUp]:
    """What the report lists: the follow-ups both sides agreed (reported done or verified since included)."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.visit_id == visit.id, FollowUp.status.in_(AGREED_STATUSES))
            .options(selectinload(FollowUp.owner), selectinload(FollowUp.finding))
            .order_by(FollowUp.due_date, FollowUp.created_at)
        )
    )


def serious_deviations_without_agreement(visit: Visit) -> list[Finding]:
    """The visit's serious deviations that have no agreed follow-up yet (the gate before ``final``)."""
    covered = select(FollowUp.finding_id).where(
        FollowUp.visit_id == visit.id, FollowUp.finding_id.is_not(None), FollowUp.status.in_(AGREED_STATUSES)
    )
    return list(
        db.session.scalars(
            select(Finding)
            .where(
                Finding.visit_id == visit.id,
                Finding.kind == FindingKind.deviation,
                Finding.severity == Severity.serious,
                Finding.id.not_in(covered),
            )
            .order_by(Finding.created_at)
        )
    )


def open_of_visit_count(visit: Visit) -> int:
    """Follow-ups of the visit that are neither verified nor cancelled (the gate before ``closed``)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(FollowUp)
            .where(FollowUp.visit_id == visit.id, FollowUp.status.in_(OPEN_STATUSES))
        )
        or 0
    )


@dataclass
class Summary:
    """What a start page shows: what waits for this person's side, and what is overdue."""

    waiting_for_acceptance: int
    waiting_for_verification: int
    overdue: int


def _counts_mine(actor: User) -> bool:
    """Whether the start page counts only the actor's own follow-ups: a reviewer who is no coordinator."""
    return actor.is_reviewer and not actor.is_coordinator


def summary(actor: User, *, today: date | None = None) -> Summary:
    """The start page's follow-up counts for the actor (waiting for their side, reported done, overdue; DESIGN.md
    4.4): one read of the actor's kept counts (``app.followups.counts``, a few small rows whatever the number of
    follow-ups: issue 17), or, while they are not known, ``direct_summary``."""
    today = today or local_today()
    kept = follow_up_counts.stored(actor, today)
    if kept is None:
        return direct_summary(actor, today=today)
    return Summary(
        waiting_for_acceptance=kept.waiting_for_acceptance,
        waiting_for_verification=kept.waiting_for_verification if actor.is_staff else 0,
        overdue=kept.overdue,
    )


def direct_summary(actor: User, *, today: date | None = None) -> Summary:
    """``summary`` counted over the follow-ups themselves: one statement over the open follow-ups the actor
    counts (the status index), the three counts as conditional sums; O(those follow-ups)."""
    today = today or local_today()
    accepted_by_side = FollowUp.supervisor_accepted_at if actor.is_staff else FollowUp.unit_accepted_at

    def tally(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        _filtered(actor, ListFilter(status="all", mine=_counts_mine(actor)), today)
        .with_only_columns(
            tally((FollowUp.status == FollowUpStatus.proposed) & accepted_by_side.is_(None)),
            tally(FollowUp.status == FollowUpStatus.done_reported),
            tally((FollowUp.status == FollowUpStatus.agreed) & (FollowUp.due_date < today)),
        )
        .where(FollowUp.status.in_([FollowUpStatus.proposed, FollowUpStatus.done_reported, FollowUpStatus.agreed]))
    ).one()
    return Summary(
        waiting_for_acceptance=int(row[0]),
        waiting_for_verification=int(row[1]) if actor.is_staff else 0,
        overdue=int(row[2]),
    )


def known_total(actor: User, filters: ListFilter, *, today: date | None = None) -> int | None:
    """The length of the actor's list when it is exactly what their start page counts (all open follow-ups,
    "mine" as the start page has it, no other filter; any order): read from the kept counts, so the list's
    default page needs no count of its own (issue 17). None: count it."""
    default = ListFilter(status="open", mine=_counts_mine(actor), sort=filters.sort, descending=filters.descending)
    if filters != default:
        return None
    kept = follow_up_counts.stored(actor, today or local_today())
    return kept.open_total if kept is not None else None
