"""Personal calendar feeds: an ICS document (RFC 5545) of a person's follow-up due dates and planned visits,
behind a secret, revocable link that calendar programs can subscribe to without logging in.

The secret is an HMAC of the feed row's id under SECRET_KEY: the database alone does not reveal it, the
profile page can show the link again, and revoking (or replacing) the link ends it for good. Changing
SECRET_KEY ends every link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.models import utcnow
from app.core.urls import external_url
from app.extensions import db
from app.followups import services
from app.followups.models import CalendarFeed, FollowUp, FollowUpStatus
from app.visits import policy as visits_policy
from app.visits.models import TeamMember, Visit, VisitStatus

TOKEN_ID_LENGTH = 32  # the feed id's hex
MAC_BYTES = 24
# How much of the past a feed still shows.
PAST_DAYS = 90


def _mac(feed_id: uuid.UUID) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"calendar-feed:" + feed_id.bytes, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_for(feed: CalendarFeed) -> str:
    return feed.id.hex + _mac(feed.id)


def feed_for_token(token: str | None) -> CalendarFeed | None:
    """The live feed a link's token names, or None (unknown, forged, revoked, or its person deactivated)."""
    token = (token or "").strip()
    if len(token) <= TOKEN_ID_LENGTH or len(token) > 100:
        return None
    try:
        feed_id = uuid.UUID(hex=token[:TOKEN_ID_LENGTH])
    except ValueError:
        return None
    if not hmac.compare_digest(token[TOKEN_ID_LENGTH:], _mac(feed_id)):
        return None
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.revoked_at is not None or not feed.user.is_active_account:
        return None
    return feed


def active_feed(person: User) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == person.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc())
    )


def revoke_feed(*, actor: User) -> int:
    """End the actor's calendar link; calendars subscribed to it get nothing more."""
    now = utcnow()
    feeds = db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == actor.id, CalendarFeed.revoked_at.is_(None))
    ).all()
    for feed in feeds:
        feed.revoked_at = now
    db.session.flush()
    return len(feeds)


def create_feed(*, actor: User) -> CalendarFeed:
    """A new calendar link for the actor; an earlier one stops working."""
    revoke_feed(actor=actor)
    feed = CalendarFeed(id=uuid.uuid4(), user_id=actor.id)
    db.session.add(feed)
    db.session.flush()
    return feed


def touch(feed: CalendarFeed) -> None:
    """Remember when the link was last used (at most every few minutes: calendars poll often)."""
    now = utcnow()
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(minutes=5):
        feed.last_used_at = now


# ---- the ICS document ------------------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """TEXT values (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped; other control characters
    (U+000B pasted from Word, ESC, DEL, C1), which RFC 5545 forbids in TEXT, become spaces."""
    value = "".join(" " if unicodedata.category(c) == "Cc" and c not in "\t\r\n" else c for c in value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Lines of at most 75 octets (RFC 5545 3.1), continued after CRLF and a space, never inside a character."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode()) > limit:
            parts.append(current)
            current = char
            limit = 74  # continuation lines start with the space
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _domain() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "tillsyn.local"


def _event(uid: str, day: date, summary: str, url: str, stamp: datetime, modified: datetime | None) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(stamp)}",
        f"DTSTART;VALUE=DATE:{_day(day)}",
        f"DTEND;VALUE=DATE:{_day(day + timedelta(days=1))}",
        f"SUMMARY:{escape_text(summary)}",
        f"URL:{url}",
        f"DESCRIPTION:{escape_text(url)}",
        "TRANSP:TRANSPARENT",
    ]
    if modified is not None:
        lines.append(f"LAST-MODIFIED:{_stamp(modified)}")
    lines.append("END:VEVENT")
    return lines


def _follow_ups(person: User, since: date) -> Iterable[FollowUp]:
    statuses = [FollowUpStatus.agreed]
    if person.is_staff:
        statuses.append(FollowUpStatus.done_reported)  # the reviewer still has to verify it
    query = services.list_query(person, services.ListFilter(status="all", mine=True))
    return db.session.scalars(query.where(FollowUp.status.in_(statuses), FollowUp.due_date >= since))


def _visits(person: User, since: date) -> Iterable[Visit]:
    query = visits_policy.visible_visits(person).where(
        Visit.status.in_([VisitStatus.planned, VisitStatus.in_progress]),
        Visit.visit_date.is_not(None),
        Visit.visit_date >= since,
    )
    if person.is_staff:
        query = query.where(Visit.team.any(TeamMember.user_id == person.id))
    return db.session.scalars(query.options(selectinload(Visit.unit)).order_by(Visit.visit_date))


def render_ics(person: User, *, now: datetime | None = None) -> str:
    """The person's calendar in their language: titles, dates and links only."""
    now = now or utcnow()
    domain = _domain()
    since = now.date() - timedelta(days=PAST_DAYS)
    language = person.language if person.language in current_app.config["LANGUAGES"] else None
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = _("Lärande tillsyn – %(name)s", name=person.name)
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Lärande tillsyn//Follow-ups and visits//SV",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{escape_text(name)}",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
        ]
        for follow_up in _follow_ups(person, since):
            summary = _("Follow-up due: %(title)s", title=follow_up.title)
            if person.is_staff:
                summary = f"{summary} ({follow_up.unit.name})"
            lines += _event(
                f"follow-up-{follow_up.id}@{domain}",
                follow_up.due_date,
                summary,
                external_url("followups.show", follow_up_id=follow_up.id),
                now,
                follow_up.updated_at,
            )
        for visit in _visits(person, since):
            assert visit.visit_date is not None
            lines += _event(
                f"visit-{visit.id}@{domain}",
                visit.visit_date,
                _("Review visit %(case)s – %(unit)s", case=visit.case_number, unit=visit.unit.name),
                external_url("visits.show", visit_id=visit.id),
                now,
                visit.updated_at,
            )
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
