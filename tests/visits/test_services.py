"""The rules of DESIGN.md 4.1 and 4.6 at the service level: who may move a visit where, the kommunicering
gate, responses and final reports that never change, and case numbers under concurrent creation."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.core import access
from app.core.errors import DomainError, Forbidden, InvalidInput
from app.core.models import AuditEvent
from app.visits import report, services
from app.visits.models import FinalReport, Response, Visit, VisitStatus

S = VisitStatus
ROLES = ("coordinator", "lead", "team_reviewer", "other_reviewer", "unit_member")

# The moves DESIGN.md 4.1 allows (written out here, not taken from the code under test):
# forward one step at a time; back from draft to recording on site; and from draft straight to final
# only with the lead reviewer's written reason why kommunicering is clearly unnecessary.
MOVES = {
    (S.planned, S.in_progress),
    (S.in_progress, S.draft),
    (S.draft, S.in_progress),
    (S.draft, S.sent_for_comment),
    (S.sent_for_comment, S.final),
    (S.draft, S.final),
    (S.final, S.closed),
    # Cancelled (with a reason) from planned or in progress; withdrawn for revision from kommunicering.
    (S.planned, S.cancelled),
    (S.in_progress, S.cancelled),
    (S.sent_for_comment, S.draft),
}
# The moves only the lead reviewer or a coordinator makes (DESIGN.md 4.1).
LEAD_ONLY = {
    (S.sent_for_comment, S.final),
    (S.draft, S.final),
    (S.planned, S.cancelled),
    (S.in_progress, S.cancelled),
    (S.sent_for_comment, S.draft),
}
REASON = "Besöket planerades av misstag och behövs inte."
WAIVER = "Enheten har i telefonsamtal avstått från att yttra sig över rapporten."


def expected(source: VisitStatus, target: VisitStatus, role: str) -> str:
    """DESIGN.md 4.1/4.6: only the review team and coordinators move a visit (others: 403, the unit member
    too, since it sees its own unit's visit); only the lead reviewer (or a coordinator) finalises; a move the
    status machine does not have is refused by rule (409)."""
    if role in ("other_reviewer", "unit_member"):
        return "403"
    if (source, target) not in MOVES:
        return "409"
    if (source, target) in LEAD_ONLY and role == "team_reviewer":
        return "403"
    return "ok"


@pytest.fixture
def stub_pdf(monkeypatch) -> None:
    """The matrix is about who may move what; the PDF itself is tested in test_report.py."""
    monkeypatch.setattr(report, "render_pdf", lambda visit: b"%PDF-1.7 stand-in")


@pytest.fixture
def people(make_user, make_unit) -> dict[str, Any]:
    unit = make_unit("Granskade enheten")
    return {
        "unit": unit,
        "coordinator": make_user("coordinator", name="Cora Coordinator"),
        "lead": make_user("reviewer", name="Lena Lead"),
        "team_reviewer": make_user("reviewer", name="Tore Team"),
        "other_reviewer": make_user("reviewer", name="Olga Outside"),
        "unit_member": make_user("unit_member", units=[unit], name="Ulla Unit"),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", list(S))
@pytest.mark.parametrize("source", list(S))
def test_every_transition_by_every_role_is_allowed_or_refused_as_designed(
    source, target, role, people, make_visit, db, stub_pdf
):
    visit = make_visit(source.value, unit=people["unit"], lead=people["lead"], members=(people["team_reviewer"],))
    actor = people[role]
    outcome = expected(source, target, role)
    kwargs: dict[str, Any] = {"waiver_reason": WAIVER} if target == S.final else {}
    if target in (S.cancelled, S.draft):
        kwargs["reason"] = REASON

    if outcome == "ok":
        moved = services.transition(visit.id, actor=actor, to=target, **kwargs)
        db.session.commit()
        assert moved.status == target
        return
    with pytest.raises(DomainError) as refused:
        services.transition(visit.id, actor=actor, to=target, **kwargs)
    db.session.rollback()
    assert str(refused.value.status) == outcome
    if outcome == "409":
        assert refused.value.message  # says which rule
    assert db.session.get(Visit, visit.id).status == source


def test_a_member_of_another_unit_does_not_find_the_visit(make_visit, make_user, make_unit):
    visit = make_visit("draft")
    stranger = make_user("unit_member", units=[make_unit()])
    with pytest.raises(DomainError) as refused:
        services.transition(visit.id, actor=stranger, to="sent_for_comment")
    assert refused.value.status == 404


def test_an_unknown_status_is_invalid_input(make_visit):
    visit = make_visit("draft")
    with pytest.raises(InvalidInput) as refused:
        services.transition(visit.id, actor=visit.lead, to="archived")
    assert "to" in refused.value.errors


def test_a_visit_without_a_date_cannot_start(make_unit, make_user, make_template, db):
    lead = make_user("reviewer")
    visit = services.create_visit(
        actor=lead,
        unit_id=make_unit().id,
        template_id=make_template().id,
        visit_date=None,
        lead_id=lead.id,
        purpose="closer_review",
    )
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.transition(visit.id, actor=lead, to="in_progress")
    assert refused.value.field == "visit_date"


def test_a_report_without_findings_cannot_go_out_for_comment(make_visit):
    visit = make_visit("draft", findings=())
    with pytest.raises(DomainError, match=r"minst en iakttagelse|at least one finding"):
        services.transition(visit.id, actor=visit.lead, to="sent_for_comment")


# ---- the kommunicering gate -----------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def out_for_comment(make_visit, make_user) -> Iterator[Any]:
    """A visit sent for comment on 2 March 2026 with the deadline 16 March; time stands still meanwhile."""
    with time_machine.travel(NOW, tick=False) as traveller:
        visit = make_visit("sent_for_comment", visit_date=date(2026, 2, 20))
        visit.member = make_user("unit_member", units=[visit.unit])
        visit.traveller = traveller
        yield visit


def test_the_deadline_defaults_to_fourteen_days(make_visit, db):
    with time_machine.travel(NOW, tick=False):
        visit = make_visit("draft")
        services.transition(visit.id, actor=visit.lead, to="sent_for_comment")
        assert visit.comment_deadline == date(2026, 3, 16)


def test_sending_for_comment_e_mails_the_units_members_a_link_after_the_commit(
    app, make_visit, make_user, make_unit, db, enqueued
):
    visit = make_visit("draft")
    member = make_user("unit_member", units=[visit.unit], email="elin@enheten.se")
    make_user("unit_member", units=[make_unit()], email="annan@annanstans.se")
    make_user("unit_member", units=[visit.unit], email="slutat@enheten.se", is_active_account=False)
    services.transition(visit.id, actor=visit.lead, to="sent_for_comment")
    assert enqueued.calls == []  # nothing leaves before the commit
    db.session.commit()
    assert enqueued.names() == ["mail.send"]
    [email] = enqueued.emails()
    assert email.recipient == member.email
    assert visit.case_number in email.subject
    assert f"http://localhost/visits/{visit.id}" in email.text
    assert "Bra rutiner" not in email.text  # a link, never the findings themselves


def test_finalising_before_the_response_and_the_deadline_is_refused(out_for_comment, db):
    visit = out_for_comment
    assert visit.comment_deadline == date(2026, 3, 16)
    with pytest.raises(DomainError) as refused:
        services.transition(visit.id, actor=visit.lead, to="final")
    assert refused.value.status == 409
    assert "2026-03-16" in refused.value.message
    db.session.rollback()
    assert db.session.get(Visit, visit.id).status == S.sent_for_comment
    assert report.stored_report(visit) is None


def test_finalising_on_the_deadline_day_itself_is_still_refused(out_for_comment, db):
    visit = out_for_comment
    visit.traveller.move_to(datetime(2026, 3, 16, 15, 0, tzinfo=UTC))
    with pytest.raises(DomainError):
        services.transition(visit.id, actor=visit.lead, to="final")


def test_finalising_after_the_units_response_is_allowed(out_for_comment, db):
    visit = out_for_comment
    services.submit_response(visit.id, actor=visit.member, overall="Vi har inget att invända.")
    db.session.commit()
    services.transition(visit.id, actor=visit.lead, to="final")
    db.session.commit()
    assert visit.status == S.final
    assert visit.kommunicering_waiver is None
    assert report.stored_report(visit) is not None


def test_finalising_after_the_deadline_is_allowed(out_for_comment, db):
    visit = out_for_comment
    visit.traveller.move_to(datetime(2026, 3, 17, 8, 0, tzinfo=UTC))
    services.transition(visit.id, actor=visit.lead, to="final")
    db.session.commit()
    assert visit.status == S.final


def test_the_deadline_passes_at_midnight_in_stockholm_not_in_utc(out_for_comment, db):
    visit = out_for_comment
    # 23:30 UTC on the deadline day is already 00:30 the next day in Stockholm (CET, UTC+1).
    visit.traveller.move_to(datetime(2026, 3, 16, 23, 30, tzinfo=UTC))
    services.transition(visit.id, actor=visit.lead, to="final")
    assert visit.status == S.final


def test_finalising_with_a_written_waiver_is_allowed_and_stays_in_the_audit_trail(out_for_comment, db):
    visit = out_for_comment
    services.transition(visit.id, actor=visit.lead, to="final", waiver_reason=WAIVER)
    db.session.commit()
    assert visit.status == S.final
    assert visit.kommunicering_waiver == WAIVER
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "visit", AuditEvent.object_id == str(visit.id))
    ).all()
    assert any(e.changes.get("kommunicering_waiver") == [None, WAIVER] for e in events)


def test_a_waiver_of_a_few_characters_is_not_a_reason(out_for_comment, db):
    visit = out_for_comment
    with pytest.raises(DomainError):
        services.transition(visit.id, actor=visit.lead, to="final", waiver_reason="nej")
    db.session.rollback()
    assert db.session.get(Visit, visit.id).status == S.sent_for_comment


def test_finalising_a_draft_without_kommunicering_needs_a_written_reason(make_visit, db):
    visit = make_visit("draft")
    with pytest.raises(InvalidInput) as refused:
        services.transition(visit.id, actor=visit.lead, to="final")
    assert "waiver_reason" in refused.value.errors
    db.session.rollback()
    services.transition(visit.id, actor=visit.lead, to="final", waiver_reason=WAIVER)
    db.session.commit()
    assert (visit.status, visit.kommunicering_waiver) == (S.final, WAIVER)


def test_another_team_member_may_not_finalise_even_after_the_response(out_for_comment, make_user, db):
    visit = out_for_comment
    colleague = make_user("reviewer")
    services.update_plan(
        visit.id,
        actor=visit.lead,
        visit_date=visit.visit_date,
        lead_id=visit.lead.id,
        member_ids=[colleague.id],
        aim="",
    )
    services.submit_response(visit.id, actor=visit.member, overall="Inga synpunkter.")
    db.session.commit()
    with pytest.raises(Forbidden):
        services.transition(visit.id, actor=colleague, to="final")


def test_the_unit_cannot_respond_after_the_deadline(out_for_comment, db):
    visit = out_for_comment
    visit.traveller.move_to(datetime(2026, 3, 17, 8, 0, tzinfo=UTC))
    with pytest.raises(DomainError) as refused:
        services.submit_response(visit.id, actor=visit.member, overall="För sent.")
    assert refused.value.status == 409


def test_the_unit_cannot_respond_once_final(make_visit, make_user):
    visit = make_visit("final")
    member = make_user("unit_member", units=[visit.unit])
    with pytest.raises(DomainError) as refused:
        services.submit_response(visit.id, actor=member, overall="Nu då?")
    assert refused.value.status == 409


def test_only_the_units_own_members_respond(out_for_comment, make_user):
    visit = out_for_comment
    with pytest.raises(Forbidden):
        services.submit_response(visit.id, actor=visit.lead, overall="Granskaren svarar själv.")


# ---- responses are incoming documents -------------------------------------------------------------


def test_a_response_is_received_at_the_moment_it_is_submitted(out_for_comment, db):
    visit = out_for_comment
    visit.traveller.move_to(datetime(2026, 3, 5, 13, 45, tzinfo=UTC))
    [row] = services.submit_response(visit.id, actor=visit.member, overall="Tack för besöket.")
    db.session.commit()
    assert row.received_at == datetime(2026, 3, 5, 13, 45, tzinfo=UTC)
    assert row.submitted_by_id == visit.member.id


def test_a_correction_is_a_new_response_and_the_earlier_one_stays_as_it_was(out_for_comment, db):
    visit = out_for_comment
    finding = visit.findings[0]
    [first] = services.submit_response(
        visit.id, actor=visit.member, answers=[services.FindingAnswer(finding.id, "disagree", "Stämmer inte.")]
    )
    db.session.commit()
    first_id, first_received = first.id, first.received_at
    visit.traveller.shift(timedelta(hours=2))
    [second] = services.submit_response(
        visit.id, actor=visit.member, answers=[services.FindingAnswer(finding.id, "partly", "Delvis, efter samtal.")]
    )
    db.session.commit()
    db.session.expire_all()

    earlier = db.session.get(Response, first_id)
    assert (earlier.stance.value, earlier.text, earlier.received_at) == ("disagree", "Stämmer inte.", first_received)
    assert second.id != first_id and second.received_at > first_received
    assert services.current_responses(visit)[finding.id].id == second.id
    assert [r.id for r in services.responses_history(visit)] == [second.id, first_id]


def test_the_responses_service_offers_no_way_to_change_a_response():
    public = {name for name in dir(services) if not name.startswith("_")}
    assert not {n for n in public if "response" in n and n.split("_")[0] in {"update", "edit", "change", "delete"}}


def test_changing_a_response_through_the_orm_is_refused(out_for_comment, db):
    visit = out_for_comment
    [row] = services.submit_response(visit.id, actor=visit.member, overall="Original.")
    db.session.commit()
    row.text = "Ändrad i efterhand."
    with pytest.raises(RuntimeError, match="never changed"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Response, row.id).text == "Original."


def test_the_database_refuses_an_update_of_a_response(out_for_comment, db):
    visit = out_for_comment
    [row] = services.submit_response(visit.id, actor=visit.member, overall="Original.")
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE responses SET text = 'Ändrad' WHERE id IS NOT NULL"))
    db.session.rollback()
    assert db.session.scalar(select(Response.text).where(Response.id == row.id)) == "Original."


# ---- the final report is stored once --------------------------------------------------------------


def test_the_final_pdf_is_stored_once_and_never_rendered_again(make_visit, db, monkeypatch):
    from app.units import services as unit_services

    visit = make_visit("final")
    stored = report.stored_report(visit)
    assert stored.sha256 == hashlib.sha256(stored.pdf).hexdigest()
    unit_services.update_unit(visit.unit_id, actor=access.OPERATOR, name="Nytt namn", kind="school", contact_email=None)
    db.session.commit()
    monkeypatch.setattr(report, "render_pdf", lambda v: pytest.fail("a final report is never rendered again"))
    body, digest = report.pdf_bytes(visit)
    assert (body, digest) == (stored.pdf, stored.sha256)
    assert report.store_final_report(visit).id == stored.id
    assert db.session.scalar(select(func.count()).select_from(FinalReport)) == 1


def test_the_database_refuses_an_update_of_a_final_report(make_visit, db):
    visit = make_visit("final")
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE final_reports SET sha256 = 'x' WHERE id IS NOT NULL"))
    db.session.rollback()
    stored = report.stored_report(visit)
    assert stored.sha256 == hashlib.sha256(stored.pdf).hexdigest()


# ---- planning -------------------------------------------------------------------------------------


def test_a_repeated_create_with_the_clients_id_returns_the_first_visit(make_unit, make_user, make_template, db):
    unit, lead, template = make_unit(), make_user("reviewer"), make_template()
    chosen = uuid.uuid4()

    def create() -> Visit:
        visit = services.create_visit(
            actor=lead, unit_id=unit.id, template_id=template.id, visit_date=date(2026, 5, 4), lead_id=lead.id,
            visit_id=chosen,
        )  # fmt: skip
        db.session.commit()
        return visit

    first, again = create(), create()
    assert first.id == again.id == chosen
    assert first.case_number == again.case_number
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_a_findings_client_id_cannot_be_reused_on_another_visit(make_visit, db):
    one = make_visit("in_progress", findings=())
    other = make_visit("in_progress", findings=(), lead=one.lead)
    chosen = uuid.uuid4()
    services.add_finding(one.id, actor=one.lead, kind="strength", text="Bra.", finding_id=chosen)
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        services.add_finding(other.id, actor=one.lead, kind="strength", text="Bra.", finding_id=chosen)
    assert "id" in refused.value.errors


def test_the_visit_list_filters_by_reviewer_status_and_unit(make_visit, make_user, make_unit, db):
    mine_lead = make_user("reviewer")
    unit = make_unit()
    mine = make_visit("planned", lead=mine_lead, unit=unit)
    theirs = make_visit("draft", unit=unit)
    elsewhere = make_visit("planned", lead=mine_lead)

    def ids(**filters: Any) -> set[uuid.UUID]:
        return {v.id for v in db.session.scalars(services.visit_query(mine_lead, **filters))}

    assert ids(reviewer_id=mine_lead.id) == {mine.id, elsewhere.id}
    assert ids(status="draft") == {theirs.id}
    assert ids(unit_id=unit.id) == {mine.id, theirs.id}
    assert ids(unit_id=unit.id, reviewer_id=mine_lead.id) == {mine.id}


def test_my_visits_are_the_open_visits_i_am_on_the_team_of(make_visit, make_user):
    me = make_user("reviewer")
    soon = make_visit("planned", lead=me, visit_date=date(2026, 6, 1))
    sooner = make_visit("in_progress", members=(me,), visit_date=date(2026, 5, 1))
    make_visit("closed", lead=me)
    make_visit("planned")  # someone else's
    assert [v.id for v in services.my_visits(me)] == [sooner.id, soon.id]


# ---- case numbers under concurrent creation (PostgreSQL) -------------------------------------------


def test_case_numbers_stay_unique_and_gap_free_under_concurrent_creation(postgres_app):
    from app.auth.models import Role, User, UserRole
    from app.extensions import db
    from app.units.models import Unit

    with postgres_app.app_context():
        unit = Unit(name="Samtidiga enheten")
        lead = User(email="lead@example.se", name="Lena Lead", role_rows=[UserRole(role=Role.reviewer)])
        db.session.add_all([unit, lead])
        db.session.flush()
        template = services.create_template(actor=access.OPERATOR, name="Mall", areas="Område\n- Fråga?")  # type: ignore[arg-type]
        db.session.commit()
        ids = {"unit": unit.id, "lead": lead.id, "template": template.id}

    threads_count, per_thread = 8, 4
    start = threading.Barrier(threads_count)
    failures: list[BaseException] = []

    def plan(worker: int) -> None:
        try:
            with postgres_app.app_context():
                start.wait(timeout=30)
                for n in range(per_thread):
                    services.create_visit(
                        actor=access.OPERATOR,  # type: ignore[arg-type]
                        unit_id=ids["unit"],
                        template_id=ids["template"],
                        visit_date=date(2026, 9, 1),
                        lead_id=ids["lead"],
                    )
                    if worker == 0 and n == 0:
                        db.session.rollback()  # a visit that is not saved after all gives its number back
                    else:
                        db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below, in the test's own thread
            failures.append(exc)

    workers = [threading.Thread(target=plan, args=(i,)) for i in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not failures, failures
    with postgres_app.app_context():
        numbers = sorted(db.session.scalars(select(Visit.case_number)).all())
        db.session.remove()
    expected_count = threads_count * per_thread - 1
    assert numbers == [f"TS-2026-{n:04d}" for n in range(1, expected_count + 1)]
