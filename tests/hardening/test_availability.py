"""The database away (issue 13 item 3; API.md "503 within 5 seconds"): closed port, and a socket that accepts the
connection and never answers. These need no running PostgreSQL: the engine points at a port that is not one."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.core import availability


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when this returns


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listening socket nobody accepts from: the kernel completes the handshake, then nothing is ever said."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture
def app_away(app_config, make_app, request) -> Any:
    def make(port: int) -> Any:
        return make_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://tillsyn@127.0.0.1:{port}/x"})

    return make


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.parametrize("port_kind", ["closed_port", "silent_port"])
def test_the_api_answers_503_problem_within_5_seconds(app_away, request, port_kind):
    app = app_away(request.getfixturevalue(port_kind))
    response, seconds = _timed(lambda: app.test_client().get("/api/v1/units", headers={"Authorization": "Bearer x"}))
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 503
    assert response.headers["Retry-After"]
    assert seconds < 5


@pytest.mark.parametrize("port_kind", ["closed_port", "silent_port"])
def test_a_page_answers_a_swedish_try_again_page_within_5_seconds(app_away, request, port_kind):
    app = app_away(request.getfixturevalue(port_kind))
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "a-session-that-must-be-looked-up"
    response, seconds = _timed(lambda: client.get("/units"))
    assert response.status_code == 503
    assert "försök igen" in response.get_data(as_text=True).lower()
    assert seconds < 5


def test_the_page_is_english_when_asked(app_away, closed_port):
    client = app_away(closed_port).test_client()
    with client.session_transaction() as session:
        session["sid"] = "x"
    response = client.get("/units?lang=en")
    assert response.status_code == 503
    assert "Try again shortly" in response.get_data(as_text=True)


@pytest.mark.parametrize("port_kind", ["closed_port", "silent_port"])
def test_healthz_reports_the_database_away_as_json(app_away, request, port_kind):
    app = app_away(request.getfixturevalue(port_kind))
    response, seconds = _timed(lambda: app.test_client().get("/healthz"))
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"]["status"] == "unavailable"
    assert response.json["redis"]["status"] == "not_configured"
    assert response.json["mail_outbox"]["status"] == "ok"
    assert seconds < 5


def test_healthz_tells_redis_away_from_the_database(app_config, make_app, closed_port):
    app = make_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["status"] == "ok"
    assert response.json["redis"]["status"] == "unavailable"


def test_healthz_reports_an_smtp_server_away_without_failing(app_config, make_app, closed_port):
    app = make_app({**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": closed_port})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    outbox = response.json["mail_outbox"]
    assert outbox == {"status": "unavailable", "transport": "smtp", "error": "ConnectionRefusedError", "waiting": 0}


def test_healthz_is_ok_when_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == {"status": "ok"}


def test_postgres_engine_gets_connect_and_statement_timeouts():
    options = availability.engine_options(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@h/d",
            "DB_CONNECT_TIMEOUT_SECONDS": 3,
            "DB_STATEMENT_TIMEOUT_SECONDS": 4,
        }
    )
    assert options["connect_args"] == {"connect_timeout": 3, "options": "-c statement_timeout=4000"}
    assert options["pool_timeout"] == 3


def test_healthz_counts_the_e_mails_waiting_in_the_outbox(client, app, db):
    from tests.core.test_mail import queue_one

    assert client.get("/healthz").json["mail_outbox"]["waiting"] == 0
    queue_one(db)
    outbox = client.get("/healthz").json["mail_outbox"]
    assert outbox["waiting"] == 1
    assert outbox["oldest_waiting_seconds"] >= 0
