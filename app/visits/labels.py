"""The Swedish/English words for the visits domain's codes (DESIGN.md 3)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

STATUS = {
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "draft": _l("Draft"),
    "sent_for_comment": _l("Out for comment"),
    "final": _l("Final"),
    "closed": _l("Closed"),
    "cancelled": lazy_pgettext("visit status", "Cancelled"),
}
PURPOSE = {
    "planned": _l("Planned review"),
    "follow_up": _l("Follow-up"),
    "closer_review": _l("Closer review"),
}
KIND = {
    "strength": _l("Strength"),
    "development": _l("Area for development"),
    "deviation": _l("Deviation"),
}
KIND_PLURAL = {
    "strength": _l("Strengths and good practice"),
    "development": _l("Areas for development"),
    "deviation": _l("Deviations"),
}
SEVERITY = {"minor": _l("Minor"), "serious": _l("Serious")}
STANCE = {"agree": _l("We agree"), "partly": _l("We partly agree"), "disagree": _l("We disagree")}


def register(app) -> None:  # type: ignore[no-untyped-def]
    @app.context_processor
    def _labels() -> dict:
        return {
            "status_labels": STATUS,
            "purpose_labels": PURPOSE,
            "kind_labels_f": KIND,
            "kind_plural": KIND_PLURAL,
            "severity_labels": SEVERITY,
            "stance_labels": STANCE,
        }
