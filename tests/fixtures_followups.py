"""Factories for the followups domain: follow-ups in any status through the real services, and running a
reminder's task (and the e-mail sends it queues) in this process."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

STOCKHOLM = "Europe/Stockholm"


def local(*args: int) -> datetime:
    """A Stockholm wall-clock moment: ``local(2026, 3, 2, 8, 0)``."""
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(STOCKHOLM))  # type: ignore[misc]


@dataclass
class People:
    unit: Any
    owner: Any  # a unit member (English)
    colleague: Any  # another unit member (Swedish)
    lead: Any  # the lead reviewer of ``visit`` (Swedish)
    reviewer: Any  # a reviewer on no team
    coordinator: Any
    visit: Any  # out for comment, with a serious deviation and a development area


SERIOUS = ("deviation", "serious", "Två larm nattetid besvarades efter mer än 20 minuter.")
DEVELOPMENT = ("development", None, "Riskbedömningar följs inte alltid upp.")


@pytest.fixture
def people(make_unit, make_user, make_visit) -> People:
    unit = make_unit("Björkbacken")
    owner = make_user("unit_member", units=[unit], name="Olivia Owner", language="en", email="olivia@example.se")
    colleague = make_user("unit_member", units=[unit], name="Kalle Kollega", language="sv", email="kalle@example.se")
    lead = make_user("reviewer", name="Lena Lead", language="sv", email="lena@example.se")
    reviewer = make_user("reviewer", name="Rolf Reviewer", email="rolf@example.se")
    coordinator = make_user("coordinator", name="Cora Coordinator", email="cora@example.se")
    visit = make_visit("sent_for_comment", unit=unit, lead=lead, findings=(SERIOUS, DEVELOPMENT))
    return People(unit, owner, colleague, lead, reviewer, coordinator, visit)


@pytest.fixture
def make_follow_up(db, people) -> Callable[..., Any]:
    """A follow-up of ``people.unit`` moved to ``status`` through the services. Without ``visit``/``finding``
    it belongs to no visit and ``people.reviewer`` speaks for the supervising body."""
    from app.followups import services

    def make(
        status: str = "agreed",
        *,
        due_date: date | None = None,
        title: str = "Rutin för nattlarm",
        description: str = "Ta fram en rutin för att besvara larm nattetid.",
        owner: Any = None,
        finding: Any = None,
        visit: Any = None,
        proposer: Any = None,
        now: datetime | None = None,
    ) -> Any:
        owner = owner or people.owner
        supervisor = people.lead if (finding is not None or visit is not None) else people.reviewer
        proposer = proposer or supervisor
        follow_up = services.propose(
            actor=proposer,
            unit_id=people.unit.id,
            title=title,
            description=description,
            due_date=due_date or date.today() + timedelta(days=30),
            owner_id=owner.id,
            visit_id=visit.id if visit is not None else None,
            finding_id=finding.id if finding is not None else None,
            now=now,
        )
        if status != "proposed":
            acceptor = owner if proposer is supervisor else supervisor
            services.accept(follow_up.id, actor=acceptor, now=now)
        if status in ("done_reported", "verified"):
            services.report_done(follow_up.id, actor=owner, description="Rutinen är införd och känd av alla.")
        if status == "verified":
            services.verify(follow_up.id, actor=supervisor, note="Kontrollerat i larmloggen för två veckor.")
        if status == "cancelled":
            services.cancel(follow_up.id, actor=supervisor, reason="Ersätts av en annan åtgärd.")
        db.session.commit()
        return follow_up

    return make


@pytest.fixture
def send_now(app, enqueued) -> Callable[[Any], str]:
    """Run the task for a reminder in this process, as a worker would, then the e-mail sends it queued (retries
    run at once); returns the reminder task's result ("queued", "not claimed", "nothing to send"). The tasks run
    on this test's app (another app, such as a live server's, may be Celery's current one)."""

    def send(reminder_id: Any) -> str:
        from app.extensions import db

        result = enqueued.celery.tasks["followups.send_reminder"].apply(args=[str(reminder_id)])
        db.session.remove()
        enqueued.send_mail()
        return str(result.result)

    return send


def use_smtp(app: Any, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USER=None, SMTP_PASSWORD=None)


class ScriptedSmtp:
    """A real SMTP server (aiosmtpd) whose answer to each message the test decides: ``answers`` is a list of
    replies used in turn ("451 …", "550 …"; None accepts), then everything is accepted. It keeps what it
    accepted and counts every attempt."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.answers: list[str | None] = []
        self.attempts = 0
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        self.attempts += 1
        answer = self.answers.pop(0) if self.answers else None
        if answer:
            return answer
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def scripted_smtp(app) -> Any:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = ScriptedSmtp()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    use_smtp(app, port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def follow_up_row(db, make_user) -> Callable[..., Any]:
    """A FollowUp row made directly in a given state (for other domains' tests: no services, no reminders,
    any due date, also one in the past)."""
    from app.core.models import utcnow
    from app.followups.models import FollowUp, FollowUpStatus, Side

    def make(
        unit: Any,
        owner: Any = None,
        *,
        status: str = "agreed",
        due_date: date | None = None,
        title: str = "Rutin för nattlarm",
        finding: Any = None,
    ) -> Any:
        owner = owner or make_user("unit_member", units=[unit], name="Olga Owner")
        now = utcnow()
        state = FollowUpStatus(status)
        row = FollowUp(
            id=uuid.uuid4(),
            unit_id=unit.id,
            visit_id=finding.visit_id if finding is not None else None,
            finding_id=finding.id if finding is not None else None,
            title=title,
            description="Ta fram och införa en rutin.",
            owner_id=owner.id,
            due_date=due_date or date.today() + timedelta(days=30),
            status=state,
            proposed_by_side=Side.supervisor,
            supervisor_accepted_at=now,
            unit_accepted_at=None if state == FollowUpStatus.proposed else now,
            agreed_at=None if state == FollowUpStatus.proposed else now,
        )
        db.session.add(row)
        db.session.commit()
        return row

    return make
