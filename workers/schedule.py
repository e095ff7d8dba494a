"""The whole beat schedule. Run exactly one beat (``celery -A workers.celery_app beat``)."""

from __future__ import annotations

from typing import Any

from config import config_from_env

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "auth.purge-ended-sessions": {"task": "auth.purge_sessions", "schedule": 3600.0},
    "auth.purge-form-drafts": {"task": "auth.purge_form_drafts", "schedule": 3600.0},
    # follow-ups and reminders: the outbox sweep; a sweep left waiting behind a stopped worker is dropped
    # (the next one does its work), so a backlog of sweeps never piles up.
    "followups.sweep-reminders": {
        "task": "followups.sweep_reminders",
        "schedule": config_from_env().REMINDER_SWEEP_SECONDS,
        "options": {"expires": max(1.0, config_from_env().REMINDER_SWEEP_SECONDS - 5)},
    },
    # the e-mail outbox: what a lost task left behind is sent again (DESIGN.md 4.9)
    "mail.sweep": {
        "task": "mail.sweep",
        "schedule": config_from_env().MAIL_SWEEP_SECONDS,
        "options": {"expires": max(1.0, config_from_env().MAIL_SWEEP_SECONDS - 5)},
    },
    # conditional trust
    # Hourly: overdue follow-ups cross their boundary as days pass; readings and findings are evaluated at once.
    "trust.sweep": {"task": "trust.sweep", "schedule": 3600.0},
    # dialogue
    "dialogue.flush-notifications": {"task": "dialogue.flush_notifications", "schedule": 60.0},
}
