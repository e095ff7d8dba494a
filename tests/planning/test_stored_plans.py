"""Stored plans (DESIGN.md 4.7, issues 16 and 17): the interval, reason and next visit due stored per unit equal
the ones computed on read (tests/planning/reference.py) over a matrix of cases and days, are rewritten in the
transaction of the change, and follow the settings through ``flask planning recalculate``."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from flask_babel import force_locale

from tests.planning.reference import interval_on_read

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Days the stored plans are read on: today, within a year, just before and after the breach of the matrix stops
# counting (24 months after 30 November 2026), and years later.
DAYS = [date(2026, 11, 30), date(2027, 6, 1), date(2028, 11, 30), date(2028, 12, 1), date(2031, 1, 1)]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _stored(app, unit, today):
    from app.extensions import db
    from app.planning.models import StoredPlan
    from app.planning.services import effective

    with app.test_request_context():
        plan = db.session.get(StoredPlan, unit.id)
        assert plan is not None, f"no stored plan for {unit.name}"
        return effective(plan, today)


def _sentences(app, interval):
    with app.test_request_context():
        with force_locale("en"):
            english = interval.sentence
        with force_locale("sv"):
            swedish = interval.sentence
    return english, swedish


@pytest.fixture
def matrix(clock, db, make_user, make_unit, make_visit, make_boundary):
    """Units in every case of the rule, each made through the services."""
    from app.trust import services as trust
    from app.trust.models import Breach
    from app.visits.models import Finding, FindingKind, Severity

    def serious_visit(unit, day):
        """A final visit whose finding is then recorded as a serious deviation (the follow-up gate aside)."""
        visit = make_visit("final", unit=unit, visit_date=day)
        finding = db.session.query(Finding).filter_by(visit_id=visit.id).first()
        finding.kind, finding.severity = FindingKind.deviation, Severity.serious
        db.session.commit()

    coordinator = make_user("coordinator")
    units = {"never visited": make_unit("Aldrig")}
    units["one clean visit"] = make_unit("Ett besök")
    make_visit("final", unit=units["one clean visit"], visit_date=date(2025, 3, 3))
    units["two clean visits"] = make_unit("Två besök")
    make_visit("final", unit=units["two clean visits"], visit_date=date(2023, 10, 1))
    make_visit("final", unit=units["two clean visits"], visit_date=date(2025, 10, 1))
    units["serious latest"] = make_unit("Allvarlig senast")
    make_visit("final", unit=units["serious latest"], visit_date=date(2023, 10, 1))
    serious_visit(units["serious latest"], date(2025, 9, 1))
    units["serious earlier"] = make_unit("Allvarlig tidigare")
    serious_visit(units["serious earlier"], date(2023, 9, 1))
    make_visit("final", unit=units["serious earlier"], visit_date=date(2025, 9, 1))
    units["planned and cancelled"] = make_unit("Planerat")
    make_visit("final", unit=units["planned and cancelled"], visit_date=date(2024, 2, 29))
    make_visit("final", unit=units["planned and cancelled"], visit_date=date(2025, 2, 28))
    make_visit("planned", unit=units["planned and cancelled"], visit_date=date(2027, 1, 10))
    make_visit("cancelled", unit=units["planned and cancelled"], visit_date=date(2026, 12, 10))
    # A breach opens and the unit goes to closer review; another has its trust restored after the breach.
    for name in ("closer review", "restored after a breach"):
        unit = units[name] = make_unit(name.capitalize())
        make_visit("final", unit=unit, visit_date=date(2023, 10, 1))
        make_visit("final", unit=unit, visit_date=date(2025, 10, 1))
        make_boundary(unit, "serious_deviation")
        serious = (("deviation", "serious", "B."),)
        make_visit("sent_for_comment", unit=unit, visit_date=date(2026, 11, 2), findings=serious)
    restored = units["restored after a breach"]
    breach = db.session.query(Breach).filter_by(unit_id=restored.id).one()
    trust.close_breach(breach.id, actor=make_user("reviewer"), note="Rutinerna är nu på plats och följs upp.")
    trust.restore_baseline(restored.id, actor=coordinator, reason="Inga öppna gränsöverskridanden kvarstår.")
    db.session.commit()
    return units


def test_stored_plans_equal_the_plans_computed_on_read_over_every_case_and_day(app, db, matrix):
    from app.planning.services import IntervalReason

    seen = set()
    for today in DAYS:
        for case, unit in matrix.items():
            with app.test_request_context():
                expected = interval_on_read(unit, today)
            stored = _stored(app, unit, today)
            assert (stored.months, stored.reason, stored.next_due, stored.since) == (
                expected.months,
                expected.reason,
                expected.next_due,
                expected.since,
            ), (case, today)
            assert _sentences(app, stored) == _sentences(app, expected), (case, today)
            seen.add(stored.reason)
    assert seen == set(IntervalReason)  # the matrix covers every reason
    # The breach of 2 November 2026 counts until 24 months later, then the two clean visits earn 36 months.
    restored = matrix["restored after a breach"]
    assert _stored(app, restored, date(2028, 11, 2)).reason == IntervalReason.breach
    later = _stored(app, restored, date(2028, 12, 1))
    assert (later.reason, later.months, later.next_due) == (IntervalReason.earned, 36, date(2028, 10, 1))


def test_the_plan_is_rewritten_in_the_transaction_of_the_change_and_rolled_back_with_it(
    clock, app, db, make_user, make_unit, make_visit
):
    from app.planning.models import StoredPlan
    from app.visits import services as visits
    from app.visits.models import Finding, FindingKind, Severity

    unit = make_unit("Transaktionen")
    make_visit("final", unit=unit, visit_date=date(2023, 10, 1))
    visit = make_visit("final", unit=unit, visit_date=date(2025, 10, 1))
    assert db.session.get(StoredPlan, unit.id).interval_months == 36

    finding = db.session.query(Finding).filter_by(visit_id=visit.id).first()
    finding.kind, finding.severity = FindingKind.deviation, Severity.serious  # a correction of a final visit
    db.session.flush()
    plan = db.session.get(StoredPlan, unit.id)
    assert (plan.interval_months, plan.interval_reason) == (24, "serious_deviation")  # before any commit
    db.session.rollback()
    assert db.session.get(StoredPlan, unit.id).interval_months == 36
    assert visits  # the services module is what make_visit used


def test_recalculate_follows_changed_settings(clock, app, db, make_unit, make_visit):
    from app.planning.models import StoredPlan

    unit = make_unit("Inställningar")
    make_visit("final", unit=unit, visit_date=date(2025, 3, 3))
    assert db.session.get(StoredPlan, unit.id).next_visit_due == date(2027, 3, 3)

    app.config["VISIT_INTERVAL_MONTHS"] = 18
    try:
        result = app.test_cli_runner().invoke(args=["planning", "recalculate"])
        assert result.exit_code == 0, result.output
        assert "planning recalculated for" in result.output
        db.session.expire_all()
        plan = db.session.get(StoredPlan, unit.id)
        assert (plan.interval_months, plan.next_visit_due) == (18, date(2026, 9, 3))
    finally:
        app.config["VISIT_INTERVAL_MONTHS"] = 24


def test_recording_on_site_asks_nothing_of_the_visit_the_session_holds(clock, app, db, make_unit, make_visit):
    """A finding flushed for an in-progress visit the session has loaded (recording on site) writes the finding
    and nothing else: the planning hook reads the visit's status from the session instead of a SELECT."""
    from sqlalchemy import event

    from app.visits.models import Finding, FindingKind

    visit = make_visit("in_progress", unit=make_unit("På plats"))
    area_id = db.session.query(Finding.review_area_id).filter_by(visit_id=visit.id).scalar()
    assert visit.status.value == "in_progress" and area_id is not None
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        db.session.add(Finding(visit_id=visit.id, review_area_id=area_id, kind=FindingKind.strength, text="Bra"))
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert seen and all(word != "SELECT" for word in seen), seen
