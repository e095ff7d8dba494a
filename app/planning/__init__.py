"""Planning (DESIGN.md 4.7): the visit interval that trust earns, the next visit due and the planning page."""

from flask import Blueprint, Flask

bp = Blueprint("planning", __name__)


def init_app(app: Flask) -> None:
    from app.planning import policy, services, views  # noqa: F401  (routes; imported late so models never import views)

    services.listen()  # stored plans follow every change the interval rule reads

    app.jinja_env.globals.update(can_see_planning=policy.can_see_planning)
    app.register_blueprint(bp)
