"""The whole beat schedule. Run exactly one beat (``celery -A workers.celery_app beat``)."""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "auth.purge-ended-sessions": {"task": "auth.purge_sessions", "schedule": 3600.0},
    # follow-ups and reminders
    # conditional trust
    # Hourly: overdue follow-ups cross their boundary as days pass; readings and findings are evaluated at once.
    "trust.sweep": {"task": "trust.sweep", "schedule": 3600.0},
    # dialogue
    "dialogue.flush-notifications": {"task": "dialogue.flush_notifications", "schedule": 60.0},
}
