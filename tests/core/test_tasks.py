"""Tasks leave only once their transaction has committed, and really run in a Celery worker on Redis."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.core import mail
from app.core.tasks import enqueue_after_commit
from app.units.models import Unit, UnitKind
from tests.fixtures_shared import Enqueued

ROOT = Path(__file__).resolve().parents[2]


def committed_count(db: Any, column: Any, value: Any) -> int:
    """Rows with ``column == value`` as another connection sees them: only what is committed."""
    with db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(column == value)) or 0)


# ---- enqueue_after_commit -------------------------------------------------------------------------


def test_task_enqueued_in_a_rolled_back_transaction_is_never_sent(db, enqueued, make_unit):
    db.session.add(Unit(name="Enhet som aldrig blev", kind=UnitKind.school))
    enqueue_after_commit("tests.echo", "rolled back")
    db.session.flush()

    db.session.rollback()
    make_unit()  # a later transaction commits; the thrown-away task must not ride along

    assert enqueued.calls == []


def test_task_is_not_sent_before_the_commit(db, enqueued):
    db.session.add(Unit(name="Enhet Alfa", kind=UnitKind.school))
    enqueue_after_commit("tests.echo", "pending")
    db.session.flush()

    assert enqueued.calls == []


def test_task_is_sent_exactly_once_after_the_commit(db, enqueued, make_unit):
    enqueued.probe = lambda: committed_count(db, Unit.name, "Enhet Alfa")
    db.session.add(Unit(name="Enhet Alfa", kind=UnitKind.school))
    enqueue_after_commit("tests.echo", 1, "two", three=3)

    db.session.commit()
    make_unit()  # another commit does not send it again

    # seen=1: when the task left, the row it is about was already committed and visible to a worker.
    assert enqueued.calls == [Enqueued("tests.echo", (1, "two"), {"three": 3}, seen=1)]


def test_releasing_a_savepoint_does_not_send_the_task_before_the_commit(db, enqueued):
    db.session.add(Unit(name="Enhet Alfa", kind=UnitKind.school))
    enqueue_after_commit("tests.echo", "outer")
    db.session.flush()
    with db.session.begin_nested():
        db.session.add(Unit(name="Enhet Beta", kind=UnitKind.school))

    assert enqueued.calls == []  # the outer transaction may still roll back


def test_rolling_back_a_savepoint_keeps_the_tasks_enqueued_before_it(db, enqueued):
    db.session.add(Unit(name="Enhet Alfa", kind=UnitKind.school))
    enqueue_after_commit("tests.echo", "outer")
    db.session.flush()
    savepoint = db.session.begin_nested()
    enqueue_after_commit("tests.echo", "inside the savepoint")
    savepoint.rollback()

    db.session.commit()

    assert [c.args for c in enqueued.calls] == [("outer",)]


# ---- through the coordinator UI -------------------------------------------------------------------


def test_new_person_with_send_link_gets_their_email_enqueued_after_the_commit(db, browser, make_user, enqueued):
    browser.login(make_user("coordinator"))
    address = "nya.nilsson@example.se"
    enqueued.probe = lambda: committed_count(db, User.email, address)

    response = browser.post(
        "/people/new",
        data={
            "name": "Nya Nilsson",
            "email": address,
            "roles": ["reviewer"],
            "units": [],
            "language": "en",
            "send_link": "y",
        },
    )

    assert response.status_code == 302
    [call] = enqueued.calls
    assert call.name == "mail.send"
    assert call.seen == 1  # the person (and the e-mail's outbox row) were committed before the task left
    [row] = enqueued.emails()
    assert row.recipient == address
    assert row.subject == "Choose your password for Lärande tillsyn"
    assert "Hello Nya Nilsson," in row.text
    assert "/set-password/" in row.text


# ---- a real worker on Redis -----------------------------------------------------------------------


def _wait_for(
    found: Callable[[], list[Path]], worker: subprocess.Popen[bytes], log: Path, seconds: float
) -> list[Path]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        files = found()
        if files:
            return files
        if worker.poll() is not None:
            pytest.fail(f"the worker stopped with code {worker.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)
    pytest.fail(f"no e-mail in the outbox after {seconds} s; worker log:\n{log.read_text(errors='replace')[-4000:]}")


def test_mail_task_runs_in_a_real_celery_worker_on_redis(app_config, redis_url, tmp_path, make_app):
    import redis

    from app.extensions import db

    outbox = tmp_path / "worker-outbox"
    queue = f"tillsyn-test-{uuid.uuid4().hex}"  # only this test's messages reach this worker
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "TILLSYN_ENV": "production",
        "REDIS_URL": redis_url,
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "x",
        "MAIL_OUTBOX_DIR": str(outbox),
        "SMTP_HOST": "",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    flask_app = make_app({**app_config, "REDIS_URL": redis_url})
    celery_app = flask_app.extensions["celery"]
    celery_app.conf.task_default_queue = queue

    with log.open("wb") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                queue,
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            with flask_app.app_context():
                outgoing = mail.render_email(
                    "auth/set_password",
                    to="greta@example.se",
                    language="en",
                    person=SimpleNamespace(name="Greta Granskare"),
                    link="http://localhost/set-password/worker-test",
                    hours=72,
                )
                row = mail.queue(outgoing)
                message_id = row.message_id
                db.session.commit()

            [written] = _wait_for(lambda: sorted(outbox.glob("*.eml")), worker, log, seconds=30)

            message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
            assert message["Message-ID"] == message_id
            assert message["To"] == "greta@example.se"
            assert message["Subject"] == "Choose your password for Lärande tillsyn"
            assert message.get_content_type() == "multipart/alternative"
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            celery_app.close()
            with flask_app.app_context():
                db.session.remove()
                db.engine.dispose()
            client = redis.Redis.from_url(redis_url)
            leftovers = list(client.scan_iter(match=f"*{queue}*"))  # the queue and kombu's bindings of it
            if leftovers:
                client.delete(*leftovers)
            client.close()
