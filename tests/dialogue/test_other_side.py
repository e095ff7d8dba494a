"""What the other side did (DESIGN.md 4.2, third bullet), told in the batched e-mail: the unit's response (to the
team), a follow-up proposed (to the other side), accepted or declined (to the proposer's side), reported done (to the
team), verified or reopened (to its owner), a boundary proposed or answered (to the other side), a visit cancelled or
withdrawn (to the unit). Each reaches the right people exactly once per batch window through a real SMTP server,
with the case number, title, what happened, who and a link; never confidential text; never to the one who acted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select

from app.dialogue.models import PendingNotice
from app.followups import services as follow_ups
from app.trust import services as trust
from app.visits import services as visits

# Tuesday 10 March 2026, 09:00 UTC = 10:00 in Stockholm.
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SECRET_RESPONSE = "Hemligt: nattpersonalen saknar utbildning i läkemedel."
SECRET_DESCRIPTION = "Hemligt: ta fram en rutin för boendet Solgläntans brukare."
SECRET_DONE = "Hemligt: alla i personalen har gått kursen."
SECRET_NOTE = "Hemligt: loggen visar två missade larm."
SECRETS = (SECRET_RESPONSE, SECRET_DESCRIPTION, SECRET_DONE, SECRET_NOTE, "Hemligt")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def smtp(app, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False, SMTP_USER=None)
    return smtp_server


@pytest.fixture
def story(clock, people, db):
    """``people`` of the follow-ups' fixtures: the visit of Björkbacken is out for comment, Lena Lead leads it;
    Olivia Owner (English) and Kalle Kollega (Swedish) are the unit's members."""
    return people


def at(clock, minutes: float) -> None:
    clock.move_to(T0 + timedelta(minutes=minutes))


def flush(enqueued) -> None:
    """What beat and a worker do: the periodic flush, then every task it enqueued (the batch, then its e-mail)."""
    enqueued.celery.tasks["dialogue.flush_notifications"].apply().get()
    enqueued.run_all()


def batches(smtp) -> list:
    """The batched e-mails the SMTP server received (their Message-IDs are the batch's own)."""
    return [m for m in smtp.messages if m["Message-ID"].startswith("<dialogue.")]


def by_recipient(smtp) -> dict[str, list]:
    received: dict[str, list] = {}
    for message in batches(smtp):
        received.setdefault(message["To"], []).append(message)
    return received


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def no_secret_in(message) -> None:
    whole = message.as_string()
    for secret in SECRETS:
        assert secret not in whole


def test_the_story_of_a_follow_up_tells_each_side_once_per_window_and_never_the_one_who_acted(
    story, clock, db, enqueued, smtp
):
    p = story
    visits.submit_response(p.visit.id, actor=p.owner, overall=SECRET_RESPONSE)
    db.session.commit()
    at(clock, 1)
    follow_up = follow_ups.propose(
        actor=p.lead,
        unit_id=p.unit.id,
        visit_id=p.visit.id,
        title="Rutin för nattlarm",
        description=SECRET_DESCRIPTION,
        due_date=date(2026, 4, 30),
        owner_id=p.owner.id,
    )
    db.session.commit()
    at(clock, 2)
    follow_ups.accept(follow_up.id, actor=p.colleague)
    db.session.commit()

    at(clock, 14)
    flush(enqueued)
    assert batches(smtp) == []  # the window has not passed

    at(clock, 16)  # a window after the proposal (minute 1), the oldest news of the unit's two members
    flush(enqueued)
    received = by_recipient(smtp)
    # One e-mail each; the coordinator and the other reviewer are no party to it.
    assert sorted(received) == sorted([p.lead.email, p.owner.email, p.colleague.email])
    assert all(len(mails) == 1 for mails in received.values())
    for [message] in received.values():
        no_secret_in(message)
        assert p.visit.case_number in text_of(message)
        assert f"http://localhost/follow-ups/{follow_up.id}" in text_of(message)

    lead_text = text_of(received[p.lead.email][0])  # Swedish
    assert "Olivia Owner lämnade enhetens yttrande över utkastet till rapport." in lead_text
    assert f"http://localhost/visits/{p.visit.id}" in lead_text
    assert "Kalle Kollega godtog den; nu är den överenskommen av båda parter." in lead_text
    assert "Uppföljningen ”Rutin för nattlarm”" in lead_text

    owner_text = text_of(received[p.owner.email][0])  # English
    assert received[p.owner.email][0]["Subject"] == "News in your cases in Lärande tillsyn"
    assert f"{p.visit.case_number} – Follow-up “Rutin för nattlarm”: Lena Lead proposed it" in owner_text
    assert "Kalle Kollega" not in owner_text  # the unit's own acceptance is not news to the unit

    colleague_text = text_of(received[p.colleague.email][0])
    assert "Lena Lead föreslog den" in colleague_text
    assert "godtog" not in colleague_text  # never told of his own move

    at(clock, 17)
    flush(enqueued)
    assert len(batches(smtp)) == 3  # exactly once: nothing is told again

    # Reported done (to the team), reopened (to its owner), then done again and verified (to its owner).
    at(clock, 20)
    follow_ups.report_done(follow_up.id, actor=p.owner, description=SECRET_DONE)
    db.session.commit()
    at(clock, 21)
    follow_ups.reopen(follow_up.id, actor=p.lead, note=SECRET_NOTE)
    db.session.commit()
    at(clock, 41)
    flush(enqueued)
    received = by_recipient(smtp)
    assert [len(received[p.lead.email]), len(received[p.owner.email]), len(received[p.colleague.email])] == [2, 2, 1]
    lead_text = text_of(received[p.lead.email][1])
    assert "Olivia Owner rapporterade den som genomförd" in lead_text
    assert "öppnade den igen" not in lead_text
    owner_text = text_of(received[p.owner.email][1])
    assert "Lena Lead reopened it" in owner_text
    assert "reported it done" not in owner_text
    for message in batches(smtp):
        no_secret_in(message)

    at(clock, 42)
    follow_ups.report_done(follow_up.id, actor=p.owner, description=SECRET_DONE)
    follow_ups.verify(follow_up.id, actor=p.lead, note=SECRET_NOTE)
    db.session.commit()
    at(clock, 60)
    flush(enqueued)
    received = by_recipient(smtp)
    assert "Lena Lead verified it." in text_of(received[p.owner.email][2])
    assert len(received[p.colleague.email]) == 1  # verified and reopened go to its owner only


def test_a_declined_proposal_is_told_to_the_proposing_side(story, clock, db, enqueued, smtp):
    p = story
    follow_up = follow_ups.propose(
        actor=p.owner,
        unit_id=p.unit.id,
        visit_id=p.visit.id,
        title="Ny larmrutin",
        description=SECRET_DESCRIPTION,
        due_date=date(2026, 4, 30),
    )
    db.session.commit()
    at(clock, 1)
    follow_ups.cancel(follow_up.id, actor=p.lead, reason=SECRET_NOTE)
    db.session.commit()
    at(clock, 20)
    flush(enqueued)
    received = by_recipient(smtp)
    assert sorted(received) == sorted([p.lead.email, p.owner.email, p.colleague.email])
    assert "Olivia Owner föreslog den" in text_of(received[p.lead.email][0])
    assert "Lena Lead declined it." in text_of(received[p.owner.email][0])
    assert "Lena Lead avböjde den." in text_of(received[p.colleague.email][0])
    for message in batches(smtp):
        no_secret_in(message)


def test_a_boundary_proposed_and_answered_is_told_to_the_other_side(story, clock, db, enqueued, smtp):
    p = story
    version = trust.propose_boundary(
        p.unit.id, actor=p.reviewer, kind="overdue_follow_up", days=30, rationale=SECRET_NOTE
    )
    db.session.commit()
    at(clock, 15)
    flush(enqueued)
    received = by_recipient(smtp)
    assert sorted(received) == sorted([p.owner.email, p.colleague.email])  # the unit answers it
    assert "Rolf Reviewer proposed it; it comes into force only if your side accepts it." in text_of(
        received[p.owner.email][0]
    )
    assert f"http://localhost/units/{p.unit.id}/boundaries" in text_of(received[p.owner.email][0])

    at(clock, 16)
    trust.accept_version(version.id, actor=p.colleague)
    db.session.commit()
    at(clock, 40)
    flush(enqueued)
    received = by_recipient(smtp)
    # The proposing side: the reviewer who proposed, and the coordinators; not the unit, which answered.
    assert len(received[p.reviewer.email]) == 1 and len(received[p.coordinator.email]) == 1
    assert "Kalle Kollega godtog er sidas förslag." in text_of(received[p.reviewer.email][0])
    assert len(received[p.owner.email]) == 1 and len(received[p.colleague.email]) == 1
    for message in batches(smtp):
        no_secret_in(message)


def test_a_cancelled_visit_is_told_to_the_unit_not_to_the_team(make_visit, make_user, clock, db, enqueued, smtp):
    helper = make_user("reviewer", name="Tore Team", email="tore@example.se")
    visit = make_visit("planned", members=(helper,))
    member = make_user("unit_member", units=[visit.unit], name="Ulla Enhet", email="ulla@example.se", language="en")
    visits.transition(visit.id, actor=visit.lead, to="cancelled", reason="Hemligt: planerat av misstag.")
    db.session.commit()
    at(clock, 15)
    flush(enqueued)
    [message] = batches(smtp)
    assert message["To"] == member.email
    assert f"{visit.case_number} – Review visit to" in text_of(message)
    assert "Lena Lead cancelled the visit." in text_of(message)
    no_secret_in(message)


def test_who_has_switched_e_mails_off_or_may_no_longer_see_it_is_not_told(story, clock, db, enqueued, smtp):
    from app.dialogue import services as dialogue
    from app.units.models import Membership

    p = story
    dialogue.set_notification_mode(actor=p.colleague, mode="off")
    visits.submit_response(p.visit.id, actor=p.owner, overall=SECRET_RESPONSE)
    follow_up = follow_ups.propose(
        actor=p.lead,
        unit_id=p.unit.id,
        visit_id=p.visit.id,
        title="Rutin för nattlarm",
        description=SECRET_DESCRIPTION,
        due_date=date(2026, 4, 30),
        owner_id=p.owner.id,
    )
    db.session.commit()
    waiting = db.session.scalar(
        select(func.count()).select_from(PendingNotice).where(PendingNotice.recipient_id == p.colleague.id)
    )
    assert waiting == 0  # switched off: nothing waits for him
    # Olivia leaves the unit before her batch: the follow-up is another unit's to her now, and not told.
    db.session.execute(delete(Membership).where(Membership.user_id == p.owner.id))
    db.session.commit()
    at(clock, 15)
    flush(enqueued)
    assert sorted(by_recipient(smtp)) == [p.lead.email]
    assert follow_up.id  # (kept for the reader: the proposal existed)


def test_a_rolled_back_move_leaves_nothing_to_tell(story, db):
    p = story
    visits.submit_response(p.visit.id, actor=p.owner, overall=SECRET_RESPONSE)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PendingNotice)) == 0


def test_a_changed_proposal_is_told_to_the_side_that_must_accept_it_again(story, clock, db, enqueued, smtp):
    p = story
    follow_up = follow_ups.propose(
        actor=p.lead,
        unit_id=p.unit.id,
        visit_id=p.visit.id,
        title="Rutin för nattlarm",
        description=SECRET_DESCRIPTION,
        due_date=date(2026, 4, 30),
        owner_id=p.owner.id,
    )
    db.session.commit()
    at(clock, 1)
    follow_ups.update(follow_up.id, actor=p.owner, due_date=date(2026, 5, 31))
    db.session.commit()
    at(clock, 20)
    flush(enqueued)
    received = by_recipient(smtp)
    assert "Olivia Owner ändrade förslaget; det väntar på att er sida godtar det." in text_of(received[p.lead.email][0])
    assert "changed the proposal" not in text_of(received[p.owner.email][0])  # her own move
