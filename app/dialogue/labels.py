"""The Swedish/English words for the dialogue domain's codes (DESIGN.md 3)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import timeline
from app.core.models import AuditEvent

SIDE = {"supervisor": _l("Review team"), "unit": _l("The unit")}


FIELDS = {
    "text": _l("Text"),
    "mode": _l("E-mails about new messages"),
    "author_side": _l("Written for"),
    "is_internal": _l("Internal note"),
    "user_id": _l("Person"),
}


def register_timeline() -> None:
    """The dialogue's object types in the kernel's timeline registry (called by app.dialogue.init_app)."""

    def message(event: AuditEvent, who: str) -> str | None:
        return _("%(who)s wrote a message.", who=who) if event.action == "create" else None

    def internal_note(event: AuditEvent, who: str) -> str | None:
        if event.action != "create":
            return None
        return _("%(who)s wrote an internal note (not shown to the unit).", who=who)

    def setting(event: AuditEvent, who: str) -> str | None:
        return _("%(who)s chose which e-mails to get about new messages.", who=who)

    timeline.register_object_type("message", _l("a message"), fields=FIELDS, sentence=message)
    timeline.register_object_type("internal_note", _l("an internal note"), fields=FIELDS, sentence=internal_note)
    timeline.register_object_type(
        "notification_setting", _l("the choice of e-mails about messages"), fields=FIELDS, sentence=setting
    )
