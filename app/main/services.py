"""Reports of accessibility problems: receiving one (from anyone, logged in or not) and handling it (coordinators).

The report's text never leaves the product: the e-mail about a new report carries a link only (DESIGN.md 4.2).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.core import access, mail
from app.core.errors import DomainError, InvalidInput, NotFound
from app.core.urls import external_url
from app.extensions import db
from app.main.models import DESCRIPTION_MAX, NAME_MAX, NOTE_MAX, PAGE_MAX, AccessibilityReport

if TYPE_CHECKING:
    from app.auth.models import User


def same_site_path(value: str | None) -> str | None:
    """A path of this site (``/visits/…``), or None: nothing with a scheme, a host or a protocol-relative
    start (``//host``, ``/\\host``), so a link can never point away from the product."""
    value = (value or "").strip()
    if not value or len(value) > PAGE_MAX or not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    if any(ord(ch) < 32 for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def submit_report(
    *,
    description: str,
    page: str | None,
    contact_email: str | None,
    contact_name: str | None,
    language: str,
    reporter: User | None,
) -> AccessibilityReport:
    """Store a report and tell whoever handles them (after the commit). Anyone may report, logged in or not."""
    from app.units.services import normalise_email

    errors: dict[str, list[str]] = {}
    text = (description or "").strip()
    if not text:
        errors["description"] = [_("Describe what did not work.")]
    elif len(text) > DESCRIPTION_MAX:
        errors["description"] = [_("Write at most %(max)d characters about what did not work.", max=DESCRIPTION_MAX)]
    where = _clean(page)
    if where is not None and len(where) > PAGE_MAX:
        errors["page"] = [_("Write at most %(max)d characters about the page.", max=PAGE_MAX)]
    name = _clean(contact_name)
    if name is not None and len(name) > NAME_MAX:
        errors["contact_name"] = [_("Write at most %(max)d characters in your name.", max=NAME_MAX)]
    email: str | None = None
    try:
        email = normalise_email(contact_email, "contact_email", required=False)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    languages = current_app.config["LANGUAGES"]
    report = AccessibilityReport(
        description=text,
        page=where,
        contact_email=email,
        contact_name=name,
        language=language if language in languages else current_app.config["BABEL_DEFAULT_LOCALE"],
        reporter_id=reporter.id if reporter is not None else None,
    )
    db.session.add(report)
    db.session.flush()
    _notify_received(report)
    return report


def _notify_received(report: AccessibilityReport) -> None:
    """The configured contact address if there is one, else every active coordinator: a subject and a link."""
    from app.auth.models import Role, User, UserRole

    link = external_url("admin.accessibility_report", report_id=report.id)
    contact = current_app.config.get("ACCESSIBILITY_CONTACT_EMAIL")
    recipients: list[tuple[str, str | None, str | None]]
    if contact:
        recipients = [(contact, None, None)]
    else:
        coordinators = db.session.scalars(
            select(User)
            .where(
                User.is_active_account.is_(True),
                User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.coordinator)),
            )
            .order_by(User.email)
        )
        recipients = [(person.email, person.name, person.language) for person in coordinators]
    for address, name, language in recipients:
        mail.queue(
            mail.render_email(
                "main/accessibility_report_received",
                to=address,
                language=language,
                name=name,
                received_at=report.received_at,
                link=link,
            ),
            source=f"main.accessibility_report:{report.id}",
        )


# ---- coordinators ---------------------------------------------------------------------------------

FILTERS = ("open", "handled", "all")


def reports_query(actor: User, status: str) -> Select[AccessibilityReport]:
    """Coordinators' list: open reports first, newest first within each."""
    from app.auth.models import Role

    access.require_role(actor, Role.coordinator)
    query = select(AccessibilityReport).options(selectinload(AccessibilityReport.handled_by))
    if status == "open":
        query = query.where(AccessibilityReport.handled_at.is_(None))
    elif status == "handled":
        query = query.where(AccessibilityReport.handled_at.is_not(None))
    return query.order_by(
        AccessibilityReport.handled_at.is_not(None), AccessibilityReport.received_at.desc(), AccessibilityReport.id
    )


def open_report_count() -> int:
    return db.session.scalar(select(func.count()).where(AccessibilityReport.handled_at.is_(None))) or 0


def get_report(actor: User, report_id: uuid.UUID, *, for_update: bool = False) -> AccessibilityReport:
    from app.auth.models import Role

    access.require_role(actor, Role.coordinator)
    report = db.session.get(
        AccessibilityReport,
        report_id,
        options=[selectinload(AccessibilityReport.reporter), selectinload(AccessibilityReport.handled_by)],
        with_for_update=for_update,  # two coordinators handling it at once: the second waits, then sees it handled
        populate_existing=for_update,
    )
    if report is None:
        raise NotFound(_("The report does not exist."))
    return report


def handle_report(report_id: uuid.UUID, *, actor: User, note: str) -> AccessibilityReport:
    """A coordinator notes what was done or answered; the report is then handled, once."""
    report = get_report(actor, report_id, for_update=True)
    text = (note or "").strip()
    if not text:
        raise InvalidInput({"note": [_("Write what was done or answered.")]})
    if len(text) > NOTE_MAX:
        raise InvalidInput({"note": [_("Write at most %(max)d characters about what was done.", max=NOTE_MAX)]})
    if report.is_handled:
        raise DomainError(_("The report is already handled."))
    report.mark_handled(by_id=actor.id, note=text)
    db.session.flush()
    return report
