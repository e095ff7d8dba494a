"""When reminders go out (DESIGN.md 4.4): days are Europe/Stockholm days, and a day's reminders go out from
07:00 local time. Pure functions of the configuration and the dates, so the rules are easy to test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app

from app.core.models import local_zone


def send_moment(day: date) -> datetime:
    """``day`` at the sending hour, local time, as a UTC timestamp (summer and winter time both right)."""
    hour = int(current_app.config["REMINDER_SEND_HOUR"])
    return datetime.combine(day, time(hour), tzinfo=local_zone()).astimezone(UTC)


def follow_up_offsets() -> list[int]:
    """The configured days relative to the due date, earliest first ("-7,0,3")."""
    raw = str(current_app.config["FOLLOW_UP_REMINDER_DAYS"])
    return sorted({int(part) for part in raw.replace(";", ",").split(",") if part.strip()})


def follow_up_kind(offset: int) -> str:
    if offset < 0:
        return f"follow_up_before_{-offset}d"
    if offset == 0:
        return "follow_up_due"
    return f"follow_up_after_{offset}d"


def comment_deadline_kind(days_before: int) -> str:
    return f"comment_deadline_before_{days_before}d"


def copies_lead_reviewer(offset: int) -> bool:
    """The last reminder, when it comes after the due date, also goes to the lead reviewer."""
    offsets = follow_up_offsets()
    return bool(offsets) and offset == offsets[-1] and offset > 0


@dataclass(frozen=True)
class Point:
    """One scheduled reminder: its kind, which day it is about and when it may go."""

    kind: str
    offset_days: int
    due_date: date
    send_on: date
    send_after: datetime


def follow_up_points(due_date: date) -> list[Point]:
    points = []
    for offset in follow_up_offsets():
        day = due_date + timedelta(days=offset)
        points.append(Point(follow_up_kind(offset), offset, due_date, day, send_moment(day)))
    return points


def comment_deadline_point(deadline: date) -> Point:
    days = int(current_app.config["COMMENT_DEADLINE_REMINDER_DAYS"])
    day = deadline - timedelta(days=days)
    return Point(comment_deadline_kind(days), -days, deadline, day, send_moment(day))
