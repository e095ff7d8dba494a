"""A Redis flush loses no e-mail (DESIGN.md 4.9): for each kind of e-mail, cause it, flush Redis before a worker
takes its task, run the outbox sweep and a real Celery worker: it reaches the SMTP server (aiosmtpd, in this
process) exactly once, with the Message-ID its outbox row was given.

Marked ``faults`` like tests/followups/test_faults.py: they run in the PostgreSQL pass with real Redis; in CI a
missing service fails them, never skips them. The module empties its Redis database (flushing it is the point).
"""

from __future__ import annotations

import email
import email.policy
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.worker_harness import SmtpServer, Workers, require_fault_services, worker_env

pytestmark = pytest.mark.faults

QUEUE = f"tillsyn-mail-faults-{uuid.uuid4().hex[:12]}"
IDLE_QUEUE = f"{QUEUE}-nobody"  # a queue no worker reads: tasks sent there just wait in Redis


class Inbox:
    """Keeps every message the SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


@dataclass
class Services:
    redis_url: str
    smtp: SmtpServer
    workers: Workers

    @property
    def inbox(self) -> Inbox:
        return self.smtp.inbox  # type: ignore[no-any-return]

    def tail(self) -> str:
        return self.workers.tail()


@pytest.fixture(scope="module")
def services(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    redis_url = require_fault_services()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    smtp = SmtpServer(Inbox())
    smtp.start()
    tmp = tmp_path_factory.mktemp("mail-faults")
    env = worker_env(
        database_url=migrated_database, redis_url=redis_url, smtp_port=smtp.port, queue=QUEUE, instance=tmp / "instance"
    )
    workers = Workers(env=env, logs=tmp, queue=QUEUE, name="mailfaults")
    workers.start()
    try:
        yield Services(redis_url, smtp, workers)
    finally:
        workers.stop_all()
        smtp.stop()
        redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def app_config(app_config: dict[str, Any], services: Services) -> dict[str, Any]:
    return {
        **app_config,
        "REDIS_URL": services.redis_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": services.smtp.port,
        "SMTP_STARTTLS": False,
        "CELERY_QUEUE": IDLE_QUEUE,  # what the app enqueues waits in Redis, where the flush finds it
        "DIALOGUE_NOTIFICATION_WINDOW_MINUTES": 0,
    }


@pytest.fixture(autouse=True)
def fresh(app: Any, services: Services) -> Iterator[None]:
    import workers.auth
    import workers.dialogue
    import workers.followups
    import workers.mail
    import workers.trust  # noqa: F401  (registers the tasks this process runs itself)

    services.inbox.messages.clear()
    yield
    app.extensions["celery"].close()


# ---- the causes, one per kind of e-mail -------------------------------------------------------------------


def set_password_link(db: Any, fixture: Callable[[str], Any]) -> None:
    make_user = fixture("make_user")
    from app.auth import services as auth

    person = make_user("reviewer", email="ny@example.se")
    auth.issue_set_password_link(person.id)
    db.session.commit()


def kommunicering(db: Any, fixture: Callable[[str], Any]) -> None:
    make_visit, make_user = fixture("make_visit"), fixture("make_user")
    from app.core import access
    from app.visits import services as visits

    visit = make_visit("draft")
    make_user("unit_member", units=[visit.unit], email="enheten@example.se")
    visits.transition(
        visit.id, actor=access.OPERATOR, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=20)
    )
    db.session.commit()


def breach_notice(db: Any, fixture: Callable[[str], Any]) -> None:
    make_unit, make_user = fixture("make_unit"), fixture("make_user")
    unit = make_unit("Ekbacken")
    make_user("unit_member", units=[unit], email="enheten@example.se")
    make_user("coordinator", email="samordnare@example.se")
    fixture("make_visit")("final", unit=unit)
    indicator = fixture("make_indicator")("larm")
    fixture("make_boundary")(unit, indicator=indicator, periods=1)
    fixture("report")(unit, indicator, {"2029-01": 50})  # crosses the boundary: breach notices, committed


def message_batch(db: Any, fixture: Callable[[str], Any]) -> None:
    import workers.dialogue

    make_visit, make_user = fixture("make_visit"), fixture("make_user")
    visit = make_visit("sent_for_comment")
    make_user("unit_member", units=[visit.unit], email="enheten@example.se")
    fixture("write")(visit.lead, visit=visit, text="Välkomna att lämna synpunkter.")
    # what beat and a worker do: the batch is made, then handed to the e-mail outbox
    assert workers.dialogue.flush_notifications.apply().result == 1
    [batch] = _batches(db)
    assert workers.dialogue.send_batch.apply(args=[str(batch)]).result == "queued"


def _batches(db: Any) -> list[uuid.UUID]:
    from app.dialogue.models import NotificationBatch

    return list(db.session.scalars(select(NotificationBatch.id)))


def reminder(db: Any, fixture: Callable[[str], Any]) -> None:
    import workers.followups
    from app.followups import reminders
    from app.followups import services as follow_ups

    people = fixture("people")
    past = datetime.now(UTC) - timedelta(days=10)
    follow_up = follow_ups.propose(
        actor=people.reviewer,
        unit_id=people.unit.id,
        title="Rutin för nattlarm",
        description="Gör det.",
        owner_id=people.owner.id,
        due_date=date.today() + timedelta(days=3),
        now=past,
    )
    follow_ups.accept(follow_up.id, actor=people.owner, now=past)
    db.session.commit()
    assert reminders.sweep().claimed == 1  # the reminder due a week before the due date
    db.session.commit()
    from app.followups.models import Reminder

    [due] = db.session.scalars(select(Reminder.id).where(Reminder.status == "queued"))
    assert workers.followups.send_reminder.apply(args=[str(due)]).result == "queued"


def barrier_report(db: Any, fixture: Callable[[str], Any]) -> None:
    make_user = fixture("make_user")
    from app.main import services as main

    make_user("coordinator", email="samordnare@example.se")
    main.submit_report(
        description="Knappen Skicka går inte att nå med tangentbordet.",
        page="/accessibility",
        contact_email=None,
        contact_name=None,
        language="sv",
        reporter=None,
    )
    db.session.commit()


CAUSES = {
    "kommunicering": kommunicering,
    "breach notice": breach_notice,
    "set-password link": set_password_link,
    "message batch": message_batch,
    "reminder": reminder,
    "barrier report": barrier_report,
}


@pytest.mark.parametrize("kind", list(CAUSES))
def test_a_redis_flush_loses_no_email(kind, app, db, services, request):
    import redis

    from app.core import mail
    from app.core.models import OutboxEmail, OutboxStatus, utcnow

    CAUSES[kind](db, request.getfixturevalue)
    db.session.expire_all()
    rows = {row.id: row.message_id for row in db.session.scalars(select(OutboxEmail))}
    assert rows, f"{kind}: no e-mail in the outbox"

    client = redis.Redis.from_url(services.redis_url)
    assert client.llen(IDLE_QUEUE) >= len(rows)  # every send task waits in Redis…
    client.flushdb()  # …and is gone
    client.close()
    time.sleep(0.5)
    assert services.inbox.messages == []  # nothing went meanwhile

    app.extensions["celery"].conf.task_default_queue = QUEUE  # now to the worker
    lease = timedelta(seconds=app.config["MAIL_LEASE_SECONDS"])
    assert mail.sweep(now=utcnow() + lease + timedelta(seconds=1)) == len(rows)
    db.session.commit()

    expected = set(rows.values())
    deadline = time.monotonic() + 60
    while not expected <= set(services.inbox.ids()):
        if time.monotonic() > deadline:
            pytest.fail(f"{kind}: not every e-mail arrived; worker:\n{services.tail()}")
        time.sleep(0.1)
    db.session.expire_all()
    while {s for (s,) in db.session.execute(select(OutboxEmail.status))} != {OutboxStatus.sent}:
        if time.monotonic() > deadline:
            pytest.fail(f"{kind}: the outbox did not record the delivery; worker:\n{services.tail()}")
        time.sleep(0.1)
        db.session.expire_all()
    received = Counter(services.inbox.ids())
    assert {message_id: received[message_id] for message_id in expected} == dict.fromkeys(expected, 1)
    assert set(received) == expected  # nothing else, nothing twice
