"""The e-mail of a batch really goes out through a Celery worker on Redis to an SMTP server, after the commit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_on_redis_sends_the_batch_to_the_smtp_server(
    app_config, redis_url, smtp_server, make_app, tmp_path, make_visit, make_user, write
):
    import redis

    from app.core import mail
    from app.dialogue import services
    from app.dialogue.models import BatchStatus, NotificationBatch
    from app.extensions import db

    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit], email="ulla@example.se")
    write(visit.lead, visit=visit, text="Till enheten.")

    queue = f"tillsyn-test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "TILLSYN_ENV": "production",
        "REDIS_URL": redis_url,
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "x",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_STARTTLS": "false",
        "PUBLIC_BASE_URL": "http://localhost",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "CELERY_QUEUE": queue,  # the e-mail the batch becomes is sent by a task the worker enqueues itself
    }
    flask_app = make_app({**app_config, "REDIS_URL": redis_url, "DIALOGUE_NOTIFICATION_WINDOW_MINUTES": 0})
    celery_app = flask_app.extensions["celery"]
    celery_app.conf.task_default_queue = queue
    with log.open("wb") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool=solo", "-Q", queue,
             "--loglevel=INFO", "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            with flask_app.app_context():
                [due] = services.due_recipients()
                batch = services.make_batch(due)
                db.session.commit()  # only now does the send leave for the worker
                batch_id = batch.id

            deadline = time.monotonic() + 30
            while not smtp_server.messages and time.monotonic() < deadline:
                if worker.poll() is not None:
                    pytest.fail(f"the worker stopped:\n{log.read_text(errors='replace')[-4000:]}")
                time.sleep(0.2)

            [email] = smtp_server.messages
            assert email["To"] == member.email
            with flask_app.app_context():
                assert email["Message-ID"] == mail.stable_message_id("dialogue", f"batch:{batch_id}")
            with flask_app.app_context():
                for _ in range(50):  # the worker marks it sent right after the SMTP conversation
                    db.session.expire_all()
                    if db.session.scalar(select(NotificationBatch.status)) == BatchStatus.sent:
                        break
                    time.sleep(0.1)
                assert db.session.scalar(select(NotificationBatch.status)) == BatchStatus.sent
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
            leftovers = list(client.scan_iter(match=f"*{queue}*"))
            if leftovers:
                client.delete(*leftovers)
            client.close()
