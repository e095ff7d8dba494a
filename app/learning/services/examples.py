"""Good examples (DESIGN.md 4.5): proposing strengths as good examples, the unit's consent and
withdrawal, the searchable library and writing to an example's unit. Every function takes the acting person
explicitly, flushes and never commits (the caller's ``run_service`` or the API does), and raises ``DomainError``
subclasses for a person to read."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.auth.models import User
from app.core import fulltext, mail
from app.core.access import Actor
from app.core.errors import InvalidInput, NotFound
from app.core.models import utcnow
from app.core.pagination import MAX_PER_PAGE, Page
from app.core.urls import external_url
from app.extensions import db
from app.learning import policy
from app.learning.models import ExampleStatus, GoodExample
from app.units.models import Membership, Unit, UnitKind
from app.visits import policy as visits_policy
from app.visits.models import Finding, ReviewArea, Visit

FULLTEXT_KIND = "good_example"
MAX_CONTACT_LENGTH = 5000


def _searchable_text(example: GoodExample) -> str:
    """What the library's search reads: the area's title and questions, the strength's text, and the unit's name
    only when the unit chose to be named (so a search never reveals an anonymous unit)."""
    finding = example.finding
    parts = []
    if finding.review_area is not None:
        parts += [finding.review_area.title, finding.review_area.questions]
    parts.append(finding.text)
    if example.named:
        parts.append(example.unit.name)
    return "\n".join(parts)


def examples_of_visit(visit_id: uuid.UUID) -> dict[uuid.UUID, GoodExample]:
    """The visit's good examples by finding id (one query; for the visit's page)."""
    rows = db.session.scalars(select(GoodExample).where(GoodExample.visit_id == visit_id))
    return {e.finding_id: e for e in rows}


def propose(finding_id: uuid.UUID, *, actor: Actor) -> GoodExample:
    """Propose a strength as a good example (DESIGN.md 4.5). The team or a coordinator, from the draft on.

    Returns the example (status proposed). A declined or withdrawn example of the finding is proposed again.
    Raises NotFound (finding not visible), Forbidden (not the team), DomainError (not a strength, too early,
    already proposed)."""
    finding = visits_policy.get_finding(actor, finding_id)
    existing = db.session.scalar(select(GoodExample).where(GoodExample.finding_id == finding.id))
    if (refusal := policy.why_not_propose(actor, finding, existing)) is not None:
        raise refusal
    visit = finding.visit
    year = (visit.visit_date or utcnow().date()).year
    example = existing or GoodExample(finding=finding, unit_id=visit.unit_id, visit_id=visit.id)
    example.status = ExampleStatus.proposed
    example.year = year
    example.proposed_by_id = actor.id
    example.proposed_at = utcnow()
    example.answered_by_id = None
    example.answered_at = None
    example.withdrawn_at = None
    example.named = False
    example.photo_ids = []
    db.session.add(example)
    db.session.flush()
    return example


def answer(
    example_id: uuid.UUID,
    *,
    actor: Actor,
    consent: bool,
    named: bool = False,
    photo_ids: Collection[uuid.UUID] = (),
) -> GoodExample:
    """A unit member consents to the proposal (it enters the library at once, shown with the unit's name when
    ``named`` else by its kind, with the chosen ``photo_ids`` of the finding's photos) or declines it.

    Raises NotFound, Forbidden (not the unit), DomainError (already answered), InvalidInput (``photo_ids``: a
    photo that is not the finding's)."""
    example = policy.get_example(actor, example_id)
    if (refusal := policy.why_not_answer(actor, example)) is not None:
        raise refusal
    example.answered_by_id = actor.id
    example.answered_at = utcnow()
    if not consent:
        example.status = ExampleStatus.declined
        db.session.flush()
        return example
    photos = {e.id for e in example.finding.evidence if e.kind.value == "photo"}
    chosen = set(photo_ids)
    if chosen - photos:
        raise InvalidInput({"photos": [_("Choose only among the finding's photos.")]})
    example.status = ExampleStatus.consented
    example.named = named
    example.photo_ids = [str(e.id) for e in example.finding.evidence if e.id in chosen]
    db.session.flush()
    fulltext.index(FULLTEXT_KIND, example.id, _searchable_text(example))
    return example


def withdraw(example_id: uuid.UUID, *, actor: Actor) -> GoodExample:
    """The unit withdraws its consent: the example leaves the library, the API and the search at once; the row
    and its audit trail stay (status withdrawn). Raises NotFound, Forbidden, DomainError (not in the library)."""
    example = policy.get_example(actor, example_id)
    if (refusal := policy.why_not_withdraw(actor, example)) is not None:
        raise refusal
    example.status = ExampleStatus.withdrawn
    example.withdrawn_at = utcnow()
    fulltext.remove(FULLTEXT_KIND, example.id)
    db.session.flush()
    return example


@dataclass(frozen=True)
class LibraryFilters:
    """The library's choices: review area titles and years that occur among consented examples."""

    areas: list[str]
    years: list[int]
    unit_kinds: list[str]


def library_filters() -> LibraryFilters:
    """What the library's filters offer (two queries, however many examples)."""
    consented = GoodExample.status == ExampleStatus.consented
    areas = db.session.scalars(
        select(ReviewArea.title)
        .distinct()
        .join(Finding, Finding.review_area_id == ReviewArea.id)
        .join(GoodExample, GoodExample.finding_id == Finding.id)
        .where(consented)
        .order_by(ReviewArea.title)
    ).all()
    years = db.session.scalars(select(GoodExample.year).distinct().where(consented).order_by(GoodExample.year.desc()))
    return LibraryFilters(list(areas), list(years), [k.value for k in UnitKind])


def _library_query(q: str, area: str | None, unit_kind: str | None, year: int | None) -> Select[Any]:
    query = (
        select(GoodExample)
        .join(Finding, Finding.id == GoodExample.finding_id)
        .join(Unit, Unit.id == GoodExample.unit_id)
        .outerjoin(ReviewArea, ReviewArea.id == Finding.review_area_id)
        .where(GoodExample.status == ExampleStatus.consented)
        .options(
            selectinload(GoodExample.finding).selectinload(Finding.evidence),
            selectinload(GoodExample.finding).selectinload(Finding.review_area),
            selectinload(GoodExample.unit),
        )
    )
    if area:
        query = query.where(ReviewArea.title == area)
    if unit_kind:
        query = query.where(Unit.kind == UnitKind(unit_kind))
    if year:
        query = query.where(GoodExample.year == year)
    hits = fulltext.matches(FULLTEXT_KIND, q)
    if hits is None:
        return query.order_by(GoodExample.answered_at.desc(), GoodExample.id)
    found = hits.subquery()
    return query.join(found, found.c.doc_id == GoodExample.id).order_by(
        found.c.rank.desc(), GoodExample.answered_at.desc(), GoodExample.id
    )


def library(
    actor: Actor,
    *,
    q: str = "",
    area: str | None = None,
    unit_kind: str | None = None,
    year: int | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """The library (DESIGN.md 4.5): consented examples only, open to everyone logged in; ``q`` searched in Swedish
    (app.core.fulltext, best match first), else the newest consent first; filtered by review area title, unit kind
    and year; a ``Page`` of ``GoodExample``. Raises InvalidInput naming the field for an unknown ``unit_kind``."""
    if unit_kind and unit_kind not in UnitKind.__members__:
        raise InvalidInput({"unit_kind": [_("Choose a kind of unit from the list.")]})
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    query = _library_query(q or "", area or None, unit_kind or None, year)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, page=page, per_page=per_page, total=total)


def proposals_awaiting(unit_ids: Sequence[uuid.UUID]) -> list[GoodExample]:
    """Proposals the units have not answered yet and may see (their visit is out for comment or later), oldest
    first; for the unit's portal (one query: the proposals with their visits and findings). The unit is read
    lazily: from the session, where the portal has loaded the person's units (issue 17)."""
    if not unit_ids:
        return []
    return list(
        db.session.scalars(
            select(GoodExample)
            .join(Visit, Visit.id == GoodExample.visit_id)
            .where(
                GoodExample.unit_id.in_(list(unit_ids)),
                GoodExample.status == ExampleStatus.proposed,
                Visit.status.in_(visits_policy.OPEN_TO_UNIT),
            )
            .options(joinedload(GoodExample.finding), contains_eager(GoodExample.visit))
            .order_by(GoodExample.proposed_at)
        )
    )


def unit_examples(actor: Actor, unit_id: uuid.UUID) -> list[GoodExample]:
    """A unit's own good examples in every status (for its members and the supervising side), newest first."""
    rows = db.session.scalars(
        select(GoodExample)
        .where(GoodExample.unit_id == unit_id)
        .options(selectinload(GoodExample.finding), selectinload(GoodExample.visit))
        .order_by(GoodExample.proposed_at.desc())
    )
    return [e for e in rows if policy.can_see_example(actor, e)]


def contact_unit(example_id: uuid.UUID, *, actor: Actor, text: str) -> int:
    """Write to the members of a consented example's unit through the product (DESIGN.md 4.5): each active member
    gets an e-mail through the outbox with the writer's name and address so they can answer; the unit's own
    addresses are never shown to the writer. Returns how many e-mails were queued.

    Raises NotFound, DomainError (not in the library, own unit), InvalidInput (``text`` empty or too long)."""
    example = policy.get_example(actor, example_id)
    if (refusal := policy.why_not_contact(actor, example)) is not None:
        raise refusal
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"text": [_("Write a message.")]})
    if len(text) > MAX_CONTACT_LENGTH:
        raise InvalidInput({"text": [_("At most %(n)d characters.", n=MAX_CONTACT_LENGTH)]})
    sender = db.session.get(User, actor.id) if actor.id else None
    if sender is None:
        raise NotFound(_("The good example does not exist or you may not see it."))
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == example.unit_id, User.is_active_account.is_(True))
        .order_by(User.id)
    ).all()
    for person in members:
        mail.queue(
            mail.render_email(
                "learning/contact",
                to=person.email,
                language=person.language,
                person=person,
                sender=sender,
                example=example,
                text=text,
                link=external_url("learning.example", example_id=example.id),
            ),
            source=f"learning.contact:{example.id}",
        )
    return len(members)
