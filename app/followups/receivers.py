"""How follow-ups take part in a visit's life (DESIGN.md 4.1, 4.4), through the visits domain's signals:
the gates before ``final`` and ``closed``, and the kommunicering deadline's reminder; and, through the e-mail
outbox's ``email_refused``, a reminder whose e-mail the mail server refused for good."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from app.auth.models import User
from app.core import mail, signals
from app.core.errors import DomainError
from app.core.models import utcnow
from app.followups import reminders, services
from app.visits.models import Visit, VisitStatus

QUOTE_LENGTH = 60


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"”{text[:QUOTE_LENGTH]}…”" if len(text) > QUOTE_LENGTH else f"”{text}”"


def gate_visit_transition(visit: Visit, *, actor: User, to: VisitStatus, today: date, **_kwargs: Any) -> None:
    """``final``: every serious deviation of the visit needs at least one follow-up linked to it that both
    sides have agreed (it may be reported done or verified since; a proposal or a cancelled one does not
    count). ``closed``: every follow-up of the visit is verified or cancelled."""
    if to == VisitStatus.final:
        missing = services.serious_deviations_without_agreement(visit)
        if missing:
            raise DomainError(
                ngettext(
                    "A serious deviation needs at least one agreed follow-up before the report is final. "
                    "Agree a follow-up with the unit for: %(findings)s",
                    "Serious deviations need at least one agreed follow-up each before the report is final. "
                    "Agree follow-ups with the unit for: %(findings)s",
                    len(missing),
                    findings="; ".join(_quote(f.text) for f in missing),
                )
            )
    if to == VisitStatus.closed and services.open_of_visit_count(visit):
        raise DomainError(_("A visit can be closed only when all its follow-ups are verified or cancelled."))


def schedule_comment_deadline(visit: Visit, *, actor: User, previous: VisitStatus, **_kwargs: Any) -> None:
    """Out for comment: the unit's reminder before the deadline is written with the move; leaving
    kommunicering drops it if it has not gone yet."""
    now = utcnow()
    if visit.status == VisitStatus.sent_for_comment:
        reminders.plan_comment_deadline(visit, now=now)
    elif previous == VisitStatus.sent_for_comment:
        reminders.drop_comment_deadline(visit.id, reason=f"the visit is {visit.status.value}", now=now)


def follow_visit_cancelled(visit: Visit, *, actor: User, previous: VisitStatus, **_kwargs: Any) -> None:
    """A cancelled visit's open follow-ups are cancelled with it, and their reminders stop (DESIGN.md 4.1, 4.4)."""
    if visit.status == VisitStatus.cancelled:
        services.cancel_with_visit(visit, actor=actor)


def connect() -> None:
    signals.before_visit_transition.connect(gate_visit_transition)
    signals.visit_status_changed.connect(schedule_comment_deadline)
    signals.visit_status_changed.connect(follow_visit_cancelled)
    mail.email_refused.connect(reminders.on_email_refused)
