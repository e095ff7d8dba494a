"""The follow-up rules of DESIGN.md 4.4 through the services: agreement by both sides, the due date, done
reports, verification, reopening, cancelling, who speaks for which side, and ``follow_up_changed``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from app.core import signals
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.followups import services
from app.followups.models import FollowUpStatus, Side
from tests.fixtures_followups import local


def propose(people, actor, **kwargs):
    defaults = {
        "unit_id": people.unit.id,
        "title": "Rutin för nattlarm",
        "description": "Ta fram en rutin.",
        "due_date": date.today() + timedelta(days=30),
        "owner_id": people.owner.id,
    }
    return services.propose(actor=actor, **{**defaults, **kwargs})


# ---- agreement ------------------------------------------------------------------------------------------


def test_a_proposal_by_the_supervising_body_is_agreed_when_the_unit_accepts(people, db):
    follow_up = propose(people, people.reviewer)
    assert (follow_up.status, follow_up.proposed_by_side) == (FollowUpStatus.proposed, Side.supervisor)
    assert follow_up.accepted_by(Side.supervisor) and not follow_up.accepted_by(Side.unit)

    services.accept(follow_up.id, actor=people.owner)

    assert follow_up.status == FollowUpStatus.agreed
    assert follow_up.unit_accepted_by_id == people.owner.id
    assert follow_up.agreed_at is not None


def test_a_proposal_by_the_unit_is_agreed_when_the_supervising_body_accepts(people, db):
    follow_up = propose(people, people.colleague, owner_id=None)
    assert follow_up.proposed_by_side == Side.unit
    assert follow_up.owner_id == people.colleague.id  # a unit member naming nobody is responsible themselves

    services.accept(follow_up.id, actor=people.reviewer)

    assert follow_up.status == FollowUpStatus.agreed
    assert follow_up.reviewer_id == people.reviewer.id  # who follows it up for the supervising body


def test_the_proposers_side_cannot_agree_alone(people, db):
    follow_up = propose(people, people.reviewer)
    with pytest.raises(DomainError, match="redan godtagit"):
        services.accept(follow_up.id, actor=people.coordinator)  # the same side
    assert follow_up.status == FollowUpStatus.proposed


def test_another_member_of_the_unit_accepts_for_the_unit(people, db):
    follow_up = propose(people, people.reviewer)
    services.accept(follow_up.id, actor=people.colleague)
    assert follow_up.status == FollowUpStatus.agreed


def test_a_member_of_the_unit_who_is_also_a_reviewer_speaks_for_the_unit(people, make_user, db):
    peer = make_user("reviewer", "unit_member", units=[people.unit], name="Petra Peer")
    follow_up = propose(people, peer, owner_id=None)
    assert follow_up.proposed_by_side == Side.unit  # jäv: never for the supervising body of their own unit
    with pytest.raises(DomainError):
        services.accept(follow_up.id, actor=peer)


def test_a_reviewer_off_the_team_cannot_act_on_a_visits_follow_up(people, db):
    finding = people.visit.findings[0]
    follow_up = propose(people, people.lead, finding_id=finding.id)
    with pytest.raises(Forbidden):
        services.accept(follow_up.id, actor=people.reviewer)
    with pytest.raises(Forbidden):
        propose(people, people.reviewer, finding_id=finding.id)


def test_a_changed_proposal_must_be_accepted_again_by_the_other_side(people, db):
    follow_up = propose(people, people.reviewer)
    services.update(follow_up.id, actor=people.owner, due_date=date.today() + timedelta(days=60))
    assert follow_up.accepted_by(Side.unit) and not follow_up.accepted_by(Side.supervisor)
    assert follow_up.status == FollowUpStatus.proposed

    services.accept(follow_up.id, actor=people.reviewer)

    assert follow_up.status == FollowUpStatus.agreed
    assert follow_up.due_date == date.today() + timedelta(days=60)


def test_the_unit_may_hand_an_agreed_follow_up_to_another_member_but_not_move_its_due_date(make_follow_up, people):
    follow_up = make_follow_up("agreed")
    services.update(follow_up.id, actor=people.owner, owner_id=people.colleague.id)
    assert follow_up.owner_id == people.colleague.id
    with pytest.raises(Forbidden, match="granskningsteamet"):
        services.update(follow_up.id, actor=people.owner, due_date=follow_up.due_date + timedelta(days=10))


def test_the_owner_must_be_an_active_member_of_the_unit(people, make_user):
    outsider = make_user("unit_member", name="Utomstående")
    with pytest.raises(InvalidInput) as refused:
        propose(people, people.reviewer, owner_id=outsider.id)
    assert "owner" in refused.value.errors


# ---- the due date ---------------------------------------------------------------------------------------


@time_machine.travel(local(2026, 3, 2, 0, 30), tick=False)  # already the 2nd in Stockholm, still the 1st in UTC
def test_a_due_date_in_the_past_is_refused_by_the_stockholm_calendar(people):
    with pytest.raises(InvalidInput) as refused:
        propose(people, people.reviewer, due_date=date(2026, 3, 1))
    assert refused.value.errors == {"due_date": ["Slutdatumet kan inte ligga bakåt i tiden."]}
    assert propose(people, people.reviewer, due_date=date(2026, 3, 2)).due_date == date(2026, 3, 2)  # today is fine


def test_a_changed_due_date_in_the_past_is_refused(make_follow_up, people):
    follow_up = make_follow_up("agreed")
    with pytest.raises(InvalidInput) as refused:
        services.update(follow_up.id, actor=people.reviewer, due_date=date.today() - timedelta(days=1))
    assert "due_date" in refused.value.errors


def test_a_proposal_whose_due_date_has_passed_cannot_be_accepted(people, db):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        follow_up = propose(people, people.reviewer, due_date=date(2026, 3, 5))
        db.session.commit()
    with time_machine.travel(local(2026, 3, 6, 9, 0), tick=False), pytest.raises(DomainError, match="har passerat"):
        services.accept(follow_up.id, actor=people.owner)


def test_missing_fields_are_named(people):
    with pytest.raises(InvalidInput) as refused:
        services.propose(actor=people.reviewer, unit_id=people.unit.id, title="", description="", due_date=None)
    assert set(refused.value.errors) == {"title", "description", "due_date", "owner"}


def test_overdue_is_derived_agreed_past_due_and_not_reported_done(make_follow_up):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        agreed = make_follow_up("agreed", due_date=date(2026, 3, 10))
        proposed = make_follow_up("proposed", due_date=date(2026, 3, 10))
        done = make_follow_up("done_reported", due_date=date(2026, 3, 10))
    assert not agreed.is_overdue(date(2026, 3, 10))  # due today is not overdue yet
    assert agreed.is_overdue(date(2026, 3, 11))
    assert not proposed.is_overdue(date(2026, 3, 11))
    assert not done.is_overdue(date(2026, 3, 11))


# ---- done, verified, reopened, cancelled ----------------------------------------------------------------


def test_reporting_done_takes_a_description_of_what_was_done(make_follow_up, people):
    follow_up = make_follow_up("agreed")
    with pytest.raises(InvalidInput) as refused:
        services.report_done(follow_up.id, actor=people.owner, description="  ")
    assert "description" in refused.value.errors
    assert follow_up.status == FollowUpStatus.agreed

    services.report_done(follow_up.id, actor=people.owner, description="Rutinen är införd.")

    assert follow_up.status == FollowUpStatus.done_reported
    assert (follow_up.done_description, follow_up.done_reported_by_id) == ("Rutinen är införd.", people.owner.id)


def test_only_the_unit_reports_done(make_follow_up, people):
    follow_up = make_follow_up("agreed")
    with pytest.raises(Forbidden):
        services.report_done(follow_up.id, actor=people.reviewer, description="Klart, sa de i telefon.")


def test_a_proposal_cannot_be_reported_done(make_follow_up, people):
    follow_up = make_follow_up("proposed")
    with pytest.raises(DomainError, match="överenskommen uppföljning kan rapporteras"):
        services.report_done(follow_up.id, actor=people.owner, description="Klart.")


def test_verifying_takes_a_note_on_how_the_effect_was_checked(make_follow_up, people):
    follow_up = make_follow_up("done_reported")
    with pytest.raises(InvalidInput) as refused:
        services.verify(follow_up.id, actor=people.reviewer, note="ok")
    assert "note" in refused.value.errors
    assert follow_up.status == FollowUpStatus.done_reported

    services.verify(follow_up.id, actor=people.reviewer, note="Kontrollerat i larmloggen: alla larm inom 5 min.")

    assert follow_up.status == FollowUpStatus.verified
    assert follow_up.verified_by_id == people.reviewer.id


def test_the_unit_cannot_verify_its_own_follow_up(make_follow_up, people):
    follow_up = make_follow_up("done_reported")
    with pytest.raises(Forbidden):
        services.verify(follow_up.id, actor=people.owner, note="Vi har kontrollerat det själva noga.")


def test_only_a_done_report_can_be_verified(make_follow_up, people):
    follow_up = make_follow_up("agreed")
    with pytest.raises(DomainError, match="kan verifieras"):
        services.verify(follow_up.id, actor=people.reviewer, note="Kontrollerat på plats vid besöket.")


def test_a_reviewer_reopens_a_done_report_back_to_agreed(make_follow_up, people):
    follow_up = make_follow_up("done_reported")
    with pytest.raises(InvalidInput):
        services.reopen(follow_up.id, actor=people.reviewer, note="")

    services.reopen(follow_up.id, actor=people.reviewer, note="Rutinen saknar nattpersonalens del.")

    assert follow_up.status == FollowUpStatus.agreed
    assert follow_up.reopen_note == "Rutinen saknar nattpersonalens del."


@pytest.mark.parametrize("status", ["proposed", "agreed", "verified", "cancelled"])
def test_only_done_reported_can_be_reopened(make_follow_up, people, status):
    follow_up = make_follow_up(status)
    with pytest.raises(DomainError):
        services.reopen(follow_up.id, actor=people.reviewer, note="Inte klart.")
    assert follow_up.status == FollowUpStatus(status)


def test_the_unit_cannot_reopen(make_follow_up, people):
    follow_up = make_follow_up("done_reported")
    with pytest.raises(Forbidden):
        services.reopen(follow_up.id, actor=people.owner, note="Vi ångrar oss.")


def test_cancelling_takes_a_reason(make_follow_up, people):
    follow_up = make_follow_up("agreed")
    with pytest.raises(InvalidInput) as refused:
        services.cancel(follow_up.id, actor=people.reviewer, reason="")
    assert "reason" in refused.value.errors

    services.cancel(follow_up.id, actor=people.reviewer, reason="Verksamheten läggs ned.")

    assert (follow_up.status, follow_up.cancel_reason) == (FollowUpStatus.cancelled, "Verksamheten läggs ned.")


def test_the_unit_may_decline_a_proposal_but_not_cancel_an_agreed_follow_up(make_follow_up, people):
    proposal = make_follow_up("proposed")
    services.cancel(proposal.id, actor=people.owner, reason="Vi föreslår en annan åtgärd.")
    assert proposal.status == FollowUpStatus.cancelled

    agreed = make_follow_up("agreed")
    with pytest.raises(Forbidden):
        services.cancel(agreed.id, actor=people.owner, reason="Vi hinner inte.")


@pytest.mark.parametrize("status", ["verified", "cancelled"])
def test_closed_follow_ups_cannot_be_cancelled_or_changed(make_follow_up, people, status):
    follow_up = make_follow_up(status)
    with pytest.raises(DomainError):
        services.cancel(follow_up.id, actor=people.reviewer, reason="Igen.")
    with pytest.raises(DomainError):
        services.update(follow_up.id, actor=people.reviewer, title="Ny titel")


# ---- findings, visits and isolation ---------------------------------------------------------------------


def test_a_follow_up_from_a_finding_belongs_to_its_visit(people):
    finding = people.visit.findings[0]
    follow_up = propose(people, people.lead, finding_id=finding.id)
    assert (follow_up.visit_id, follow_up.finding_id) == (people.visit.id, finding.id)


def test_a_strength_needs_no_follow_up(people, make_visit):
    visit = make_visit("sent_for_comment", unit=people.unit, lead=people.lead)  # its only finding is a strength
    with pytest.raises(InvalidInput) as refused:
        propose(people, people.lead, finding_id=visit.findings[0].id)
    assert "finding" in refused.value.errors


def test_the_unit_cannot_see_a_follow_up_of_a_draft_visit(people, make_visit, db):
    draft = make_visit("draft", unit=people.unit, lead=people.lead, findings=(("deviation", "serious", "Brist"),))
    follow_up = propose(people, people.lead, finding_id=draft.findings[0].id)
    db.session.commit()
    with pytest.raises(NotFound):
        services.accept(follow_up.id, actor=people.owner)


def test_another_units_member_gets_not_found(make_follow_up, make_unit, make_user):
    stranger = make_user("unit_member", units=[make_unit("Annan enhet")])
    follow_up = make_follow_up("proposed")
    with pytest.raises(NotFound):
        services.accept(follow_up.id, actor=stranger)


def test_a_closed_visit_takes_no_new_follow_ups(people, make_visit):
    closed = make_visit("closed", unit=people.unit, lead=people.lead, findings=(("development", None, "Text"),))
    with pytest.raises(DomainError, match="avslutat"):
        propose(people, people.lead, visit_id=closed.id)


# ---- the signal other domains listen to -----------------------------------------------------------------


def test_every_change_sends_follow_up_changed_with_the_previous_status(people, db):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender.status, kwargs["previous"], kwargs["actor"]))

    signals.follow_up_changed.connect(receiver)
    try:
        follow_up = propose(people, people.reviewer)
        services.accept(follow_up.id, actor=people.owner)
        services.update(follow_up.id, actor=people.reviewer, due_date=follow_up.due_date + timedelta(days=1))
        services.report_done(follow_up.id, actor=people.owner, description="Klart.")
        services.reopen(follow_up.id, actor=people.reviewer, note="Inte riktigt.")
        services.report_done(follow_up.id, actor=people.owner, description="Nu klart.")
        services.verify(follow_up.id, actor=people.reviewer, note="Kontrollerat på plats.")
    finally:
        signals.follow_up_changed.disconnect(receiver)
    s = FollowUpStatus
    assert seen == [
        (s.proposed, None, people.reviewer),
        (s.agreed, s.proposed, people.owner),
        (s.agreed, s.agreed, people.reviewer),
        (s.done_reported, s.agreed, people.owner),
        (s.agreed, s.done_reported, people.reviewer),
        (s.done_reported, s.agreed, people.owner),
        (s.verified, s.done_reported, people.reviewer),
    ]


def test_changes_are_in_the_audit_trail(make_follow_up, people, db):
    from sqlalchemy import select

    from app.core.models import AuditEvent

    follow_up = make_follow_up("verified")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "follow_up", AuditEvent.object_id == str(follow_up.id))
    ).all()
    statuses = [e.changes["status"][1] for e in events if "status" in e.changes]
    assert statuses == ["proposed", "agreed", "done_reported", "verified"]
