"""Entry point for workers and beat: ``celery -A workers.celery_app worker`` and exactly one ``beat``."""

import workers.auth
import workers.mail  # noqa: F401
from app import create_app
from workers.schedule import BEAT_SCHEDULE

flask_app = create_app()
celery = flask_app.extensions["celery"]
celery.conf.beat_schedule = BEAT_SCHEDULE
