"""Housekeeping of login sessions and set-password links."""

from __future__ import annotations

from celery import shared_task

from app.auth import services
from app.extensions import db


@shared_task(name="auth.purge_sessions")
def purge_sessions() -> int:
    removed = services.purge_stale_sessions()
    db.session.commit()
    return removed
