"""Evaluation of every boundary kind, its idempotency, and what a new breach sets off: closer review, one
closer-review visit, e-mail to the unit and the coordinators; closing breaches and restoring baseline trust."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from app.core import access
from app.core.errors import DomainError, Forbidden, InvalidInput
from app.trust import services
from app.trust.models import Breach, TrustChange
from app.units.models import Membership, TrustLevel
from app.visits.models import Visit, VisitPurpose, VisitStatus

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(db, obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture
def crossed(db, make_unit, make_indicator, make_boundary, report, make_visit, enqueued):
    """A unit with an earlier visit, an alarm boundary (< 90 for 2 months) and readings that cross it."""

    def make(unit=None, **boundary):
        unit = unit or make_unit("Björkbacken")
        earlier = make_visit("final", unit=unit)
        indicator = make_indicator("larm")
        make_boundary(unit, indicator=indicator, periods=2, **boundary)
        result = report(unit, indicator, {"2029-01": 85, "2029-02": 80})
        return unit, indicator, earlier, result

    return make


# ---- consequences ---------------------------------------------------------------------------------


def test_a_new_breach_moves_the_unit_to_closer_review_and_records_why(db, crossed):
    unit, _indicator, _earlier, result = crossed()

    [breach] = result.breaches
    assert fresh(db, unit).trust_level == TrustLevel.closer_review
    [change] = db.session.scalars(select(TrustChange).where(TrustChange.unit_id == unit.id)).all()
    assert (change.from_level, change.to_level, change.breach_id) == (
        TrustLevel.baseline,
        TrustLevel.closer_review,
        breach.id,
    )
    assert change.actor_id is None
    assert "Andel larm besvarade inom 10 minuter" in change.reason


def test_a_new_breach_opens_one_unplanned_closer_review_visit_with_the_latest_visits_template_and_lead(db, crossed):
    unit, _indicator, earlier, result = crossed()

    [visit] = db.session.scalars(select(Visit).where(Visit.purpose == VisitPurpose.closer_review)).all()
    assert (visit.unit_id, visit.status, visit.visit_date) == (unit.id, VisitStatus.planned, None)
    assert visit.template_version.template_id == earlier.template_version.template_id
    assert visit.lead.id == earlier.lead.id
    assert result.breaches[0].visit_id == visit.id


def test_breaches_of_two_boundaries_make_one_closer_review_visit_and_one_change_of_trust_level(
    db, crossed, make_boundary, make_indicator, report
):
    unit, *_ = crossed()
    falls = make_indicator("fall", name_sv="Antal fall per 1000 vårddygn", unit_of_measure="per 1000 vårddygn")
    make_boundary(unit, indicator=falls, comparator=">", threshold=8, periods=1)

    second = report(unit, falls, {"2029-02": 12})

    assert len(second.breaches) == 1
    assert count(db, Breach, Breach.unit_id == unit.id) == 2
    assert count(db, Visit, Visit.purpose == VisitPurpose.closer_review) == 1
    assert count(db, TrustChange, TrustChange.unit_id == unit.id) == 1


def test_a_closed_closer_review_visit_does_not_count_as_open(db, crossed, make_visit, make_unit):
    unit = make_unit("Solrosen")
    old = make_visit("planned", unit=unit)
    old.purpose = VisitPurpose.closer_review
    old.status = VisitStatus.closed
    db.session.commit()

    crossed(unit=unit)

    assert count(db, Visit, Visit.purpose == VisitPurpose.closer_review, Visit.status == VisitStatus.planned) == 1


def test_a_lead_who_now_belongs_to_the_unit_is_not_chosen_jav(
    db, make_unit, make_visit, make_user, make_indicator, make_boundary, report, enqueued
):
    unit = make_unit("Östra")
    other = make_user("reviewer", name="Örjan Other")
    make_visit("planned", lead=other)  # who led a visit elsewhere most recently
    earlier = make_visit("planned", unit=unit)
    earlier.lead.memberships.append(Membership(unit=unit))  # the unit's latest lead has since joined the unit
    db.session.commit()
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=1)

    report(unit, indicator, {"2029-01": 50})

    visit = db.session.scalar(select(Visit).where(Visit.purpose == VisitPurpose.closer_review))
    assert visit.lead.id == other.id


def test_without_any_template_no_visit_is_planned_but_the_breach_and_trust_level_stand(
    db, make_unit, make_indicator, make_boundary, report, make_user, enqueued
):
    unit = make_unit("Mallös")
    coordinator = make_user("coordinator", name="Cora", language="en")
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=1)

    result = report(unit, indicator, {"2029-01": 50})

    assert result.breaches[0].visit_id is None
    assert fresh(db, unit).trust_level == TrustLevel.closer_review
    assert count(db, Visit) == 0
    [to_coordinator] = [e for e in enqueued.emails() if e.recipient == coordinator.email]
    assert "Please plan one" in to_coordinator.text


def test_the_unit_members_and_coordinators_get_an_email_after_the_commit(
    app, db, make_unit, make_indicator, make_boundary, make_user, make_visit, enqueued, smtp_server
):

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False)
    unit = make_unit("Björkbacken")
    make_visit("planned", unit=unit)
    member = make_user("unit_member", units=[unit], name="Elin Enhet", email="elin@example.se", language="sv")
    coordinator = make_user("coordinator", name="Sara Samordnare", email="sara@example.se", language="en")
    make_user("unit_member", units=[make_unit("Annan")], email="annan@example.se")
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=1, acceptor=member)
    enqueued.clear()

    services.record_readings(
        unit.id, [services.ReadingInput("larm", "2029-01", 42)], actor=access.OPERATOR, today=date(2030, 1, 1)
    )
    assert enqueued.calls == []  # nothing leaves before the commit
    db.session.commit()
    assert set(enqueued.names()) == {"mail.send"}
    enqueued.send_mail()

    received = {m["To"]: m for m in smtp_server.messages}
    assert set(received) == {member.email, coordinator.email}
    assert received[member.email]["Subject"] == "En förtroendegräns har överskridits: Björkbacken"
    assert received[coordinator.email]["Subject"] == "A trust boundary is crossed: Björkbacken"
    body = received[coordinator.email].get_body(("plain",)).get_content()
    assert f"http://localhost/units/{unit.id}" in body
    assert "Share of alarms answered within 10 minutes" in body
    assert "Larm som inte besvaras" not in body  # titles and links only, not what was agreed or read


# ---- idempotency ----------------------------------------------------------------------------------


def test_evaluating_again_and_again_opens_no_second_breach(db, crossed):
    unit, *_ = crossed()
    for _ in range(3):
        assert services.evaluate_unit(unit.id) == []
        db.session.commit()
    assert count(db, Breach) == 1
    assert count(db, Visit, Visit.purpose == VisitPurpose.closer_review) == 1


def test_a_closed_breach_is_not_reopened_by_the_same_months_but_a_new_month_on_the_wrong_side_opens_one(
    db, crossed, make_user, report
):
    unit, indicator, _earlier, result = crossed()
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Vi har gått igenom larmloggen.")
    db.session.commit()

    assert services.evaluate_unit(unit.id) == []
    assert report(unit, indicator, {"2029-02": 79}).breaches == []  # a correction within the same window

    assert len(report(unit, indicator, {"2029-03": 70}).breaches) == 1


def test_the_database_refuses_a_second_open_breach_for_a_boundary_version(db, crossed):
    from sqlalchemy.exc import IntegrityError

    _unit, _indicator, _earlier, result = crossed()
    first = result.breaches[0]
    db.session.add(
        Breach(unit_id=first.unit_id, boundary_id=first.boundary_id, boundary_version_id=first.boundary_version_id)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_closed_breach_leaves_room_for_a_new_open_one_in_the_database(db, crossed, make_user):
    _unit, _indicator, _earlier, result = crossed()
    first = result.breaches[0]
    services.close_breach(first.id, actor=make_user("reviewer"), note="Genomgånget tillsammans med enheten.")
    db.session.add(
        Breach(unit_id=first.unit_id, boundary_id=first.boundary_id, boundary_version_id=first.boundary_version_id)
    )
    db.session.commit()
    assert count(db, Breach) == 2


# ---- serious deviations ---------------------------------------------------------------------------


@pytest.fixture
def deviation_boundary(db, make_unit, make_boundary, enqueued):
    unit = make_unit("Björkbacken")
    make_boundary(unit, "serious_deviation", rationale="Allvarliga brister följs alltid upp tillsammans.")
    return unit


def test_a_serious_deviation_breaches_when_the_report_goes_out_for_comment(db, deviation_boundary, make_visit):
    visit = make_visit("draft", unit=deviation_boundary, findings=(("deviation", "serious", "Larmet var avstängt."),))
    assert count(db, Breach) == 0  # not while the report is a draft

    from app.visits import services as visit_services

    visit_services.transition(visit.id, actor=access.OPERATOR, to="sent_for_comment")
    db.session.commit()

    [breach] = db.session.scalars(select(Breach)).all()
    assert breach.evidence["findings"][0]["case_number"] == visit.case_number
    assert fresh(db, deviation_boundary).trust_level == TrustLevel.closer_review


def test_a_minor_deviation_is_no_breach(db, deviation_boundary, make_visit):
    make_visit("sent_for_comment", unit=deviation_boundary, findings=(("deviation", "minor", "En pärm saknades."),))
    assert count(db, Breach) == 0


def test_a_serious_deviation_from_before_the_boundary_was_agreed_is_no_breach_of_it(
    db, make_unit, make_visit, make_boundary, enqueued
):
    unit = make_unit("Björkbacken")
    make_visit("sent_for_comment", unit=unit, findings=(("deviation", "serious", "Tidigare brist."),))
    make_boundary(unit, "serious_deviation")
    assert count(db, Breach) == 0


def test_finalising_without_kommunicering_counts_as_reaching_it(db, deviation_boundary, make_visit, follow_up_row):
    visit = make_visit("draft", unit=deviation_boundary, findings=(("deviation", "serious", "Brist."),))
    follow_up_row(deviation_boundary, finding=visit.findings[0])  # a serious deviation needs one to be final
    from app.visits import services as visit_services

    visit_services.transition(
        visit.id, actor=access.OPERATOR, to="final", waiver_reason="Enheten har avstått skriftligen från yttrande."
    )
    db.session.commit()
    assert count(db, Breach) == 1


# ---- overdue follow-ups ---------------------------------------------------------------------------


@pytest.fixture
def overdue_boundary(db, make_unit, make_boundary, enqueued):
    unit = make_unit("Björkbacken")
    make_boundary(unit, "overdue_follow_up", days=7, rationale="Det vi kommer överens om ska bli gjort.")
    return unit


def test_a_follow_up_exactly_d_days_late_is_no_breach_and_one_day_more_is(db, overdue_boundary, follow_up_row):
    follow_up = follow_up_row(overdue_boundary, due_date=date(2026, 3, 1))
    with time_machine.travel(datetime(2026, 3, 8, 12, tzinfo=STOCKHOLM), tick=False):
        assert services.evaluate_unit(overdue_boundary.id) == []
    with time_machine.travel(datetime(2026, 3, 9, 12, tzinfo=STOCKHOLM), tick=False):
        [breach] = services.evaluate_unit(overdue_boundary.id)
    assert breach.evidence["follow_ups"][0]["follow_up_id"] == str(follow_up.id)


def test_a_follow_up_reported_done_or_only_proposed_is_not_overdue(db, overdue_boundary, follow_up_row):
    follow_up_row(overdue_boundary, status="done_reported", due_date=date(2026, 1, 1))
    follow_up_row(overdue_boundary, status="proposed", due_date=date(2026, 1, 1))
    with time_machine.travel(datetime(2026, 3, 9, 12, tzinfo=STOCKHOLM), tick=False):
        assert services.evaluate_unit(overdue_boundary.id) == []


def test_a_changed_follow_up_is_evaluated_at_once(db, overdue_boundary, follow_up_row):
    from app.core import signals
    from app.followups.models import FollowUpStatus

    with time_machine.travel(datetime(2026, 3, 20, 12, tzinfo=STOCKHOLM), tick=False):
        follow_up = follow_up_row(overdue_boundary, status="proposed", due_date=date(2026, 3, 1))
        follow_up.status = FollowUpStatus.agreed
        db.session.flush()
        signals.follow_up_changed.send(follow_up, actor=access.OPERATOR, previous="proposed")
        db.session.commit()
    assert count(db, Breach) == 1


def test_when_a_late_follow_up_is_reported_done_the_breach_stays_open_and_is_marked(
    db, overdue_boundary, follow_up_row
):
    from app.core import signals
    from app.followups.models import FollowUpStatus

    follow_up = follow_up_row(overdue_boundary, due_date=date(2026, 1, 1))
    with time_machine.travel(datetime(2026, 3, 20, 12, tzinfo=STOCKHOLM), tick=False):
        services.evaluate_unit(overdue_boundary.id)
        follow_up.status = FollowUpStatus.done_reported
        db.session.flush()
        signals.follow_up_changed.send(follow_up, actor=access.OPERATOR, previous="agreed")
        db.session.commit()
    [breach] = db.session.scalars(select(Breach)).all()
    assert breach.closed_at is None and breach.condition_cleared_at is not None
    assert fresh(db, overdue_boundary).trust_level == TrustLevel.closer_review  # never drops by itself


def test_the_sweep_finds_a_follow_up_that_became_overdue_as_days_passed(db, overdue_boundary, follow_up_row, app):
    follow_up_row(overdue_boundary, due_date=date(2026, 3, 1))
    runner = app.test_cli_runner()
    with time_machine.travel(datetime(2026, 3, 5, 12, tzinfo=STOCKHOLM), tick=False):
        assert "0 new breach" in runner.invoke(args=["trust", "evaluate"]).output
    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=STOCKHOLM), tick=False):
        result = runner.invoke(args=["trust", "evaluate", "--unit", overdue_boundary.name])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "evaluated 1 unit(s); 1 new breach(es)"


# ---- closing breaches and restoring baseline ------------------------------------------------------


def test_restoring_baseline_is_refused_while_a_breach_is_open(db, crossed, make_user):
    unit, *_ = crossed()
    with pytest.raises(DomainError) as refused:
        services.restore_baseline(unit.id, actor=make_user("coordinator"), reason="Allt ser bra ut nu igen.")
    assert refused.value.status == 409
    assert "1" in refused.value.message
    assert fresh(db, unit).trust_level == TrustLevel.closer_review


def test_a_coordinator_restores_baseline_with_a_reason_once_every_breach_is_closed(db, crossed, make_user):
    unit, _indicator, _earlier, result = crossed()
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Larmrutinen är ändrad.")
    coordinator = make_user("coordinator", name="Sara Samordnare")

    change = services.restore_baseline(unit.id, actor=coordinator, reason="Tre månader över 90 % igen.")
    db.session.commit()

    assert fresh(db, unit).trust_level == TrustLevel.baseline
    assert (change.from_level, change.to_level, change.actor_id, change.reason) == (
        TrustLevel.closer_review,
        TrustLevel.baseline,
        coordinator.id,
        "Tre månader över 90 % igen.",
    )
    history = db.session.scalars(services.trust_history_query(unit.id)).all()
    assert [c.to_level for c in history] == [TrustLevel.baseline, TrustLevel.closer_review]


def test_restoring_needs_a_written_reason_and_a_coordinator(db, crossed, make_user):
    unit, _indicator, _earlier, result = crossed()
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Larmrutinen är ändrad.")
    with pytest.raises(InvalidInput) as no_reason:
        services.restore_baseline(unit.id, actor=make_user("coordinator"), reason="  ")
    assert "reason" in no_reason.value.errors
    with pytest.raises(Forbidden):
        services.restore_baseline(unit.id, actor=make_user("reviewer"), reason="Det ser bra ut igen nu.")


def test_closing_a_breach_needs_a_note_and_a_reviewer_outside_the_unit(db, crossed, make_user):
    unit, _indicator, _earlier, result = crossed()
    breach = result.breaches[0]
    with pytest.raises(InvalidInput):
        services.close_breach(breach.id, actor=make_user("reviewer"), note="ok")
    with pytest.raises(Forbidden):
        services.close_breach(breach.id, actor=make_user("unit_member", units=[unit]), note="Vi tycker det är bra.")
    peer = make_user("reviewer", "unit_member", units=[unit])
    with pytest.raises(Forbidden):
        services.close_breach(breach.id, actor=peer, note="Jag granskar min egen enhet.")
    assert fresh(db, breach).closed_at is None


def test_a_closed_breach_cannot_be_closed_again(db, crossed, make_user):
    _unit, _indicator, _earlier, result = crossed()
    reviewer = make_user("reviewer")
    services.close_breach(result.breaches[0].id, actor=reviewer, note="Genomgånget med enheten.")
    with pytest.raises(DomainError):
        services.close_breach(result.breaches[0].id, actor=reviewer, note="Genomgånget med enheten igen.")


def test_the_unit_members_are_told_when_baseline_is_restored(db, crossed, make_user, enqueued):
    unit, _indicator, _earlier, result = crossed()
    member = make_user("unit_member", units=[unit], email="elin@example.se")
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Larmrutinen är ändrad.")
    db.session.commit()
    enqueued.clear()

    services.restore_baseline(unit.id, actor=make_user("coordinator"), reason="Tre goda månader i rad.")
    db.session.commit()

    recipients = {e.recipient for e in enqueued.emails()}
    assert member.email in recipients
    assert all("grundförtroende" in e.subject for e in enqueued.emails())


def test_breach_consequences_are_written_by_the_system_and_the_reading_by_its_reporter(
    db, make_unit, make_indicator, make_boundary, make_user, make_visit, enqueued
):
    from app.core import audit
    from app.core.models import AuditEvent

    unit = make_unit("Björkbacken")
    make_visit("planned", unit=unit)
    member = make_user("unit_member", units=[unit])
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=1, acceptor=member)
    audit.set_audit_context(db.session(), audit.AuditContext(actor_id=member.id, via="web"))

    services.record_readings(unit.id, [services.ReadingInput("larm", "2026-01", 42)], actor=member)
    db.session.commit()

    def events(object_type):
        return db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == object_type)).all()

    assert {(e.actor_id, e.via) for e in events("reading")} == {(member.id, "web")}
    assert {(e.actor_id, e.actor_label) for e in events("breach")} == {(None, "system")}
    assert {e.actor_label for e in events("visit") if e.changes.get("purpose") == [None, "closer_review"]} == {"system"}
    assert audit.get_audit_context(db.session()).actor_id == member.id  # the request's context is back


def test_restoring_baseline_cancels_the_open_closer_review_visit_with_the_same_reason_when_asked(
    db, crossed, make_user, make_template
):
    from app.visits import services as visit_services
    from app.visits.models import VisitStatus

    unit, _indicator, _earlier, result = crossed()
    make_template()
    make_user("reviewer", name="Rita Granskare")
    visit = visit_services.open_closer_review_visit(unit.id) or visit_services.plan_closer_review(
        unit.id, aim="Närmare."
    )
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Larmrutinen är ändrad.")
    services.restore_baseline(
        unit.id, actor=make_user("coordinator"), reason="Tre goda månader i rad.", cancel_closer_review=True
    )
    db.session.commit()
    assert (visit.status, visit.cancel_reason) == (VisitStatus.cancelled, "Tre goda månader i rad.")
    assert visit_services.open_closer_review_visit(unit.id) is None


def test_restoring_baseline_leaves_the_closer_review_visit_planned_unless_asked(db, crossed, make_user, make_template):
    from app.visits import services as visit_services
    from app.visits.models import VisitStatus

    unit, _indicator, _earlier, result = crossed()
    make_template()
    make_user("reviewer", name="Rita Granskare")
    visit = visit_services.open_closer_review_visit(unit.id) or visit_services.plan_closer_review(
        unit.id, aim="Närmare."
    )
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Larmrutinen är ändrad.")
    services.restore_baseline(unit.id, actor=make_user("coordinator"), reason="Tre goda månader i rad.")
    db.session.commit()
    assert visit.status == VisitStatus.planned


def test_baseline_again_says_the_closer_review_visit_is_still_planned_when_it_is_not_cancelled(
    db, crossed, make_user, make_template, enqueued
):
    from app.visits import services as visit_services

    unit, _indicator, _earlier, result = crossed()
    make_template()
    make_user("reviewer", name="Rita Granskare")
    person = make_user("unit_member", units=[unit], name="Ulla Enhet", language="en")
    visit = visit_services.open_closer_review_visit(unit.id) or visit_services.plan_closer_review(
        unit.id, aim="Närmare."
    )
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Larmrutinen är ändrad.")
    db.session.commit()
    enqueued.clear()
    services.restore_baseline(unit.id, actor=make_user("coordinator"), reason="Tre goda månader i rad.")
    db.session.commit()
    [email] = [e for e in enqueued.emails() if e.recipient == person.email]
    assert f"The closer-review visit {visit.case_number} is still planned" in email.text
    assert "is cancelled; it is no longer needed" not in email.text


def test_restoring_baseline_and_cancelling_the_closer_review_visit_tells_the_unit_once(
    db, crossed, make_user, make_template, enqueued
):
    """One act, one notice: the coordinator restores baseline trust and, in the same act, cancels the closer-review
    visit. The unit's members get the one "baseline again" e-mail, which says the visit is cancelled; the visit's
    cancellation is not told a second time as a line of their next batched e-mail (DESIGN.md 4.2, 4.3)."""
    from app.dialogue.models import PendingNotice
    from app.visits import services as visit_services

    unit, _indicator, _earlier, result = crossed()
    make_template()
    make_user("reviewer", name="Rita Granskare")
    person = make_user("unit_member", units=[unit], name="Ulla Enhet", language="en")
    visit = visit_services.open_closer_review_visit(unit.id) or visit_services.plan_closer_review(
        unit.id, aim="Närmare."
    )
    services.close_breach(result.breaches[0].id, actor=make_user("reviewer"), note="Larmrutinen är ändrad.")
    db.session.commit()
    enqueued.clear()
    services.restore_baseline(
        unit.id, actor=make_user("coordinator"), reason="Tre goda månader i rad.", cancel_closer_review=True
    )
    db.session.commit()
    [email] = [e for e in enqueued.emails() if e.recipient == person.email]
    assert f"The closer-review visit {visit.case_number} is cancelled; it is no longer needed." in email.text
    waiting = db.session.scalars(select(PendingNotice).where(PendingNotice.recipient_id == person.id)).all()
    assert [(n.kind, n.object_id) for n in waiting] == []  # no second notice of the same act
