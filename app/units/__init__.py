"""Reviewed units: list, page with history, coordinators' create and edit."""

from flask import Blueprint, Flask

bp = Blueprint("units", __name__)


def init_app(app: Flask) -> None:
    from app.units import policy, views  # noqa: F401  (routes; imported late so models never import views)

    _register_timeline()
    app.jinja_env.globals.update(can_manage_units=policy.can_manage_units)
    app.register_blueprint(bp)


def _register_timeline() -> None:
    """This domain's object types in the kernel's timeline registry."""
    from flask_babel import lazy_gettext as _l

    from app.core import timeline
    from app.units.forms import KIND_LABELS, TRUST_LABELS

    fields = {
        "name": _l("Name"),
        "kind": _l("Kind"),
        "contact_email": _l("Contact e-mail"),
        "trust_level": _l("Trust level"),
        "unit_id": _l("Unit"),
        "user_id": _l("Person"),
    }
    timeline.register_object_type(
        "unit", _l("the unit"), fields=fields, values={"kind": KIND_LABELS, "trust_level": TRUST_LABELS}
    )
    timeline.register_object_type("membership", _l("a unit membership"), fields=fields)
