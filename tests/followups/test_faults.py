"""Fault tests of the reminder outbox (issue 6): real PostgreSQL, Redis, Celery worker processes started here,
and an SMTP server (aiosmtpd) in this process. Each scenario is repeated and prints how many reminders were
sent, lost and duplicated (counted by the Message-IDs the SMTP server received).

Marked ``faults``: they run once per CI run, in the PostgreSQL pass (the Makefile leaves them out of the
SQLite pass); in CI a missing service fails them, never skips them. Short leases and back-offs come from the
configuration (REMINDER_LEASE_SECONDS, MAIL_LEASE_SECONDS, MAIL_BACKOFF_*), so the whole module takes about a
minute. A reminder's task hands its e-mails to the e-mail outbox (app.core.mail), whose one send task talks to the
mail server: recovery after a lost or killed send is the outbox sweep's, recovery of a lost reminder task the
reminder sweep's.
The module empties its Redis database (one scenario flushes it on purpose).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.worker_harness import SmtpServer, Workers, require_fault_services, worker_env

pytestmark = [
    pytest.mark.faults,
    # Stopping the SMTP server mid-scenario (it is "down") leaves aiosmtpd's open client transports to the
    # garbage collector; that is the fault being injected, not a leak of the code under test.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

LEASE_SECONDS = 3.0
QUEUE = f"tillsyn-faults-{uuid.uuid4().hex[:12]}"
IDLE_QUEUE = f"{QUEUE}-nobody"  # a queue no worker reads: tasks sent there just wait in Redis
SETTINGS = {
    "REMINDER_LEASE_SECONDS": LEASE_SECONDS,
    "MAIL_LEASE_SECONDS": LEASE_SECONDS,
    "MAIL_BACKOFF_BASE_SECONDS": 0.2,
    "MAIL_BACKOFF_MAX_SECONDS": 1.0,
    "MAIL_MAX_ATTEMPTS": 40,
    "SMTP_TIMEOUT_SECONDS": 3,
}


def report(capsys: Any, scenario: str, **counts: Any) -> None:
    line = f"FAULTS {scenario}: " + ", ".join(f"{k}={v}" for k, v in counts.items())
    with capsys.disabled():
        print(f"\n{line}")
    with (Path(os.environ.get("FAULTS_REPORT", "/dev/null"))).open("a") as out:
        out.write(line + "\n")


# ---- the SMTP server ------------------------------------------------------------------------------------


class Inbox:
    """Keeps every accepted message; ``answer`` may refuse (a reply string); ``hold`` stops a message at DATA
    until released, so a test can kill the worker that is sending it."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.attempts = 0
        self.answer: str | None = None
        self.hold = False
        self.keep_held = True  # whether a held message counts as received (the server took it before the kill)
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if not str(message["Message-ID"]).startswith("<reminder."):
            return "250 OK"  # other mail of the scenario (the visit's notice to the unit) is not counted
        with self.lock:
            self.attempts += 1
        if self.hold:
            if self.keep_held:
                self.messages.append(message)
            self.arrived.set()
            while not self.released.is_set():
                await asyncio.sleep(0.02)
            return "250 OK" if self.keep_held else "451 4.3.0 gone"
        if self.answer:
            return self.answer
        self.messages.append(message)
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


@dataclass
class Services:
    redis_url: str
    smtp: SmtpServer
    workers: Workers


@pytest.fixture(scope="module")
def services(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    redis_url = require_fault_services()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    smtp = SmtpServer(Inbox())
    smtp.start()
    tmp = tmp_path_factory.mktemp("faults")
    env = worker_env(
        database_url=migrated_database,
        redis_url=redis_url,
        smtp_port=smtp.port,
        queue=QUEUE,
        instance=tmp / "instance",
        **SETTINGS,
    )
    workers = Workers(env=env, logs=tmp, queue=QUEUE)
    workers.start(wait=False)
    workers.start()
    workers.wait_ready(workers.running[0])
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
        "CELERY_QUEUE": QUEUE,
        **SETTINGS,
    }


@pytest.fixture(autouse=True)
def fresh(app: Any, services: Services) -> Iterator[None]:
    inbox = services.smtp.inbox
    inbox.messages.clear()
    inbox.attempts, inbox.answer, inbox.hold, inbox.keep_held = 0, None, False, True
    inbox.arrived.clear()
    inbox.released.clear()
    yield
    inbox.released.set()
    app.extensions["celery"].close()


# ---- helpers --------------------------------------------------------------------------------------------


def make_due(db: Any, people: Any, count: int) -> list[Any]:
    """``count`` agreed follow-ups, each with exactly one reminder due now (seven days before its due date,
    agreed ten days ago), whatever the time of day; returns those reminder rows."""
    from app.followups import services as follow_ups
    from app.followups.models import Reminder

    past = datetime.now(UTC) - timedelta(days=10)
    ids = []
    for i in range(count):
        follow_up = follow_ups.propose(
            actor=people.reviewer,
            unit_id=people.unit.id,
            title=f"Åtgärd {uuid.uuid4().hex[:6]} {i}",
            description="Gör det.",
            owner_id=people.owner.id,
            due_date=date.today() + timedelta(days=3),
            now=past,
        )
        follow_ups.accept(follow_up.id, actor=people.owner, now=past)
        ids.append(follow_up.id)
    db.session.commit()
    return list(
        db.session.scalars(
            select(Reminder).where(Reminder.follow_up_id.in_(ids), Reminder.kind == "follow_up_before_7d")
        )
    )


def expected_ids(db: Any, reminders_: list[Any]) -> set[str]:
    from app.followups import reminders

    return {reminders.message_id(r, str(r.follow_up.owner_id)) for r in reminders_}


def sweep(db: Any) -> Any:
    from app.followups import reminders

    result = reminders.sweep()
    db.session.commit()
    return result


def wait_until(condition: Callable[[], bool], seconds: float, what: str, workers: Workers) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen within {seconds} s; workers:\n{workers.tail()}")


def statuses(db: Any, reminders_: list[Any]) -> Counter[str]:
    from app.followups.models import Reminder

    db.session.expire_all()
    rows = db.session.scalars(select(Reminder.status).where(Reminder.id.in_([r.id for r in reminders_])))
    return Counter(s.value for s in rows)


def tally(inbox: Inbox, expected: set[str]) -> dict[str, int]:
    received = Counter(i for i in inbox.ids() if i in expected)
    return {
        "sent": len(received),
        "lost": len(expected - set(received)),
        "duplicated": sum(n - 1 for n in received.values()),
    }


def emails(db: Any, reminders_: list[Any]) -> list[Any]:
    """The outbox rows of these reminders' e-mails (to their owners), once their tasks have handed them over."""
    from app.core.models import OutboxEmail

    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.message_id.in_(expected_ids(db, reminders_)))))


def sent_emails(db: Any, reminders_: list[Any]) -> int:
    return sum(1 for row in emails(db, reminders_) if row.status == "sent")


def attempts(db: Any, reminders_: list[Any]) -> list[int]:
    """Attempts at the SMTP server per reminder e-mail (0 for one not yet in the outbox)."""
    counted = [row.attempts for row in emails(db, reminders_)]
    return counted + [0] * (len(reminders_) - len(counted))


def connected_to(port: int, processes: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes] | None:
    """The worker with an open TCP connection to ``port`` (the one talking to the mail server), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    for process in processes:
        try:
            links = [os.readlink(f"/proc/{process.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{process.pid}/fd")]
        except OSError:
            continue
        if any(link.startswith("socket:[") and link[8:-1] in inodes for link in links):
            return process
    return None


def recover_after_lease(db: Any) -> Any:
    time.sleep(LEASE_SECONDS + 0.2)
    return sweep(db)


def recover_mail_after_lease(db: Any) -> int:
    from app.core import mail

    time.sleep(LEASE_SECONDS + 0.2)
    count = mail.sweep()
    db.session.commit()
    return count


# ---- the scenarios --------------------------------------------------------------------------------------


def test_a_worker_killed_mid_send_still_delivers_with_at_most_one_duplicate(db, people, services, capsys):
    """Half the rounds kill the worker after the server took the message (then one duplicate, same
    Message-ID), half before (then exactly one delivery)."""
    rounds = 8
    inbox, workers = services.smtp.inbox, services.workers
    duplicates_per_reminder: list[int] = []
    expected: set[str] = set()
    for round_number in range(rounds):
        inbox.hold, inbox.keep_held = True, round_number % 2 == 0
        inbox.arrived.clear()
        inbox.released.clear()
        [reminder] = make_due(db, people, 1)
        ids = expected_ids(db, [reminder])
        expected |= ids
        sweep(db)
        if not inbox.arrived.wait(30):
            pytest.fail(f"no worker sent the reminder:\n{workers.tail()}")
        victim = connected_to(services.smtp.port, workers.running)
        assert victim is not None, "no worker is connected to the mail server"
        workers.kill(victim)
        inbox.hold = False
        inbox.released.set()
        replacement = workers.start(wait=False)
        assert recover_mail_after_lease(db) == 1
        wait_until(lambda r=reminder: sent_emails(db, [r]) == 1, 30, "the resend", workers)
        workers.wait_ready(replacement)
        duplicates_per_reminder.append(inbox.ids().count(next(iter(ids))) - 1)
    counts = tally(inbox, expected)
    report(capsys, "worker SIGKILLed mid-send", rounds=rounds, **counts, workers_killed=rounds)
    assert counts["lost"] == 0
    assert max(duplicates_per_reminder) <= 1
    assert duplicates_per_reminder == [1 if i % 2 == 0 else 0 for i in range(rounds)]


def test_smtp_down_then_up_delivers_everything_after_retries(db, people, services, capsys):
    rounds, per_round = 2, 15
    smtp, workers = services.smtp, services.workers
    expected: set[str] = set()
    retries = 0
    for _ in range(rounds):
        smtp.stop()  # connections are refused
        due = make_due(db, people, per_round)
        expected |= expected_ids(db, due)
        assert sweep(db).claimed == per_round
        wait_until(lambda due=due: min(attempts(db, due)) >= 2, 30, "the first retries", workers)
        smtp.start()
        wait_until(lambda due=due: sent_emails(db, due) == per_round, 60, "delivery after the outage", workers)
        retries += sum(n - 1 for n in attempts(db, due))
    counts = tally(smtp.inbox, expected)
    report(capsys, "SMTP down, then up", rounds=rounds, reminders=rounds * per_round, **counts, retries=retries)
    assert counts == {"sent": rounds * per_round, "lost": 0, "duplicated": 0}
    assert retries >= rounds * per_round  # every one of them was retried at least once


def test_smtp_550_marks_reminders_failed_without_retrying(db, people, services, capsys):
    count = 10
    inbox, workers = services.smtp.inbox, services.workers
    inbox.answer = "550 5.1.1 mailbox unavailable"
    due = make_due(db, people, count)
    assert sweep(db).claimed == count
    wait_until(lambda: statuses(db, due)["failed"] == count, 30, "failing", workers)
    time.sleep(1.5)  # longer than the longest back-off: no retry comes
    report(capsys, "SMTP 550", reminders=count, failed=statuses(db, due)["failed"], server_attempts=inbox.attempts)
    assert attempts(db, due) == [1] * count
    assert inbox.attempts == count
    assert inbox.messages == []


def test_two_sweeps_at_once_send_each_reminder_exactly_once(db, people, services, capsys, app):
    """Rounds of two sweeps started together: in this process (two threads, two sessions), and as two sweep
    tasks sent at once to the two workers (as two beats would)."""
    from app.extensions import db as _db
    from app.followups import reminders

    rounds, per_round = 6, 30
    inbox, workers = services.smtp.inbox, services.workers
    expected: set[str] = set()
    locked_out = 0
    for round_number in range(rounds):
        due = make_due(db, people, per_round)
        expected |= expected_ids(db, due)
        if round_number % 2:
            celery = app.extensions["celery"]
            for _ in range(2):
                celery.send_task("followups.sweep_reminders")
        else:
            barrier = threading.Barrier(2)
            results: list[Any] = [None, None]

            def run(slot: int, barrier: threading.Barrier = barrier, results: list[Any] = results) -> None:
                with app.app_context():
                    barrier.wait()
                    results[slot] = reminders.sweep()
                    _db.session.commit()
                    _db.session.remove()

            threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert results[0].claimed + results[1].claimed == per_round
            locked_out += sum(1 for r in results if not r.ran)
        wait_until(lambda due=due: sent_emails(db, due) == per_round, 60, "delivery", workers)
    time.sleep(0.5)
    counts = tally(inbox, expected)
    report(
        capsys,
        "two sweeps at once",
        rounds=rounds,
        reminders=rounds * per_round,
        **counts,
        sweeps_that_found_the_lock_taken=locked_out,
    )
    assert counts == {"sent": rounds * per_round, "lost": 0, "duplicated": 0}


def test_redis_flushed_with_sends_pending_is_recovered_by_the_next_sweep(db, people, services, capsys, app):
    import redis

    count = 20
    inbox, workers = services.smtp.inbox, services.workers
    due = make_due(db, people, count)
    expected = expected_ids(db, due)
    app.extensions["celery"].conf.task_default_queue = IDLE_QUEUE  # the tasks wait in Redis…
    assert sweep(db).claimed == count
    client = redis.Redis.from_url(services.redis_url)
    waiting = client.llen(IDLE_QUEUE)
    client.flushdb()  # …and are gone
    client.close()
    app.extensions["celery"].conf.task_default_queue = QUEUE
    time.sleep(1.0)
    assert statuses(db, due) == Counter({"queued": count})  # nothing was sent meanwhile
    result = recover_after_lease(db)
    wait_until(lambda: sent_emails(db, due) == count, 60, "delivery after the flush", workers)
    time.sleep(0.5)
    counts = tally(inbox, expected)
    report(
        capsys,
        "Redis flushed with sends pending",
        reminders=count,
        tasks_flushed=waiting,
        **counts,
        recovered=result.recovered,
    )
    assert result.recovered == count
    assert counts == {"sent": count, "lost": 0, "duplicated": 0}


def test_a_rolled_back_transaction_leaves_no_outbox_row_and_enqueues_nothing(db, people, services, capsys, app):
    import redis

    from app.followups import services as follow_ups
    from app.followups.models import Reminder

    rounds = 10
    inbox = services.smtp.inbox
    client = redis.Redis.from_url(services.redis_url)
    app.extensions["celery"].conf.task_default_queue = IDLE_QUEUE  # anything enqueued would stay visible here
    rows_left = enqueued = 0
    for _ in range(rounds):
        past = datetime.now(UTC) - timedelta(days=10)
        follow_up = follow_ups.propose(
            actor=people.reviewer,
            unit_id=people.unit.id,
            title="Tillbakarullad",
            description="Gör det.",
            owner_id=people.owner.id,
            due_date=date.today() + timedelta(days=3),
            now=past,
        )
        db.session.commit()
        follow_ups.accept(follow_up.id, actor=people.owner, now=past)
        db.session.flush()
        assert db.session.scalars(select(Reminder).where(Reminder.follow_up_id == follow_up.id)).first() is not None
        db.session.rollback()
        rows_left += len(db.session.scalars(select(Reminder).where(Reminder.follow_up_id == follow_up.id)).all())
        sweep(db)
        enqueued += int(client.llen(IDLE_QUEUE))
    time.sleep(0.5)
    client.close()
    report(
        capsys,
        "rolled-back transaction",
        rounds=rounds,
        outbox_rows=rows_left,
        enqueued=enqueued,
        sent=len(inbox.messages),
    )
    assert (rows_left, enqueued, inbox.messages) == (0, 0, [])
