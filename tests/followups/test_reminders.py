"""The reminder rules of DESIGN.md 4.4 (and the kommunicering deadline's of 4.1), with frozen time: what is
written to the outbox and when, what a sweep claims, skips and drops, and what reaches the mail server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.core.models import OutboxEmail, OutboxStatus
from app.followups import reminders, services
from app.followups.models import Reminder, ReminderStatus
from app.visits import services as visit_services
from app.visits.models import VisitStatus
from tests.fixtures_followups import local


def rows(db, follow_up):
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Reminder).where(Reminder.follow_up_id == follow_up.id).order_by(Reminder.send_after, Reminder.kind)
        )
    )


def by_kind(db, follow_up):
    return {(r.kind, r.due_date): r for r in rows(db, follow_up)}


def sweep(db):
    result = reminders.sweep()
    db.session.commit()
    return result


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# ---- written with the change ----------------------------------------------------------------------------


@time_machine.travel(local(2026, 3, 2, 9, 0), tick=False)
def test_agreeing_writes_three_reminders_at_seven_stockholm_time_summer_or_winter(make_follow_up, db):
    follow_up = make_follow_up("agreed", due_date=date(2026, 4, 1))  # summer time starts 29 March

    planned = [(r.kind, r.send_on, r.send_after, r.status) for r in rows(db, follow_up)]

    assert planned == [
        ("follow_up_before_7d", date(2026, 3, 25), utc(2026, 3, 25, 6, 0), ReminderStatus.pending),  # 07:00 CET
        ("follow_up_due", date(2026, 4, 1), utc(2026, 4, 1, 5, 0), ReminderStatus.pending),  # 07:00 CEST
        ("follow_up_after_3d", date(2026, 4, 4), utc(2026, 4, 4, 5, 0), ReminderStatus.pending),
    ]


def test_a_proposal_has_no_reminders(make_follow_up, db):
    assert rows(db, make_follow_up("proposed")) == []


def test_only_the_schedule_points_still_ahead_are_written(make_follow_up, db):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        soon = make_follow_up("agreed", due_date=date(2026, 3, 5))  # seven days before was last week
    assert [r.kind for r in rows(db, soon)] == ["follow_up_due", "follow_up_after_3d"]


@pytest.mark.parametrize(
    ("agreed_at", "kinds"),
    [
        (local(2026, 3, 9, 6, 59), ["follow_up_due", "follow_up_after_3d"]),
        (local(2026, 3, 9, 7, 1), ["follow_up_after_3d"]),  # the due date's 07:00 has passed
    ],
    ids=["before-seven", "after-seven"],
)
def test_agreeing_on_the_due_date_itself_writes_what_is_still_ahead_of_seven_oclock(
    make_follow_up, db, agreed_at, kinds
):
    with time_machine.travel(agreed_at, tick=False):
        follow_up = make_follow_up("agreed", due_date=date(2026, 3, 9))
    assert [r.kind for r in rows(db, follow_up)] == kinds


def test_planning_the_same_follow_up_again_writes_each_identity_once(make_follow_up, db):
    follow_up = make_follow_up("agreed")
    assert reminders.plan_follow_up(follow_up, now=datetime.now(UTC)) == 0
    db.session.commit()
    assert len(rows(db, follow_up)) == 3


def test_a_rolled_back_agreement_leaves_no_reminder_and_enqueues_nothing(make_follow_up, people, db, enqueued):
    follow_up = make_follow_up("proposed", due_date=date.today() + timedelta(days=3))
    services.accept(follow_up.id, actor=people.owner)
    db.session.flush()
    assert len(rows_in_transaction(db, follow_up)) == 2  # written in the same transaction as the change

    db.session.rollback()

    assert rows(db, follow_up) == []
    with time_machine.travel(datetime.now(UTC) + timedelta(days=10)):
        assert sweep(db).claimed == 0
    assert enqueued.calls == []


def rows_in_transaction(db, follow_up):
    return list(db.session.scalars(select(Reminder).where(Reminder.follow_up_id == follow_up.id)))


# ---- the sweep ------------------------------------------------------------------------------------------


@pytest.fixture
def due_march_10(make_follow_up):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        return make_follow_up("agreed", due_date=date(2026, 3, 10))


def test_nothing_goes_before_seven_local_time(due_march_10, db, enqueued):
    with time_machine.travel(local(2026, 3, 3, 6, 59), tick=False):
        assert sweep(db).claimed == 0
    with time_machine.travel(local(2026, 3, 3, 7, 0), tick=False):
        result = reminders.sweep()
        assert (result.claimed, enqueued.calls) == (1, [])  # enqueued only after the commit
        db.session.commit()
    [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
    assert queued.kind == "follow_up_before_7d"
    assert enqueued.ids("followups.send_reminder") == [str(queued.id)]


def test_a_late_reminder_is_still_sent_after_downtime(due_march_10, db, enqueued):
    with time_machine.travel(local(2026, 3, 6, 15, 0), tick=False):  # two days late
        assert sweep(db).claimed == 1
    assert by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))].status == ReminderStatus.queued


def test_after_downtime_only_the_latest_due_reminder_goes_and_the_earlier_are_skipped(due_march_10, db, enqueued):
    with time_machine.travel(local(2026, 3, 14, 9, 0), tick=False):  # all three points have passed
        result = sweep(db)
    assert (result.claimed, result.skipped) == (1, 2)
    statuses = {kind: r.status for (kind, _due), r in by_kind(db, due_march_10).items()}
    assert statuses == {
        "follow_up_before_7d": ReminderStatus.skipped,
        "follow_up_due": ReminderStatus.skipped,
        "follow_up_after_3d": ReminderStatus.queued,
    }
    assert len(enqueued.ids("followups.send_reminder")) == 1


def test_an_earlier_reminder_left_pending_is_skipped_when_a_later_one_was_already_sent(due_march_10, db, enqueued):
    with time_machine.travel(local(2026, 3, 10, 9, 0), tick=False):
        before, due = (
            by_kind(db, due_march_10)[(k, date(2026, 3, 10))] for k in ("follow_up_before_7d", "follow_up_due")
        )
        due.status = ReminderStatus.sent  # say the due-date reminder went out while the earlier one waited
        db.session.commit()
        assert sweep(db).skipped == 1
    assert by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))].status == ReminderStatus.skipped
    assert str(before.id) not in enqueued.ids("followups.send_reminder")


@pytest.mark.parametrize("close", ["report_done", "cancel"])
def test_a_done_or_cancelled_follow_up_gets_no_more_reminders(due_march_10, people, db, enqueued, close):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        if close == "report_done":
            services.report_done(due_march_10.id, actor=people.owner, description="Klart.")
        else:
            services.cancel(due_march_10.id, actor=people.reviewer, reason="Behövs inte längre.")
        db.session.commit()
    assert {r.status for r in rows(db, due_march_10)} == {ReminderStatus.obsolete}
    with time_machine.travel(local(2026, 3, 20, 9, 0), tick=False):
        assert sweep(db).claimed == 0
    assert enqueued.calls == []


def test_a_verified_follow_up_gets_no_reminders(make_follow_up, db, enqueued):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        follow_up = make_follow_up("verified", due_date=date(2026, 3, 10))
    with time_machine.travel(local(2026, 3, 20, 9, 0), tick=False):
        assert sweep(db).claimed == 0
    assert {r.status for r in rows(db, follow_up)} == {ReminderStatus.obsolete}


def test_a_follow_up_reported_done_while_its_reminder_is_being_sent_gets_no_email(
    due_march_10, people, db, scripted_smtp, send_now
):
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
        assert reminders.claim_for_sending(queued.id)  # a worker has it in hand…
        db.session.commit()
        services.report_done(due_march_10.id, actor=people.owner, description="Klart.")  # …when this happens
        db.session.commit()

        assert reminders.prepare(queued.id) == []  # it looks again before sending
        db.session.commit()
    assert by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))].status == ReminderStatus.obsolete
    assert scripted_smtp.messages == []


def test_a_new_due_date_gets_new_identities_and_drops_the_unsent_old_ones(due_march_10, people, db):
    with time_machine.travel(local(2026, 3, 4, 9, 0), tick=False):
        sweep(db)  # the first reminder (3 March) is on its way
        services.update(due_march_10.id, actor=people.reviewer, due_date=date(2026, 3, 31))
        db.session.commit()
    planned = {(kind, due): r.status for (kind, due), r in by_kind(db, due_march_10).items()}
    assert planned == {
        ("follow_up_before_7d", date(2026, 3, 10)): ReminderStatus.obsolete,  # queued but not sent: dropped
        ("follow_up_due", date(2026, 3, 10)): ReminderStatus.obsolete,
        ("follow_up_after_3d", date(2026, 3, 10)): ReminderStatus.obsolete,
        ("follow_up_before_7d", date(2026, 3, 31)): ReminderStatus.pending,
        ("follow_up_due", date(2026, 3, 31)): ReminderStatus.pending,
        ("follow_up_after_3d", date(2026, 3, 31)): ReminderStatus.pending,
    }


def test_moving_the_due_date_back_keeps_what_was_sent_sent(due_march_10, people, db):
    with time_machine.travel(local(2026, 3, 4, 9, 0), tick=False):
        first = by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))]
        first.status = ReminderStatus.sent
        db.session.commit()
        services.update(due_march_10.id, actor=people.reviewer, due_date=date(2026, 3, 31))
        services.update(due_march_10.id, actor=people.reviewer, due_date=date(2026, 3, 10))
        db.session.commit()
    planned = {kind: r.status for (kind, due), r in by_kind(db, due_march_10).items() if due == date(2026, 3, 10)}
    assert planned == {
        "follow_up_before_7d": ReminderStatus.sent,  # at most once per identity
        "follow_up_due": ReminderStatus.pending,  # dropped, and back again: never sent, still ahead
        "follow_up_after_3d": ReminderStatus.pending,
    }


def test_reopening_schedules_the_points_still_ahead(due_march_10, people, db):
    with time_machine.travel(local(2026, 3, 5, 9, 0), tick=False):
        services.report_done(due_march_10.id, actor=people.owner, description="Klart.")
        services.reopen(due_march_10.id, actor=people.reviewer, note="Nattpersonalen saknas i rutinen.")
        db.session.commit()
    statuses = {kind: r.status for (kind, _due), r in by_kind(db, due_march_10).items()}
    assert statuses == {
        "follow_up_before_7d": ReminderStatus.obsolete,  # its time (3 March) passed while it was reported done
        "follow_up_due": ReminderStatus.pending,
        "follow_up_after_3d": ReminderStatus.pending,
    }


# ---- claims and leases ----------------------------------------------------------------------------------


def test_a_reminder_is_claimed_by_one_send_task_only(due_march_10, db):
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
        assert reminders.claim_for_sending(queued.id) is True
        db.session.commit()
        assert reminders.claim_for_sending(queued.id) is False


def test_a_sweep_takes_back_a_reminder_whose_lease_ran_out(due_march_10, db, enqueued, app):
    lease = app.config["REMINDER_LEASE_SECONDS"]
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
        reminders.claim_for_sending(queued.id)  # the worker that took it dies without a word
        db.session.commit()
    with time_machine.travel(local(2026, 3, 3, 8, 0) + timedelta(seconds=lease - 1), tick=False):
        assert sweep(db).claimed == 0  # still its worker's
    with time_machine.travel(local(2026, 3, 3, 8, 0) + timedelta(seconds=lease + 1), tick=False):
        result = sweep(db)
    assert (result.claimed, result.recovered) == (1, 1)
    assert enqueued.ids("followups.send_reminder") == [str(queued.id), str(queued.id)]


# ---- what reaches the mail server -----------------------------------------------------------------------


def test_a_reminder_reaches_the_owner_in_their_language_with_title_due_date_and_link_only(
    due_march_10, db, scripted_smtp, send_now
):
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
        assert send_now(queued.id) == "queued"
        assert send_now(queued.id) == "not claimed"  # the same identity is never sent twice

    [message] = scripted_smtp.messages
    assert message["To"] == "olivia@example.se"
    assert message["Subject"].strip() == "Reminder: the follow-up “Rutin för nattlarm” is due March 10, 2026"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Olivia Owner," in text
    assert f"http://localhost/follow-ups/{due_march_10.id}" in text
    assert "Ta fram en rutin" not in message.as_string()  # never the description
    assert message["Message-ID"] == reminders.message_id(queued, str(due_march_10.owner_id))
    reminder = by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))]
    assert (reminder.status, reminder.attempts, reminder.delivered_to) == (
        ReminderStatus.sent,
        1,
        [str(due_march_10.owner_id)],
    )


def test_the_last_reminder_also_goes_to_the_lead_reviewer_in_their_language(
    make_follow_up, people, db, scripted_smtp, send_now
):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        follow_up = make_follow_up("agreed", due_date=date(2026, 3, 10), finding=people.visit.findings[0])
    with time_machine.travel(local(2026, 3, 13, 7, 30), tick=False):
        sweep(db)
        after = by_kind(db, follow_up)[("follow_up_after_3d", date(2026, 3, 10))]
        assert send_now(after.id) == "queued"

    received = {m["To"]: m for m in scripted_smtp.messages}
    assert set(received) == {"olivia@example.se", "lena@example.se"}
    assert received["olivia@example.se"]["Subject"].startswith("Overdue: the follow-up")
    assert received["lena@example.se"]["Subject"].strip() == "Försenad uppföljning hos Björkbacken: Rutin för nattlarm"
    assert received["olivia@example.se"]["Message-ID"] != received["lena@example.se"]["Message-ID"]


def test_a_late_reminder_says_what_is_true_on_the_day_it_is_sent(due_march_10, db, scripted_smtp, send_now):
    with time_machine.travel(local(2026, 3, 12, 9, 0), tick=False):  # the due-date reminder, two days late
        sweep(db)
        assert send_now(by_kind(db, due_march_10)[("follow_up_due", date(2026, 3, 10))].id) == "queued"
    [message] = scripted_smtp.messages
    assert message["Subject"].strip() == "Overdue: the follow-up “Rutin för nattlarm” was due March 10, 2026"


def test_the_message_id_is_the_same_for_every_attempt_at_one_identity(due_march_10, db):
    reminder = rows(db, due_march_10)[0]
    again = db.session.get(Reminder, reminder.id)
    assert reminders.message_id(reminder, "a") == reminders.message_id(again, "a")
    assert reminders.message_id(reminder, "a") != reminders.message_id(reminder, "b")
    assert reminders.message_id(reminder, "a").endswith("@tillsyn.local>")


def test_a_title_is_escaped_in_the_html_email(make_follow_up, db, scripted_smtp, send_now):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        follow_up = make_follow_up("agreed", due_date=date(2026, 3, 10), title="<b>Larm</b> & rutiner")
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        send_now(by_kind(db, follow_up)[("follow_up_before_7d", date(2026, 3, 10))].id)
    html = scripted_smtp.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;Larm&lt;/b&gt; &amp; rutiner" in html
    assert "<b>Larm" not in html


def test_a_temporary_smtp_failure_is_retried_until_delivered(due_march_10, db, scripted_smtp, send_now):
    scripted_smtp.answers = ["451 4.3.0 try again later", "421 4.3.2 busy"]
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
        assert send_now(queued.id) == "queued"
    assert (scripted_smtp.attempts, len(scripted_smtp.messages)) == (3, 1)
    message_id = reminders.message_id(queued, str(due_march_10.owner_id))
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.message_id == message_id))
    # the e-mail outbox retried it, not the reminder
    assert (row.status, row.attempts) == (OutboxStatus.sent, 3)
    assert by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))].status == ReminderStatus.sent


def test_a_permanent_refusal_marks_the_reminder_failed_without_retrying(due_march_10, db, scripted_smtp, send_now):
    scripted_smtp.answers = ["550 5.1.1 no such mailbox"]
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
        assert send_now(queued.id) == "queued"  # the task handed it to the e-mail outbox…
    reminder = by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))]
    assert (reminder.status, reminder.attempts, scripted_smtp.attempts) == (ReminderStatus.failed, 1, 1)  # …failed
    assert "550" in reminder.detail


def test_after_the_last_attempt_a_reminder_is_failed(due_march_10, db, scripted_smtp, send_now, app):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    scripted_smtp.answers = ["451 4.3.0 try again later"] * 10
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, due_march_10) if r.status == ReminderStatus.queued]
        assert send_now(queued.id) == "queued"
    reminder = by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))]
    assert (reminder.status, scripted_smtp.attempts) == (ReminderStatus.failed, 3)
    assert "gave up after 3 attempts" in reminder.detail


def test_a_recipient_already_served_before_a_crash_is_not_sent_it_again(
    make_follow_up, people, db, scripted_smtp, send_now, app
):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        follow_up = make_follow_up("agreed", due_date=date(2026, 3, 10), finding=people.visit.findings[0])
    with time_machine.travel(local(2026, 3, 13, 8, 0), tick=False):
        sweep(db)
        after = by_kind(db, follow_up)[("follow_up_after_3d", date(2026, 3, 10))]
        reminders.claim_for_sending(after.id)
        after.delivered_to = [str(people.owner.id)]  # the owner's e-mail was handed over, then the crash
        db.session.commit()
    later = local(2026, 3, 13, 8, 0) + timedelta(seconds=app.config["REMINDER_LEASE_SECONDS"] + 1)
    with time_machine.travel(later, tick=False):
        assert sweep(db).recovered == 1
        assert send_now(after.id) == "queued"
    assert [m["To"] for m in scripted_smtp.messages] == ["lena@example.se"]


def test_a_coordinator_sends_a_failed_reminder_again(due_march_10, db, scripted_smtp, send_now, enqueued):
    scripted_smtp.answers = ["550 5.1.1 no such mailbox"]
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        reminder = by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))]
        send_now(reminder.id)
        reminders.retry_failed(reminder.id)
        db.session.commit()
        assert sweep(db).claimed == 1
        assert send_now(reminder.id) == "queued"
    assert len(scripted_smtp.messages) == 1
    assert by_kind(db, due_march_10)[("follow_up_before_7d", date(2026, 3, 10))].status == ReminderStatus.sent


# ---- the kommunicering deadline (DESIGN.md 4.1) ---------------------------------------------------------


def deadline_rows(db, visit):
    db.session.expire_all()
    return list(db.session.scalars(select(Reminder).where(Reminder.visit_id == visit.id)))


@pytest.fixture
def draft_visit(make_visit, people):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        return make_visit("draft", unit=people.unit, lead=people.lead)


def send_for_comment(db, visit, deadline):
    from app.core import access

    visit_services.transition(
        visit.id, actor=access.OPERATOR, to=VisitStatus.sent_for_comment, comment_deadline=deadline
    )
    db.session.commit()


def test_sending_a_visit_for_comment_writes_the_reminder_three_days_before_the_deadline(draft_visit, db):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        send_for_comment(db, draft_visit, date(2026, 3, 16))
    [reminder] = deadline_rows(db, draft_visit)
    assert (reminder.kind, reminder.due_date, reminder.send_after) == (
        "comment_deadline_before_3d",
        date(2026, 3, 16),
        utc(2026, 3, 13, 6, 0),
    )


def test_a_deadline_too_close_for_its_reminder_gets_none(draft_visit, db):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        send_for_comment(db, draft_visit, date(2026, 3, 4))
    assert deadline_rows(db, draft_visit) == []


def test_the_deadline_reminder_goes_to_every_member_of_the_unit_in_their_language(
    draft_visit, db, scripted_smtp, send_now
):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        send_for_comment(db, draft_visit, date(2026, 3, 16))
    with time_machine.travel(local(2026, 3, 13, 7, 5), tick=False):
        assert sweep(db).claimed == 1
        assert send_now(deadline_rows(db, draft_visit)[0].id) == "queued"
    # (a long ASCII subject is folded onto its own line by Python's email package: compare it unfolded)
    received = {m["To"]: m["Subject"].strip() for m in scripted_smtp.messages}
    case = draft_visit.case_number
    assert received == {
        "olivia@example.se": f"Reminder: comments on the draft report {case} are due March 16, 2026",
        "kalle@example.se": f"Påminnelse: synpunkter på utkastet till rapport {case} ska lämnas senast 16 mars 2026",
    }


def test_finalising_drops_the_deadline_reminder(draft_visit, db):
    from app.core import access

    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        send_for_comment(db, draft_visit, date(2026, 3, 16))
        visit_services.transition(
            draft_visit.id, actor=access.OPERATOR, to=VisitStatus.final, waiver_reason="Enheten har avstått skriftligt."
        )
        db.session.commit()
    assert [r.status for r in deadline_rows(db, draft_visit)] == [ReminderStatus.obsolete]


def test_no_deadline_reminder_once_the_unit_has_responded(draft_visit, people, db, enqueued):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        send_for_comment(db, draft_visit, date(2026, 3, 16))
        visit_services.submit_response(draft_visit.id, actor=people.owner, overall="Vi delar bilden.")
        db.session.commit()
    with time_machine.travel(local(2026, 3, 13, 7, 5), tick=False):
        result = sweep(db)
    assert (result.claimed, result.obsolete) == (0, 1)
    assert deadline_rows(db, draft_visit)[0].detail == "the unit has responded"


# ---- configuration and the task's delivery guarantees ---------------------------------------------------


def test_the_schedule_is_configurable(make_follow_up, db, app):
    app.config["FOLLOW_UP_REMINDER_DAYS"] = "-14, -1"
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        follow_up = make_follow_up("agreed", due_date=date(2026, 3, 31))
    assert [(r.kind, r.send_on) for r in rows(db, follow_up)] == [
        ("follow_up_before_14d", date(2026, 3, 17)),
        ("follow_up_before_1d", date(2026, 3, 30)),
    ]


def test_the_send_task_survives_its_worker_and_no_retry_outlives_the_visibility_timeout(app):
    import workers.followups
    from workers.schedule import BEAT_SCHEDULE

    task = workers.followups.send_reminder
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True)
    assert app.extensions["celery"].conf.worker_prefetch_multiplier == 1
    assert app.config["MAIL_BACKOFF_MAX_SECONDS"] < 3600  # Redis' visibility timeout (app.extensions)
    assert BEAT_SCHEDULE["followups.sweep-reminders"]["task"] == "followups.sweep_reminders"
    assert BEAT_SCHEDULE["followups.sweep-reminders"]["schedule"] == 60.0


# ---- case number and contact (issue 14, item 8) ---------------------------------------------------------


@pytest.fixture
def authority(app):
    saved = {k: app.config.get(k) for k in ("ORGANISATION_NAME", "ORGANISATION_PHONE", "ORGANISATION_EMAIL")}
    app.config.update(
        ORGANISATION_NAME="Socialförvaltningen", ORGANISATION_PHONE="010-123 45 67", ORGANISATION_EMAIL="tillsyn@x.se"
    )
    yield
    app.config.update(saved)


def test_a_reminder_carries_the_case_number_and_a_contact_never_the_description(
    make_follow_up, people, db, scripted_smtp, send_now, authority
):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        follow_up = make_follow_up("agreed", due_date=date(2026, 3, 10), visit=people.visit)
    case = people.visit.case_number
    with time_machine.travel(local(2026, 3, 3, 8, 0), tick=False):
        sweep(db)
        [queued] = [r for r in rows(db, follow_up) if r.status == ReminderStatus.queued]
        assert send_now(queued.id) == "queued"
    [message] = scripted_smtp.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in (text, html):
        assert f"Case number: {case}" in part
        assert "Your contact: Lena Lead, lead reviewer (lena@example.se)." in part
        assert "010-123 45 67" in part and "tillsyn@x.se" in part
    assert message["From"].addresses[0].display_name == "Socialförvaltningen"
    assert "Ta fram en rutin" not in message.as_string()


def test_the_deadline_reminder_carries_the_case_number_and_the_lead_as_contact(
    draft_visit, db, scripted_smtp, send_now, authority
):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        send_for_comment(db, draft_visit, date(2026, 3, 16))
    case = draft_visit.case_number
    with time_machine.travel(local(2026, 3, 13, 7, 5), tick=False):
        sweep(db)
        send_now(deadline_rows(db, draft_visit)[0].id)
    received = {m["To"]: m.get_body(preferencelist=("plain",)).get_content() for m in scripted_smtp.messages}
    assert f"Diarienummer: {case}" in received["kalle@example.se"]
    assert "Din kontaktperson: Lena Lead, ansvarig granskare (lena@example.se)." in received["kalle@example.se"]
