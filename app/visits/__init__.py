"""Review visits: templates, planning, findings with evidence, kommunicering and the report (DESIGN.md 4.1)."""

from flask import Blueprint, Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

bp = Blueprint("visits", __name__)


def init_app(app: Flask) -> None:
    from app.visits import evidence_views, labels, models, notices, policy, report_views, timeline, views  # noqa: F401  (routes; imported late so models never import views)

    labels.register(app)
    timeline.register()
    notices.register()
    policy.register_template_globals(app)
    if not event.contains(Session, "before_flush", models.refuse_changes_to_documents):
        event.listen(Session, "before_flush", models.refuse_changes_to_documents)
    app.register_blueprint(bp)
    from app.visits.services import connect, kept_offline

    connect()

    app.jinja_env.globals.update(kept_offline=kept_offline)  # the start page marks what the tablet keeps
