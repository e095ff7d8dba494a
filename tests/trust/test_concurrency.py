"""Simultaneous evaluations on PostgreSQL, in real concurrent transactions: one open breach per boundary version
(the partial unique index), one closer-review visit and one change of trust level, however many run at once."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from app.core.models import utcnow
from app.trust import services
from app.trust.models import Breach, Reading, TrustChange
from app.visits.models import Visit, VisitPurpose
from tests.conftest import TEST_DB

pytestmark = pytest.mark.skipif(TEST_DB != "postgres", reason="concurrent transactions are tested on PostgreSQL")

WORKERS = 4


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def crossing_unit(db, make_unit, make_indicator, make_boundary, make_visit, enqueued):
    """A unit whose boundary is crossed by readings stored before any evaluation saw them."""
    unit = make_unit("Björkbacken")
    make_visit("planned", unit=unit)
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=2)
    for period in ("2029-01", "2029-02"):
        db.session.add(Reading(id=uuid.uuid4(), unit_id=unit.id, indicator_id=indicator.id, period=period, value=50))
    db.session.commit()
    return unit, indicator


def run_at_once(make_app, app_config, work) -> tuple[list[Any], list[BaseException]]:
    """Run ``work()`` in WORKERS threads, each with an app (and a database connection) of its own, released together."""
    from app.extensions import db as _db

    apps = [make_app(app_config) for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = []
    errors: list[BaseException] = []

    def thread(flask_app) -> None:
        with flask_app.app_context():
            flask_app.extensions["celery"].send_task = lambda *args, **kwargs: None  # no broker in these threads
            try:
                barrier.wait(timeout=30)
                results.append(work())
                _db.session.commit()
            except BaseException as exc:
                _db.session.rollback()
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=thread, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_simultaneous_evaluations_open_one_breach_one_visit_and_one_change(db, crossing_unit, make_app, app_config):
    unit, _indicator = crossing_unit
    unit_id = unit.id  # the threads must not touch the test's own session

    results, errors = run_at_once(make_app, app_config, lambda: len(services.evaluate_unit(unit_id)))

    assert errors == []
    assert sorted(results) == [0] * (WORKERS - 1) + [1]
    assert count(db, Breach, Breach.unit_id == unit_id) == 1
    assert count(db, Visit, Visit.unit_id == unit_id, Visit.purpose == VisitPurpose.closer_review) == 1
    assert count(db, TrustChange, TrustChange.unit_id == unit_id) == 1


def test_two_boundaries_crossed_at_once_in_separate_transactions_make_one_visit_and_one_change(
    db, make_unit, make_indicator, make_boundary, make_visit, make_app, app_config, enqueued
):
    """Each transaction opens a breach of a different boundary; only one may plan the visit and move the unit."""
    unit = make_unit("Björkbacken")
    make_visit("planned", unit=unit)
    larm, fall = make_indicator("larm"), make_indicator("fall", name_sv="Antal fall per 1000 vårddygn")
    make_boundary(unit, indicator=larm, comparator="<", threshold=90, periods=1)
    make_boundary(unit, indicator=fall, comparator=">", threshold=8, periods=1)
    for indicator, value in ((larm, 50), (fall, 12)):
        db.session.add(
            Reading(id=uuid.uuid4(), unit_id=unit.id, indicator_id=indicator.id, period="2029-02", value=value)
        )
    db.session.commit()
    unit_id, watched = unit.id, [larm.id, fall.id]
    turn = iter(range(WORKERS))
    lock = threading.Lock()

    def evaluate() -> int:
        with lock:
            indicator_id = watched[next(turn) % 2]
        return len(services.evaluate_unit(unit_id, indicator_ids={indicator_id}))

    results, errors = run_at_once(make_app, app_config, evaluate)

    assert errors == []
    assert sorted(results) == [0] * (WORKERS - 2) + [1, 1]
    assert count(db, Breach, Breach.unit_id == unit_id) == 2
    assert count(db, Visit, Visit.unit_id == unit_id, Visit.purpose == VisitPurpose.closer_review) == 1
    assert count(db, TrustChange, TrustChange.unit_id == unit_id) == 1


def test_simultaneous_reports_of_the_same_readings_open_one_breach(db, crossing_unit, make_app, app_config):
    unit, _indicator = crossing_unit
    unit_id = unit.id  # the threads must not touch the test's own session
    db.session.execute(Reading.__table__.delete())
    db.session.commit()

    def report() -> int:
        from app.core import access

        result = services.record_readings(
            unit_id,
            [services.ReadingInput("larm", "2029-01", 40), services.ReadingInput("larm", "2029-02", 45)],
            actor=access.OPERATOR,  # type: ignore[arg-type]
            today=date(2030, 1, 1),
        )
        return len(result.breaches)

    results, errors = run_at_once(make_app, app_config, report)

    assert errors == []
    assert sorted(results) == [0] * (WORKERS - 1) + [1]
    assert count(db, Reading, Reading.unit_id == unit_id) == 2
    assert count(db, Breach) == 1


def test_the_database_itself_lets_only_one_of_two_concurrent_transactions_open_a_breach(
    db, crossing_unit, database_url
):
    """Without the service's lock: two transactions insert an open breach for one version; the second waits for
    the first and is refused by the partial unique index."""
    unit, _indicator = crossing_unit
    [version] = db.session.scalars(services.active_versions_query(unit.id)).unique().all()
    engine = create_engine(database_url)

    def row() -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "unit_id": unit.id,
            "boundary_id": version.boundary_id,
            "boundary_version_id": version.id,
            "opened_at": utcnow(),
            "evidence": {},
            "trigger_keys": [],
        }

    outcome: list[str] = []
    with engine.connect() as first:
        first.begin()
        first.execute(insert(Breach.__table__), row())

        def second_transaction() -> None:
            with engine.connect() as second, second.begin():
                try:
                    second.execute(insert(Breach.__table__), row())
                    outcome.append("inserted")
                except IntegrityError:
                    outcome.append("refused")

        other = threading.Thread(target=second_transaction)
        other.start()
        other.join(timeout=1)
        assert other.is_alive()  # waiting on the first transaction's uncommitted row
        first.commit()
        other.join(timeout=30)
    engine.dispose()
    assert outcome == ["refused"]
    assert count(db, Breach) == 1
