"""The Swedish/English words for the dialogue domain's codes (DESIGN.md 3)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import timeline
from app.core.models import AuditEvent

SIDE = {"supervisor": _l("Review team"), "unit": _l("The unit")}
# The side a message is written for, inside a sentence.
SIDE_OBJECT = {"supervisor": _l("on behalf of the review team"), "unit": _l("on behalf of the unit")}


MODE = {
    "immediate": _l("Right away (at most one e-mail at a time)"),
    "daily": _l("Once a day"),
    "off": _l("No e-mails"),
}

FIELDS = {
    "text": _l("Text"),
    "author_id": _l("Written by"),
    "mode": _l("E-mails about new messages"),
    "author_side": _l("Written for"),
    "is_internal": _l("Internal note"),
    "user_id": _l("Person"),
}


def register_timeline() -> None:
    """The dialogue's object types in the kernel's timeline registry (called by app.dialogue.init_app)."""

    def message(event: AuditEvent, who: str) -> str | None:
        if event.action == "create":
            side = timeline.value_of(event, "author_side")
            if side in SIDE:
                return _("%(who)s wrote a message %(side)s.", who=who, side=str(SIDE_OBJECT[side]))
            return _("%(who)s wrote a message.", who=who)
        if event.action == "delete":
            return _("%(who)s removed a message.", who=who)
        return _("%(who)s changed a message.", who=who)

    def internal_note(event: AuditEvent, who: str) -> str | None:
        if event.action == "create":
            return _("%(who)s wrote an internal note (not shown to the unit).", who=who)
        if event.action == "delete":
            return _("%(who)s removed an internal note.", who=who)
        return _("%(who)s changed an internal note.", who=who)

    def setting(event: AuditEvent, who: str) -> str | None:
        mode = timeline.value_of(event, "mode")
        if mode in MODE:
            return _(
                "%(who)s chose which e-mails to get about new messages: %(mode)s.",
                who=who,
                mode=str(MODE[mode]).lower(),
            )
        return _("%(who)s chose which e-mails to get about new messages.", who=who)

    common: dict[str, Any] = {
        "fields": FIELDS,
        "refs": {"author_id": "user", "user_id": "user"},
        "values": {"author_side": SIDE, "mode": MODE},
        "hidden": {"thread_id"},
    }
    timeline.register_object_type("message", _l("a message"), sentence=message, **common)
    timeline.register_object_type("internal_note", _l("an internal note"), sentence=internal_note, **common)
    timeline.register_object_type(
        "notification_setting", _l("the choice of e-mails about messages"), sentence=setting, **common
    )
