"""The Flask extensions, created unbound here and bound in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from celery import Celery, Task
from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# One naming convention so that every constraint has a stable name Alembic can drop on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:  # db.Model is made at run time; type checkers see the declarative base it derives from
    Model = Base
else:
    Model = db.Model
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def celery_init_app(app: Flask) -> Celery:
    """Bind a Celery app whose tasks run inside the Flask app context (Flask's examples/celery)."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["REDIS_URL"] or app.config["CELERY_EMBEDDED_BROKER"]
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_default_queue=app.config["CELERY_QUEUE"],
        timezone="Europe/Stockholm",
        enable_utc=True,
    )
    if app.config["REDIS_URL"]:
        # Tasks are never scheduled further ahead than this (issue: reminders); unacked ones come back after it.
        celery_app.conf.broker_transport_options = {"visibility_timeout": 3600}
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
