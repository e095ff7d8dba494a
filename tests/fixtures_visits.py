"""Factories for the visits domain: templates, visits in any status, findings, responses."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import create_engine, text

AREAS = """Trygghet och säkerhet
- Hur arbetar ni med riskbedömningar?
- Hur följs avvikelser upp?
Bemötande och delaktighet
- Hur görs de boende delaktiga i sin vardag?
"""


@pytest.fixture
def make_template(db, make_user) -> Callable[..., Any]:
    from app.core import access
    from app.visits import services

    def make(name: str = "Äldreomsorg", areas: str = AREAS) -> Any:
        template = services.create_template(actor=access.OPERATOR, name=name, areas=areas)  # type: ignore[arg-type]
        db.session.commit()
        return template

    return make


@pytest.fixture
def make_visit(db, make_unit, make_user, make_template) -> Callable[..., Any]:
    """A visit moved to ``status`` through the real services; the team lead is returned as ``visit.lead``."""
    from app.core import access
    from app.visits import services
    from app.visits.models import VisitStatus

    def make(
        status: str = "planned",
        *,
        unit: Any = None,
        lead: Any = None,
        members: tuple[Any, ...] = (),
        template: Any = None,
        findings: tuple[tuple[str, str | None, str], ...] = (("strength", None, "Bra rutiner för överlämning."),),
        visit_date: date | None = None,
        today: date | None = None,
    ) -> Any:
        unit = unit or make_unit()
        lead = lead or make_user("reviewer", name="Lena Lead")
        template = template or make_template()
        operator = access.OPERATOR
        # A visit of years ago was registered then: the case is created on its date (DESIGN.md 4.1 refuses a visit
        # date more than a year before registration).
        registered = (
            time_machine.travel(datetime.combine(visit_date, time(9), tzinfo=UTC), tick=False)
            if visit_date is not None and visit_date < date.today() - timedelta(days=365)
            else contextlib.nullcontext()
        )
        with registered:
            visit = services.create_visit(
                actor=operator,  # type: ignore[arg-type]
                unit_id=unit.id,
                template_id=template.id,
                visit_date=visit_date or date.today(),
                lead_id=lead.id,
                member_ids=[m.id for m in members],
            )
        order = list(VisitStatus)
        target = VisitStatus(status)
        if target == VisitStatus.cancelled:  # outside the line: cancelled while planned
            services.transition(
                visit.id,
                actor=operator,  # type: ignore[arg-type]
                to=VisitStatus.cancelled,
                reason="Besöket planerades av misstag.",
            )
            db.session.commit()
            return visit
        if order.index(target) >= order.index(VisitStatus.in_progress):
            services.transition(visit.id, actor=operator, to=VisitStatus.in_progress)  # type: ignore[arg-type]
            area = visit.template_version.areas[0]
            for kind, severity, text in findings:
                services.add_finding(
                    visit.id,
                    actor=operator,
                    kind=kind,
                    severity=severity,
                    text=text,
                    review_area_id=area.id,  # type: ignore[arg-type]
                )
        if order.index(target) >= order.index(VisitStatus.draft):
            services.transition(visit.id, actor=operator, to=VisitStatus.draft)  # type: ignore[arg-type]
        if order.index(target) >= order.index(VisitStatus.sent_for_comment):
            services.transition(
                visit.id,
                actor=operator,  # type: ignore[arg-type]
                to=VisitStatus.sent_for_comment,
                comment_deadline=(today or date.today()) + timedelta(days=14),
            )
        if order.index(target) >= order.index(VisitStatus.final):
            services.transition(
                visit.id,
                actor=operator,  # type: ignore[arg-type]
                to=VisitStatus.final,
                waiver_reason="Enheten har avstått från att yttra sig i telefonsamtal.",
            )
        if order.index(target) >= order.index(VisitStatus.closed):
            services.transition(visit.id, actor=operator, to=VisitStatus.closed)  # type: ignore[arg-type]
        db.session.commit()
        return visit

    return make


@pytest.fixture
def postgres_app(make_app, tmp_path) -> Iterator[Any]:
    """An app on a schema of its own in the PostgreSQL test database (whichever database the rest of the run
    uses), migrated from scratch by the owner and served as the app's role (``APP_ROLE``, granted as production
    grants it), with a connection pool large enough for tests acting from several threads."""
    from flask_migrate import upgrade

    from app.core.database_roles import grant_app_role
    from app.extensions import db
    from tests.conftest import APP_ROLE, TEST_DATABASE_URL, _base_config, app_role_url, create_app_role, require_service

    url = require_service(TEST_DATABASE_URL, "TEST_DATABASE_URL")
    schema = f"concurrency_{uuid.uuid4().hex[:10]}"
    search_path = {"connect_args": {"options": f"-csearch_path={schema}"}}
    # Owner: only the owner may create and drop a schema, migrate into it and grant on it.
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    create_app_role(url)
    owner_app = make_app({**_base_config(tmp_path, url), "SQLALCHEMY_ENGINE_OPTIONS": search_path})
    with owner_app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            grant_app_role(conn, APP_ROLE)
        db.engine.dispose()
    config = _base_config(tmp_path, app_role_url(url))
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {**search_path, "pool_size": 12, "max_overflow": 0}
    pg_app = make_app(config)
    try:
        yield pg_app
    finally:
        with pg_app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
