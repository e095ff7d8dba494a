"""Who may see and do what in conditional trust (DESIGN.md 4.3, 4.6): the getters of indicators, boundaries,
proposals and breaches, and the predicates the services raise from, the pages show actions by and the API
reports as ``actions``."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from app.core import access, audit
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.trust.models import Boundary, BoundaryVersion, Breach, Indicator, Reading, Side, VersionStatus

Actor = Any  # app.auth.models.User or app.core.access.OPERATOR


# ---- getters (DESIGN.md 4.6) ----------------------------------------------------------------------


def get_indicator(actor: Actor, indicator_id: uuid.UUID) -> Indicator:
    """The indicator catalogue is not unit data: everyone logged in may read it."""
    indicator: Indicator | None = db.session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(_("The indicator does not exist."))
    return indicator


def get_boundary(actor: Actor, boundary_id: uuid.UUID) -> Boundary:
    """A boundary of a unit the actor may see; NotFound otherwise."""
    boundary: Boundary | None = db.session.get(Boundary, boundary_id)
    if boundary is None or not access.can_see_unit(actor, boundary.unit_id):
        raise NotFound(_("The trust boundary does not exist or you may not see it."))
    return boundary


def get_boundary_version(actor: Actor, version_id: uuid.UUID) -> BoundaryVersion:
    """A version (proposal) of a boundary the actor may see; NotFound otherwise."""
    version: BoundaryVersion | None = db.session.get(BoundaryVersion, version_id)
    if version is None or not access.can_see_unit(actor, version.boundary.unit_id):
        raise NotFound(_("The proposal does not exist or you may not see it."))
    return version


def get_breach(actor: Actor, breach_id: uuid.UUID) -> Breach:
    """A breach of a unit the actor may see; NotFound otherwise."""
    breach: Breach | None = db.session.get(Breach, breach_id)
    if breach is None or not access.can_see_unit(actor, breach.unit_id):
        raise NotFound(_("The breach does not exist or you may not see it."))
    return breach


def get_reading(actor: Actor, reading_id: uuid.UUID) -> Any:
    """A reading of a unit the actor may see; NotFound otherwise."""

    reading = db.session.get(Reading, reading_id)
    if reading is None or not access.can_see_unit(actor, reading.unit_id):
        raise NotFound(_("The reading does not exist or you may not see it."))
    return reading


# ---- what a person may do (DESIGN.md 4.3) ---------------------------------------------------------


def side_of(actor: Actor, unit_id: uuid.UUID) -> Side | None:
    """Which party the actor speaks for in this unit's agreements; a member of the unit always speaks for the unit."""
    if access.takes_unit_side(actor, unit_id):
        return Side.unit
    if access.supervises(actor, unit_id):
        return Side.supervisor
    return None


def can_report_readings(actor: Actor, unit_id: uuid.UUID) -> bool:
    """The unit's members, reviewers and coordinators report a unit's readings."""
    return access.can_see_unit(actor, unit_id)


def why_not_withdraw_reading(actor: Actor, reading: Reading) -> DomainError | None:
    """Whoever may report the unit's readings may withdraw one of them, once (DESIGN.md 4.3)."""
    if not can_report_readings(actor, reading.unit_id):
        return Forbidden(_("Your role does not allow this."))
    if reading.withdrawn_at is not None:
        return InvalidInput({"reading": [_("The reading is already withdrawn.")]})
    return None


def can_withdraw_reading(actor: Actor, reading: Reading) -> bool:
    return why_not_withdraw_reading(actor, reading) is None


def reading_actions(actor: Actor, reading: Reading) -> list[str]:
    """What the actor may do with the reading (the API's ``actions``): ``withdraw``."""
    return ["withdraw"] if can_withdraw_reading(actor, reading) else []


def why_not_answer(actor: Actor, version: BoundaryVersion, action: str) -> DomainError | None:
    """``accept`` and ``reject``: the other party answers a pending proposal; ``withdraw``: the proposing party
    takes it back (DESIGN.md 4.3: boundaries are agreed, not imposed)."""
    if version.status != VersionStatus.proposed:
        from app.trust import labels

        return DomainError(
            _(
                "This proposal is no longer waiting for an answer (%(status)s).",
                status=labels.VERSION_STATUS[version.status.value],
            )
        )
    side = side_of(actor, version.boundary.unit_id)
    if action == "withdraw":
        if side is None or side != version.proposed_by_side:
            return Forbidden(_("Only the party that made a proposal can withdraw it."))
        return None
    if side is None or side == version.proposed_by_side:
        if action == "accept":
            return Forbidden(
                _(
                    "Only the other party can accept a proposal: the unit accepts the supervising body's, "
                    "and the reverse."
                )
            )
        return Forbidden(_("Only the other party can decline a proposal."))
    return None


def can_accept_version(actor: Actor, version: BoundaryVersion) -> bool:
    """True when ``why_not_answer`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_answer(actor, version, "accept") is None


def can_reject_version(actor: Actor, version: BoundaryVersion) -> bool:
    """True when ``why_not_answer`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_answer(actor, version, "reject") is None


def can_withdraw_version(actor: Actor, version: BoundaryVersion) -> bool:
    """True when ``why_not_answer`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_answer(actor, version, "withdraw") is None


def why_not_decide_trust(actor: Actor, unit_id: uuid.UUID, *roles: Any) -> DomainError | None:
    """Closing breaches (reviewers, coordinators) and restoring baseline (coordinators): never in one's own unit."""
    if not actor.has_role(*roles):
        return Forbidden(_("Your role does not allow this."))
    if access.takes_unit_side(actor, unit_id):
        return Forbidden(_("Conflict of interest (jäv): you belong to this unit and cannot decide on its trust."))
    return None


def why_not_close_breach(actor: Actor, breach: Breach) -> DomainError | None:
    """A reviewer or coordinator closes an open breach, with a note."""
    from app.auth.models import Role

    if (refusal := why_not_decide_trust(actor, breach.unit_id, Role.reviewer, Role.coordinator)) is not None:
        return refusal
    if breach.closed_at is not None:
        return DomainError(_("This breach is already closed."))
    return None


def can_close_breach(actor: Actor, breach: Breach) -> bool:
    """True when ``why_not_close_breach`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_close_breach(actor, breach) is None


def can_restore_baseline(actor: Actor, unit_id: uuid.UUID) -> bool:
    """A coordinator outside the unit restores baseline trust (the service checks that no breach is open)."""
    from app.auth.models import Role

    return why_not_decide_trust(actor, unit_id, Role.coordinator) is None


def version_actions(actor: Actor, version: BoundaryVersion) -> list[str]:
    """What the actor may do with a boundary version now (``actions`` in the API)."""
    return [name for name in ("accept", "reject", "withdraw") if why_not_answer(actor, version, name) is None]


def breach_actions(actor: Actor, breach: Breach) -> list[str]:
    """What the actor may do with a breach now (``actions`` in the API)."""
    return ["close"] if can_close_breach(actor, breach) else []


TEMPLATE_GLOBALS = {
    "trust_side": side_of,
    "can_report_readings": can_report_readings,
    "can_withdraw_reading": can_withdraw_reading,
    "can_accept_version": can_accept_version,
    "can_reject_version": can_reject_version,
    "can_withdraw_version": can_withdraw_version,
    "can_close_breach": can_close_breach,
    "can_restore_baseline": can_restore_baseline,
}


def register_template_globals(app: Flask) -> None:
    """The predicates above, for templates deciding which actions to show."""
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


access.register_guarded_object("boundary_version_id", get_boundary_version)
access.register_guarded_object("breach_id", get_breach)
access.register_guarded_object("reading_id", get_reading)
audit.register_audit_type("boundary", get=get_boundary, unit_may_read=True)
audit.register_audit_type("boundary_version", get=get_boundary_version, unit_may_read=True)
audit.register_audit_type("reading", get=get_reading, unit_may_read=True)
audit.register_audit_type("breach", get=get_breach, unit_may_read=True)
audit.register_audit_type("trust_change", unit_may_read=True)
