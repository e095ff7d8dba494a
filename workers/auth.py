"""Housekeeping of login sessions, set-password links and the forms kept after a session ran out."""

from __future__ import annotations

from celery import shared_task

from app.auth import services
from app.core import drafts
from app.extensions import db


@shared_task(name="auth.purge_sessions")
def purge_sessions() -> int:
    removed = services.purge_stale_sessions()
    db.session.commit()
    return removed


@shared_task(name="auth.purge_form_drafts")
def purge_form_drafts() -> int:
    """Forget the forms kept for people whose day is over (DESIGN.md 4.8)."""
    removed = drafts.purge_expired_form_drafts()
    db.session.commit()
    return removed
