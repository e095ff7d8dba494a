"""Fixtures: the app on SQLite (default) or PostgreSQL (TEST_DB=postgres with TEST_DATABASE_URL), a client,
factories, login helpers, and the real services (Redis, an in-process SMTP server). The recorder of enqueued tasks
and the query counter every domain shares live in tests/fixtures_shared.py.

Under pytest-xdist (``make test`` runs ``-n auto --dist loadfile``) each worker has its own SQLite template, its
own PostgreSQL database (TEST_DATABASE_URL's name + ``_gw0``…, created if missing) and its own Redis database.

The schema is built once per run by the Alembic migrations themselves (so every run tests them too); each
test then starts from empty tables: a fresh copy of the migrated file on SQLite, TRUNCATE on PostgreSQL.

On PostgreSQL the app under test connects as it does in production (README, "Run as a role that does not own the
tables"): TEST_DATABASE_URL's role (the owner) migrates, ``flask database grant-app`` gives ``tillsyn_app_test``
the application's rights, and every app, worker and test session uses that role (``migrated_database`` and
``database_url`` are its URL). The owner's URL (``owner_database_url``) serves only what needs it, each use named
with its reason.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

pytest_plugins = [
    "tests.fixtures_shared",
    "tests.fixtures_visits",
    "tests.fixtures_followups",
    "tests.fixtures_trust",
    "tests.fixtures_dialogue",
]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_DB = os.environ.get("TEST_DB", "sqlite")
PASSWORD = "correct horse battery staple"
# Under pytest-xdist each worker process ("gw0", "gw1", …) has a database and a Redis database of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
REDIS_DATABASES = 16  # Redis' default number of databases
# The role the app under test connects as on PostgreSQL: it owns nothing and has only the grants production gives.
APP_ROLE = "tillsyn_app_test"
APP_ROLE_PASSWORD = "tillsyn-app-test"  # for servers that ask for one; the role can only read and write test rows


def worker_database_url(url: str, worker: str = WORKER) -> str:
    """TEST_DATABASE_URL's database for this worker: ``…/test`` → ``…/test_gw0`` (the name itself without xdist).
    Each worker's name is the shared name plus its own suffix, so two workers (or two runs on other names) never
    share a database."""
    if not url or not worker:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def worker_redis_url(url: str, worker: str = WORKER) -> str:
    """TEST_REDIS_URL's Redis database for this worker: database N for gw0, N+1 for gw1, … (wrapping at 16), or
    the K-th of TEST_REDIS_WORKER_DBS ("7,8,9,10") when that is set. Without xdist, TEST_REDIS_URL itself."""
    if not url or not worker:
        return url
    index = int(worker.removeprefix("gw"))
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    listed = [int(n) for n in os.environ.get("TEST_REDIS_WORKER_DBS", "").split(",") if n.strip()]
    number = listed[index % len(listed)] if listed else (base + index) % REDIS_DATABASES
    return parts._replace(path=f"/{number}").geturl()


TEST_DATABASE_URL = worker_database_url(os.environ.get("TEST_DATABASE_URL", ""))
TEST_REDIS_URL = worker_redis_url(os.environ.get("TEST_REDIS_URL", ""))


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    if TEST_DB == "postgres" and not TEST_DATABASE_URL:
        raise pytest.UsageError("TEST_DB=postgres needs TEST_DATABASE_URL")
    if IN_CI:
        missing = [
            name
            for name, url, port in (
                ("TEST_DATABASE_URL", TEST_DATABASE_URL, 5432),
                ("TEST_REDIS_URL", TEST_REDIS_URL, 6379),
            )
            if not url or not _reachable(url, port)
        ]
        if missing:
            raise pytest.UsageError(f"CI must reach the real services, but these are unset or unreachable: {missing}")
    if WORKER and TEST_DATABASE_URL and _reachable(TEST_DATABASE_URL, 5432):
        # this worker's PostgreSQL database, for the PostgreSQL pass and for the SQLite pass's PostgreSQL tests
        _create_database_if_missing(TEST_DATABASE_URL)


def require_service(url: str, name: str) -> str:
    """A service a test needs: in CI its absence is a failure, never a skip."""
    if url and _reachable(url, 6379 if url.startswith("redis") else 5432):
        return url
    if IN_CI:
        pytest.fail(f"{name} is required in CI but is not reachable")
    pytest.skip(f"{name} not set or not reachable (set it to run this test)")


# ---- database ------------------------------------------------------------------------------------


def _base_config(tmp: Path, database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DEBUG": False,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "UPLOAD_DIR": str(tmp / "uploads"),
        "SMTP_HOST": None,
        "REDIS_URL": None,
        "CELERY_EMBEDDED_BROKER": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": False,
        "PUBLIC_BASE_URL": "http://localhost",
        "PROXY_FIX_HOPS": 0,
    }


def app_role_url(owner_url: str) -> str:
    """The owner's URL with the app's role (``APP_ROLE``) in its place: same host, port, database and options."""
    from sqlalchemy.engine import make_url

    return make_url(owner_url).set(username=APP_ROLE, password=APP_ROLE_PASSWORD).render_as_string(hide_password=False)


def create_app_role(owner_url: str) -> None:
    """Create the app's login role if the cluster has none yet. Roles are the cluster's, shared by every test
    database on it: a run or worker creating it at the same moment is no failure."""
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}) is None:
                try:
                    conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_ROLE_PASSWORD}'"))
                except DBAPIError:
                    assert conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE})
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run the migrations once; returns the URL the app under test uses: a template file on SQLite, on PostgreSQL
    the migrated database as ``APP_ROLE``, granted by production's own command (``flask database grant-app``)."""
    from flask_migrate import upgrade

    from app import create_app

    tmp = tmp_path_factory.mktemp("db")  # one per xdist worker: each has its own SQLite template
    if TEST_DB == "postgres":
        # Owner: only the owner may drop and create the schema, migrate, and grant.
        url = TEST_DATABASE_URL
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp / 'template.sqlite'}"
    app = create_app(_base_config(tmp, url))
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()
    if TEST_DB != "postgres":
        return url
    create_app_role(url)
    result = app.test_cli_runner().invoke(args=["database", "grant-app", APP_ROLE])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return app_role_url(url)


@pytest.fixture(scope="session")
def owner_database_url(migrated_database: str) -> str:
    """The tables' owner's URL (TEST_DATABASE_URL's role) on PostgreSQL, the template's on SQLite (one user).
    Only for what the application's role must not be able to do; every use says why."""
    return TEST_DATABASE_URL if TEST_DB == "postgres" else migrated_database


def _create_database_if_missing(url: str) -> None:
    """A worker's PostgreSQL database (``test_gw0``) is created on first use, next to TEST_DATABASE_URL's."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def _truncate_postgres(owner_url: str) -> None:
    """Empty every table. Owner: the app's role may not TRUNCATE, and only a superuser may set aside the triggers
    with which the records refuse it (migration 0010)."""
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
        ]
        if tables:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(migrated_database: str, owner_database_url: str, tmp_path: Path) -> str:
    """This test's database as the app connects to it: empty tables (on PostgreSQL as ``APP_ROLE``)."""
    if TEST_DB == "postgres":
        _truncate_postgres(owner_database_url)
        return migrated_database
    template = Path(urlsplit(migrated_database).path)
    copy = tmp_path / "test.sqlite"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Override in a test module (or update in a test) before ``app`` is created."""
    return _base_config(tmp_path, database_url)


class IsolatedClient(FlaskClient):
    """Each request runs in a context of its own (own ``g``, own DB session), as on a real server,
    instead of reusing the app context the test body holds."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    from app import create_app
    from app.extensions import db

    flask_app = create_app(app_config)
    flask_app.test_client_class = IsolatedClient
    with flask_app.app_context():
        yield flask_app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app() -> Iterator[Callable[[dict[str, Any]], Flask]]:
    """Extra app instances (a second web process, a worker's view); their connections are closed after the test."""
    from app import create_app
    from app.extensions import db

    made: list[Flask] = []

    def make(config: dict[str, Any]) -> Flask:
        flask_app = create_app(config)
        flask_app.test_client_class = IsolatedClient
        made.append(flask_app)
        return flask_app

    yield make
    for flask_app in made:
        with flask_app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """pytest-flask's client, without ``with``: preserved request contexts would outlive the request."""
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Any:
    from app.extensions import db as _db

    return _db


# ---- factories -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def password_hash() -> str:
    from app.auth.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def make_unit(db: Any) -> Callable[..., Any]:
    from app.units.models import Unit, UnitKind

    def make(name: str | None = None, **kwargs: Any) -> Unit:
        unit = Unit(name=name or f"Enhet {uuid.uuid4().hex[:6]}", kind=kwargs.pop("kind", UnitKind.school), **kwargs)
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_user(db: Any, password_hash: str) -> Callable[..., Any]:
    from app.auth.models import Role, User, UserRole
    from app.units.models import Membership

    def make(*roles: str, units: tuple[Any, ...] | list[Any] = (), email: str | None = None, **kwargs: Any) -> User:
        person = User(
            email=email or f"p{uuid.uuid4().hex[:8]}@example.se",
            name=kwargs.pop("name", "Test Person"),
            password_hash=kwargs.pop("password_hash", password_hash),
            is_active_account=kwargs.pop("is_active_account", True),
            **kwargs,
        )
        person.role_rows = [UserRole(role=Role(r)) for r in (roles or ("reviewer",))]
        person.memberships = [Membership(unit=u) for u in units]
        db.session.add(person)
        db.session.commit()
        return person

    return make


# ---- browser-like helpers ------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that logs in like a person and sends forms with their CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self) -> str:
        page = self.client.get("/login")
        if page.status_code == 302:
            page = self.client.get("/profile")
        return csrf_from(page.get_data(as_text=True))

    def login(self, person: Any, password: str = PASSWORD) -> Any:
        return self.client.post(
            "/login", data={"email": person.email, "password": password, "csrf_token": self.token()}
        )

    def logout(self) -> Any:
        return self.client.post("/logout", data={"csrf_token": self.token()})

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(url, data={"csrf_token": self.token(), **(data or {})}, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def new_browser(app: Flask) -> Callable[[], Browser]:
    return lambda: Browser(app.test_client())


@pytest.fixture
def api_token(db: Any) -> Callable[[Any], dict[str, str]]:
    """Authorization headers for a person's fresh API token."""
    from app.auth import services

    def make(person: Any) -> dict[str, str]:
        _token, raw = services.create_api_token(actor=person, label="test")
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return make


# ---- real services -------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    return require_service(TEST_REDIS_URL, "TEST_REDIS_URL")


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server in this process (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            import email
            import email.policy

            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()
