"""Login, sessions, set-password links, profile and API tokens; coordinators' pages for people."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    from app.auth import policy, views  # noqa: F401  (routes; imported late so models never import views)
    from app.auth.forms import ROLE_LABELS
    from app.core import timeline

    timeline.register_values("user_role", "role", ROLE_LABELS)
    timeline.register_values("user", "language", {"sv": "svenska", "en": "English"})

    app.register_blueprint(bp)
