"""Reviewed units: list, page with history, coordinators' create and edit."""

from flask import Blueprint, Flask

bp = Blueprint("units", __name__)


def init_app(app: Flask) -> None:
    from app.units import policy, views  # noqa: F401  (routes; imported late so models never import views)

    _register_timeline()
    app.jinja_env.globals.update(can_manage_units=policy.can_manage_units)
    app.register_blueprint(bp)


def _register_timeline() -> None:
    """This domain's object types in the kernel's timeline registry: units by name, memberships in sentences."""
    import uuid

    from flask_babel import gettext as _
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import select

    from app.core import timeline
    from app.extensions import db
    from app.units.forms import KIND_LABELS, TRUST_LABELS
    from app.units.models import Unit

    def unit_names(ids):  # type: ignore[no-untyped-def]
        found = db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_([uuid.UUID(i) for i in ids])))
        return {str(i): name for i, name in found}

    timeline.register_reference("unit", unit_names)

    fields = {
        "name": _l("Name"),
        "kind": _l("Kind"),
        "contact_email": _l("Contact e-mail"),
        "trust_level": _l("Trust level"),
        "unit_id": _l("Unit"),
        "user_id": _l("Person"),
        "address": _l("Address"),
        "owner": _l("Owner"),
        "municipality": _l("Municipality"),
        "organisation_number": _l("Organisation number"),
    }

    def unit(event, who):  # type: ignore[no-untyped-def]
        name = timeline.object_name(event) or _("a unit")
        if event.action == "create":
            return _("%(who)s added the unit %(name)s.", who=who, name=name)
        if event.action == "delete":
            return _("%(who)s removed the unit %(name)s.", who=who, name=name)
        level = timeline.change(event, "trust_level")
        if level:
            return _(
                "%(who)s changed the trust level of %(name)s to %(level)s.",
                who=who,
                name=name,
                level=timeline.change_value(event, "trust_level", level[1]),
            )
        return _("%(who)s changed the details of the unit %(name)s.", who=who, name=name)

    def membership(event, who):  # type: ignore[no-untyped-def]
        person = timeline.reference_name("user", timeline.value_of(event, "user_id")) or timeline.parent_name(event)
        place = timeline.reference_name("unit", timeline.value_of(event, "unit_id"))
        person, place = person or _("a person"), place or _("a unit")
        if event.action == "create":
            return _("%(who)s made %(person)s a member of %(unit)s.", who=who, person=person, unit=place)
        if event.action == "delete":
            return _("%(who)s removed %(person)s from %(unit)s.", who=who, person=person, unit=place)
        return None

    timeline.register_object_type(
        "unit",
        _l("the unit"),
        fields=fields,
        values={"kind": KIND_LABELS, "trust_level": TRUST_LABELS},
        sentence=unit,
    )
    timeline.register_object_type(
        "membership",
        _l("a unit membership"),
        fields=fields,
        refs={"unit_id": "unit", "user_id": "user"},
        sentence=membership,
    )
