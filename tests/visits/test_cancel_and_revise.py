"""DESIGN.md 4.1: a visit cancelled with a reason, a draft taken back from kommunicering for revision (and sent
again with its own deadline and reminder), case numbers by the year of registration, and the visit date's limits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.core.errors import DomainError, Forbidden, InvalidInput
from app.visits import services
from app.visits.models import VisitStatus

REASON = "Besöket planerades av misstag och behövs inte."
REVISION = "Ett avsnitt om nattbemanningen saknades i utkastet."
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=STOCKHOLM)


@pytest.fixture
def member(make_user):
    def make(visit: Any, **kwargs: Any) -> Any:
        return make_user("unit_member", units=[visit.unit], name="Ulla Enhet", **kwargs)

    return make


# ---- cancelled ------------------------------------------------------------------------------------


def test_the_lead_cancels_a_planned_visit_with_a_reason_and_it_keeps_its_case_number(make_visit, db):
    visit = make_visit("planned")
    number = visit.case_number
    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    db.session.commit()
    assert (visit.status, visit.cancel_reason, visit.case_number) == (VisitStatus.cancelled, REASON, number)
    assert visit.cancelled_at is not None


def test_a_coordinator_cancels_a_visit_in_progress(make_visit, make_user, db):
    visit = make_visit("in_progress")
    services.transition(visit.id, actor=make_user("coordinator"), to="cancelled", reason=REASON)
    assert visit.status == VisitStatus.cancelled


def test_another_member_of_the_team_may_not_cancel(make_visit, make_user, db):
    helper = make_user("reviewer", name="Tore Team")
    visit = make_visit("planned", members=(helper,))
    with pytest.raises(Forbidden):
        services.transition(visit.id, actor=helper, to="cancelled", reason=REASON)


def test_cancelling_without_a_written_reason_is_refused_on_the_reason_field(make_visit, db):
    visit = make_visit("planned")
    with pytest.raises(InvalidInput) as refused:
        services.transition(visit.id, actor=visit.lead, to="cancelled", reason="  kort ")
    assert "reason" in refused.value.errors


@pytest.mark.parametrize("status", ["draft", "sent_for_comment", "final", "closed"])
def test_a_visit_past_the_site_work_cannot_be_cancelled(status, make_visit, db, monkeypatch):
    monkeypatch.setattr("app.visits.report.render_pdf", lambda visit: b"%PDF-1.7 stand-in")
    visit = make_visit(status)
    with pytest.raises(DomainError) as refused:
        services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    assert refused.value.status == 409


def batch_to(person: Any) -> Any:
    """The e-mail the person's next batch would send (DESIGN.md 4.2: the batch tells of the other side's moves)."""
    from app.dialogue import services as dialogue_services

    later = datetime.now(STOCKHOLM) + timedelta(hours=1)
    [due] = [d for d in dialogue_services.due_recipients(now=later) if d.recipient_id == person.id]
    batch = dialogue_services.make_batch(due, now=later)
    return dialogue_services.batch_email(batch.id)


def test_cancelling_tells_the_units_members_in_their_batch_without_the_reason(
    make_visit, member, make_user, db, enqueued
):
    visit = make_visit("planned")
    person = member(visit, email="ulla@enheten.se")
    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    db.session.commit()
    assert enqueued.emails() == []  # no e-mail of its own: one path, the batch (no double e-mails)
    email = batch_to(person)
    assert email.to == person.email
    assert visit.case_number in email.text
    assert f"/visits/{visit.id}" in email.text
    assert REASON not in email.text and REASON not in email.html  # read after logging in, never in the e-mail


def test_a_cancelled_visit_leaves_the_reviewers_list_of_work(make_visit, db):
    visit = make_visit("planned")
    assert visit in services.my_visits(visit.lead)
    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    db.session.commit()
    assert visit not in services.my_visits(visit.lead)


def test_a_cancelled_visit_is_no_longer_the_units_open_closer_review(make_visit, db):
    visit = make_visit("planned")
    visit.purpose = "closer_review"
    db.session.commit()
    assert services.open_closer_review_visit(visit.unit_id) == visit
    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    assert services.open_closer_review_visit(visit.unit_id) is None


def test_the_unit_member_reads_the_cancellation_and_its_reason_on_the_visit_page(make_visit, member, browser, db):
    visit = make_visit("planned")
    person = member(visit)
    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    db.session.commit()
    browser.login(person)
    page = browser.get(f"/visits/{visit.id}")
    assert page.status_code == 200
    assert REASON in page.text
    assert "Besöket ställdes in den" in page.text
    # Found by trying it: the page still promised "the review team will send you the draft report for comment".
    assert "kommer att skicka rapportutkastet" not in page.text
    # The visit's status in the words of the rest of the page ("ställde in", neuter like "Planerat"), not "Avbruten".
    assert "Inställt" in page.text and "Avbruten" not in page.text
    assert "skickar rapportutkastet till er" not in page.text


def test_a_cancelled_visits_plan_page_does_not_open_and_the_refusal_says_cancelled(make_visit, browser, db):
    """Found by trying it: the plan's edit page opened for a cancelled visit and refused only on save, saying the
    visit was final."""
    visit = make_visit("planned")
    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    db.session.commit()
    browser.login(visit.lead)
    page = browser.get(f"/visits/{visit.id}")
    assert f"/visits/{visit.id}/edit" not in page.text
    opened = browser.get(f"/visits/{visit.id}/edit", follow_redirects=True)
    assert 'name="visit_date"' not in opened.text
    assert "inställt" in opened.text
    with pytest.raises(DomainError) as refused:
        services.update_plan(
            visit.id, actor=visit.lead, visit_date=visit.visit_date, lead_id=visit.lead.id, member_ids=[], aim=""
        )
    assert "inställt" in refused.value.message and "slutligt" not in refused.value.message


def test_the_page_form_cancels_the_visit_and_a_missing_reason_is_shown_at_the_field(make_visit, browser, db):
    visit = make_visit("planned")
    browser.login(visit.lead)
    page = browser.get(f"/visits/{visit.id}")
    assert 'name="to" value="cancelled"' in page.text
    refused = browser.post(f"/visits/{visit.id}/transition", {"to": "cancelled", "reason": ""})
    assert refused.status_code == 422
    assert 'id="reason-error-cancelled"' in refused.text
    done = browser.post(f"/visits/{visit.id}/transition", {"to": "cancelled", "reason": REASON})
    assert done.status_code == 302
    db.session.expire_all()
    assert visit.status == VisitStatus.cancelled


def test_a_too_long_reason_on_the_page_is_shown_at_the_field_and_kept(make_visit, browser, db):
    """A reason over 5000 characters fails the form's own length check: the page says so at the field and keeps
    what was typed (found by trying it: the view redirected without a word and the text was lost)."""
    visit = make_visit("planned")
    browser.login(visit.lead)
    typed = "Felplanerat besök. " * 300
    refused = browser.post(f"/visits/{visit.id}/transition", {"to": "cancelled", "reason": typed})
    assert refused.status_code == 422
    assert 'id="reason-error-cancelled"' in refused.text
    assert "Felplanerat besök. Felplanerat besök." in refused.text
    db.session.expire_all()
    assert visit.status == VisitStatus.planned


def test_the_api_cancels_with_a_reason_and_lists_the_action_for_the_lead_only(
    make_visit, make_user, client, api_token, db
):
    helper = make_user("reviewer", name="Tore Team")
    visit = make_visit("planned", members=(helper,))
    mine = client.get(f"/api/v1/visits/{visit.id}", headers=api_token(visit.lead)).get_json()
    theirs = client.get(f"/api/v1/visits/{visit.id}", headers=api_token(helper)).get_json()
    assert "transition:cancelled" in mine["actions"]
    assert "transition:cancelled" not in theirs["actions"]
    missing = client.post(
        f"/api/v1/visits/{visit.id}/transition", json={"to": "cancelled"}, headers=api_token(visit.lead)
    )
    assert missing.status_code == 422
    done = client.post(
        f"/api/v1/visits/{visit.id}/transition",
        json={"to": "cancelled", "reason": REASON},
        headers=api_token(visit.lead),
    )
    assert done.status_code == 200
    assert (done.get_json()["status"], done.get_json()["cancel_reason"]) == ("cancelled", REASON)


def test_the_history_says_who_cancelled_the_visit(make_visit, browser, db):
    visit = make_visit("planned")
    browser.login(visit.lead)
    browser.post(f"/visits/{visit.id}/transition", {"to": "cancelled", "reason": REASON})
    assert "Lena Lead ställde in besöket." in browser.get(f"/visits/{visit.id}").text


# ---- withdrawn for revision -----------------------------------------------------------------------


@pytest.fixture
def answered(make_visit, member, db):
    """Out for comment from 2 March 2026 (deadline 16 March), answered by the unit on 4 March."""
    with time_machine.travel(at(2026, 3, 2), tick=False):
        visit = make_visit("sent_for_comment", visit_date=date(2026, 2, 20), today=date(2026, 3, 2))
        visit.member = member(visit)
    with time_machine.travel(at(2026, 3, 4), tick=False):
        services.submit_response(visit.id, actor=visit.member, overall="Vi instämmer inte i allt.")
        db.session.commit()
    return visit


def test_withdrawing_keeps_the_responses_marked_as_answers_to_the_earlier_draft(answered, db):
    with time_machine.travel(at(2026, 3, 5), tick=False):
        services.transition(answered.id, actor=answered.lead, to="draft", reason=REVISION)
        db.session.commit()
    [response] = services.responses_history(answered)
    assert response.answers_earlier_draft
    assert services.current_responses(answered) == {}
    assert not services.has_response(answered)
    assert (answered.status, answered.withdrawal_reason, answered.comment_deadline) == (
        VisitStatus.draft,
        REVISION,
        None,
    )


def test_withdrawing_needs_a_written_reason(answered, db):
    with pytest.raises(InvalidInput) as refused:
        services.transition(answered.id, actor=answered.lead, to="draft")
    assert "reason" in refused.value.errors


def test_withdrawing_tells_the_unit_in_its_batch(answered, db, enqueued):
    with time_machine.travel(at(2026, 3, 5), tick=False):
        services.transition(answered.id, actor=answered.lead, to="draft", reason=REVISION)
        db.session.commit()
        assert enqueued.emails() == []
        email = batch_to(answered.member)
    assert email.to == answered.member.email
    assert answered.case_number in email.text
    assert REVISION not in email.text


def test_a_second_kommunicering_has_its_own_deadline_and_reminder(answered, db):
    from app.followups.models import Reminder, ReminderStatus

    with time_machine.travel(at(2026, 3, 5), tick=False):
        services.transition(answered.id, actor=answered.lead, to="draft", reason=REVISION)
        db.session.commit()
    with time_machine.travel(at(2026, 3, 9), tick=False):
        services.transition(answered.id, actor=answered.lead, to="sent_for_comment")
        db.session.commit()
    assert answered.comment_deadline == date(2026, 3, 23)
    rows = {
        (r.due_date, r.status) for r in db.session.scalars(select(Reminder).where(Reminder.visit_id == answered.id))
    }
    assert rows == {(date(2026, 3, 16), ReminderStatus.obsolete), (date(2026, 3, 23), ReminderStatus.pending)}
    # the earlier draft's response does not let the lead finalise the new one before its deadline
    with time_machine.travel(at(2026, 3, 10), tick=False), pytest.raises(DomainError):
        services.transition(answered.id, actor=answered.lead, to="final", today=date(2026, 3, 10))


def test_the_unit_reads_why_the_draft_was_taken_back(answered, browser, db):
    with time_machine.travel(at(2026, 3, 5), tick=False):
        services.transition(answered.id, actor=answered.lead, to="draft", reason=REVISION)
        db.session.commit()
    browser.login(answered.member)
    page = browser.get(f"/visits/{answered.id}")
    assert REVISION in page.text


def test_only_the_lead_or_a_coordinator_withdraws_the_draft(make_visit, make_user, db):
    helper = make_user("reviewer", name="Tore Team")
    visit = make_visit("sent_for_comment", members=(helper,))
    with pytest.raises(Forbidden):
        services.transition(visit.id, actor=helper, to="draft", reason=REVISION)


# ---- case numbers and dates -----------------------------------------------------------------------


def test_the_case_number_takes_the_year_of_registration_not_of_the_visit(make_visit, db):
    with time_machine.travel(at(2026, 12, 30), tick=False):
        visit = make_visit("planned", visit_date=date(2027, 1, 15))
        assert visit.case_number.startswith("TS-2026-")


def test_the_case_number_never_changes_when_the_visit_is_re_dated(make_visit, db):
    with time_machine.travel(at(2026, 12, 30), tick=False):
        visit = make_visit("planned", visit_date=date(2027, 1, 15))
        number = visit.case_number
        services.update_plan(
            visit.id, actor=visit.lead, visit_date=date(2026, 12, 31), lead_id=visit.lead.id, member_ids=[], aim=""
        )
        assert visit.case_number == number


def test_registration_year_is_stockholms_just_after_midnight_on_new_years_day(make_visit, db):
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        visit = make_visit("planned", visit_date=date(2027, 2, 1))
        assert visit.case_number.startswith("TS-2027-")


@pytest.mark.parametrize(
    ("visit_date", "ok"),
    [
        (date(2025, 3, 2), True),  # 365 days before
        (date(2025, 3, 1), False),
        (date(2029, 3, 2), True),  # three years after
        (date(2029, 3, 3), False),
        (date(2020, 1, 1), False),
    ],
)
def test_a_visit_date_far_from_the_registration_is_refused(visit_date, ok, make_unit, make_user, make_template, db):
    lead = make_user("reviewer")
    with time_machine.travel(at(2026, 3, 2), tick=False):
        create = lambda: services.create_visit(  # noqa: E731
            actor=lead, unit_id=make_unit().id, template_id=make_template().id, visit_date=visit_date, lead_id=lead.id
        )
        if ok:
            assert create().visit_date == visit_date
        else:
            with pytest.raises(InvalidInput) as refused:
                create()
            assert "visit_date" in refused.value.errors


def test_re_dating_is_held_to_the_original_registration(make_visit, db):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        visit = make_visit("planned", visit_date=date(2026, 4, 1))
    with time_machine.travel(at(2027, 3, 2), tick=False), pytest.raises(InvalidInput):
        services.update_plan(
            visit.id, actor=visit.lead, visit_date=date(2029, 6, 1), lead_id=visit.lead.id, member_ids=[], aim=""
        )


# ---- what a cancelled visit takes along (DESIGN.md 4.1: it leaves every list of work and reminder) ----------


def test_a_cancelled_visits_conversation_takes_no_new_message_and_the_page_offers_no_form(
    make_visit, member, browser, db
):
    from app.dialogue import services as dialogue

    visit = make_visit("planned")
    person = member(visit)
    dialogue.post_message(actor=person, visit_id=visit.id, text="Vi ses på tisdag.")
    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    db.session.commit()
    for writer in (person, visit.lead):
        with pytest.raises(DomainError) as refused:
            dialogue.post_message(actor=writer, visit_id=visit.id, text="Ett meddelande till.")
        assert "cancelled" in refused.value.message or "inställt" in refused.value.message
    assert not dialogue.write_permission(person, visit, None).may_write
    browser.login(person)
    page = browser.get(f"/visits/{visit.id}/messages")
    assert "Besöket är inställt. Dess dialoger kan läsas men inte fortsättas." in page.text
    assert 'name="text"' not in page.text
    assert "Vi ses på tisdag." in page.text  # still readable
    visit_page = browser.get(f"/visits/{visit.id}")
    assert "Besöket är inställt. Dess dialoger kan läsas men inte fortsättas." in visit_page.text
    assert "Här kan ni ställa frågor om det planerade besöket" not in visit_page.text


def test_cancelling_a_visit_cancels_its_open_follow_ups_and_stops_their_reminders(
    make_visit, member, follow_up_row, db
):
    from app.core.models import utcnow
    from app.followups import reminders
    from app.followups import services as follow_ups
    from app.followups.models import FollowUpStatus, Reminder, ReminderStatus

    visit = make_visit("in_progress", findings=(("deviation", "serious", "Larmen besvaras inte nattetid."),))
    person = member(visit)
    [finding] = visit.findings
    agreed = follow_up_row(visit.unit, person, status="agreed", finding=finding)
    reminders.plan_follow_up(agreed, now=utcnow())
    proposed = follow_up_row(visit.unit, person, status="proposed", finding=finding, title="Larmlogg")
    db.session.commit()
    pending = select(Reminder).where(Reminder.follow_up_id == agreed.id, Reminder.status == ReminderStatus.pending)
    assert db.session.scalars(pending).all()  # agreed: its reminders are written

    services.transition(visit.id, actor=visit.lead, to="cancelled", reason=REASON)
    db.session.commit()
    assert (agreed.status, proposed.status) == (FollowUpStatus.cancelled, FollowUpStatus.cancelled)
    assert REASON in agreed.cancel_reason and visit.case_number in agreed.cancel_reason
    assert db.session.scalars(pending).all() == []  # no reminder of a cancelled visit goes out
    assert follow_ups.open_of_visit_count(visit) == 0
