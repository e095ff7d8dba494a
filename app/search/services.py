"""Search (issue 16): a case number goes straight to its visit; otherwise ranked hits across units, visits,
findings, follow-ups and messages.

Visibility is never decided here: every kind starts from its domain's getter (``units.policy.visible_units``,
``visits.policy.visible_visits`` with ``visit_content_condition``, ``followups.policy.visible_follow_ups``,
``dialogue.policy.message_visibility``), so a unit member finds nothing of another unit and no internal note,
and a peer reviewer never finds their own unit's draft. Words match in any Swedish word form (app.core.fulltext).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.core import fulltext
from app.dialogue import policy as dialogue_policy
from app.dialogue.models import Message, Thread
from app.extensions import db
from app.followups import policy as followups_policy
from app.followups.models import FollowUp
from app.units import policy as units_policy
from app.units.models import Unit
from app.visits import policy as visits_policy
from app.visits.models import Finding, Visit

PER_KIND = 20
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Hit:
    """One search result: ``kind`` (unit, visit, finding, follow_up, message), the object's id, a title, an
    excerpt of its text, the ids a link needs (``visit_id``/``unit_id``) and its rank (higher is better)."""

    kind: str
    id: uuid.UUID
    title: str
    excerpt: str
    rank: float
    unit_name: str = ""
    visit_id: uuid.UUID | None = None
    finding_id: uuid.UUID | None = None


@dataclass(frozen=True)
class SearchResult:
    """Either ``visit`` (the case number matched a visit the searcher may see) or ranked ``hits``."""

    query: str
    visit: Visit | None
    hits: list[Hit]


def case_number_pattern() -> re.Pattern[str]:
    """A case number like ``TS-2026-0042`` (the configured prefix, any case, spaces around the dashes allowed)."""
    prefix = re.escape(current_app.config["CASE_NUMBER_PREFIX"])
    return re.compile(rf"^\s*({prefix})\s*-\s*(\d{{4}})\s*-\s*(\d{{1,6}})\s*$", re.IGNORECASE)


def _excerpt(value: str) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= EXCERPT_CHARS else value[: EXCERPT_CHARS - 1].rstrip() + "…"


def find_case(actor: Any, query: str) -> Visit | None:
    """The visit whose case number is ``query``, if the actor may see it; None otherwise (or not a case number)."""
    found = case_number_pattern().match(query or "")
    if not found:
        return None
    prefix, year, number = found.groups()
    candidates = {f"{prefix.upper()}-{year}-{number}", f"{prefix.upper()}-{year}-{int(number):04d}"}
    return db.session.scalars(
        visits_policy.visible_visits(actor).where(Visit.case_number.in_(candidates)).limit(1)
    ).first()


def search(actor: Any, query: str, *, per_kind: int = PER_KIND) -> SearchResult:
    """Search for ``actor`` (DESIGN.md 4.6 visibility): a case number gives its visit; otherwise at most
    ``per_kind`` hits of each kind containing every word (prefix, Swedish word forms), best first. A query
    without words gives no hits (never an error). Five statements at most, whatever the data."""
    visit = find_case(actor, query)
    terms = fulltext.words(query)
    if visit is not None or not terms:
        return SearchResult(query=query, visit=visit, hits=[])
    hits: list[Hit] = []

    condition, rank, fts = fulltext.match(fulltext.UNITS, terms)
    units = fulltext.join_fts(units_policy.visible_units(actor), fulltext.UNITS, fts, Unit)
    for unit, score in db.session.execute(
        units.add_columns(rank).where(condition).order_by(rank.desc()).limit(per_kind)
    ).all():
        hits.append(Hit("unit", unit.id, unit.name, "", float(score or 0), unit_name=unit.name))

    condition, rank, fts = fulltext.match(fulltext.VISITS, terms)
    visits = fulltext.join_fts(visits_policy.visible_visits(actor), fulltext.VISITS, fts, Visit)
    for visit_row, name, score in db.session.execute(
        visits.join(Unit, Unit.id == Visit.unit_id)
        .add_columns(Unit.name, rank)
        .where(condition, visits_policy.visit_content_condition(actor))
        .order_by(rank.desc())
        .limit(per_kind)
    ).all():
        hits.append(Hit("visit", visit_row.id, visit_row.case_number, _excerpt(visit_row.aim), float(score or 0), name))

    condition, rank, fts = fulltext.match(fulltext.FINDINGS, terms)
    findings = fulltext.join_fts(
        select(Finding, Visit.case_number, Visit.id, Unit.name).join(Visit, Visit.id == Finding.visit_id),
        fulltext.FINDINGS,
        fts,
        Finding,
    )
    for finding, case_number, visit_id, name, score in db.session.execute(
        findings.join(Unit, Unit.id == Visit.unit_id)
        .add_columns(rank)
        .where(
            condition,
            Visit.id.in_(visits_policy.visible_visits(actor).with_only_columns(Visit.id)),
            visits_policy.visit_content_condition(actor),
        )
        .order_by(rank.desc())
        .limit(per_kind)
    ).all():
        hits.append(Hit("finding", finding.id, case_number, _excerpt(finding.text), float(score or 0), name, visit_id))

    condition, rank, fts = fulltext.match(fulltext.FOLLOW_UPS, terms)
    follow_ups = fulltext.join_fts(followups_policy.visible_follow_ups(actor), fulltext.FOLLOW_UPS, fts, FollowUp)
    for follow_up, name, score in db.session.execute(
        follow_ups.join(Unit, Unit.id == FollowUp.unit_id)
        .add_columns(Unit.name, rank)
        .where(condition)
        .order_by(rank.desc())
        .limit(per_kind)
    ).all():
        hits.append(
            Hit("follow_up", follow_up.id, follow_up.title, _excerpt(follow_up.description), float(score or 0), name)
        )

    condition, rank, fts = fulltext.match(fulltext.MESSAGES, terms)
    messages = fulltext.join_fts(
        select(Message, Thread.visit_id, Thread.finding_id, Visit.case_number, Unit.name)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id)
        .join(Unit, Unit.id == Thread.unit_id),
        fulltext.MESSAGES,
        fts,
        Message,
    )
    for message, visit_id, finding_id, case_number, name, score in db.session.execute(
        messages.add_columns(rank)
        .where(condition, dialogue_policy.message_visibility(actor))
        .order_by(rank.desc())
        .limit(per_kind)
    ).all():
        hits.append(
            Hit(
                "message",
                message.id,
                case_number,
                _excerpt(message.text),
                float(score or 0),
                name,
                visit_id,
                finding_id,
            )
        )

    hits.sort(key=lambda h: -h.rank)
    return SearchResult(query=query, visit=None, hits=hits)
