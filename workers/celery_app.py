"""Entry point for workers and beat: ``celery -A workers.celery_app worker`` and exactly one ``beat``."""

import workers.auth
import workers.dialogue
import workers.followups
import workers.mail
import workers.trust  # noqa: F401  (task modules)
from app import create_app
from workers.schedule import BEAT_SCHEDULE

flask_app = create_app()
celery = flask_app.extensions["celery"]
celery.conf.beat_schedule = BEAT_SCHEDULE
