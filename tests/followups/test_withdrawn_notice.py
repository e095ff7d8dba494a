"""A proposer who withdraws their own follow-up proposal tells the other side, who had been told "it waits for your
side to accept it" (DESIGN.md 4.2): through the same notices as every other move, in each reader's language, never
the withdrawal's reason, never to the one who withdrew it."""

from __future__ import annotations

from datetime import date

from app.followups import services as follow_ups
from tests.dialogue import test_other_side as other_side
from tests.dialogue.test_other_side import (
    SECRET_DESCRIPTION,
    SECRET_NOTE,
    at,
    batches,
    by_recipient,
    flush,
    no_secret_in,
    text_of,
)

# The story's fixtures: a frozen clock, a real SMTP server, the follow-ups' people.
clock, smtp, story = other_side.clock, other_side.smtp, other_side.story


def _propose(p, actor):
    return follow_ups.propose(
        actor=actor,
        unit_id=p.unit.id,
        visit_id=p.visit.id,
        title="Rutin för nattlarm",
        description=SECRET_DESCRIPTION,
        due_date=date(2026, 4, 30),
        owner_id=p.owner.id,
    )


def test_a_withdrawn_proposal_is_told_to_the_side_it_waited_for_after_it_was_told(story, clock, db, enqueued, smtp):
    p = story
    proposal = _propose(p, p.lead)
    db.session.commit()
    at(clock, 16)
    flush(enqueued)  # the unit has read "it waits for your side to accept it"
    assert "Lena Lead proposed it; it waits for your side" in text_of(by_recipient(smtp)[p.owner.email][0])

    at(clock, 17)
    follow_ups.cancel(proposal.id, actor=p.lead, reason=SECRET_NOTE)
    db.session.commit()
    at(clock, 40)
    flush(enqueued)
    received = by_recipient(smtp)
    assert "Lena Lead withdrew the proposal; it no longer waits for your side." in text_of(received[p.owner.email][1])
    assert "Lena Lead drog tillbaka förslaget; det väntar inte längre på er sida." in text_of(
        received[p.colleague.email][1]
    )
    assert len(received.get(p.lead.email, [])) == 0  # never told of her own move
    for message in batches(smtp):
        no_secret_in(message)


def test_a_proposal_withdrawn_within_the_window_is_told_once_as_withdrawn(story, clock, db, enqueued, smtp):
    """Proposed and withdrawn before the team's batch: the team reads only that it was withdrawn (the later move
    replaces the earlier line), never that it waits for them."""
    p = story
    proposal = _propose(p, p.owner)
    db.session.commit()
    at(clock, 2)
    follow_ups.cancel(proposal.id, actor=p.owner, reason=SECRET_NOTE)
    db.session.commit()
    at(clock, 20)
    flush(enqueued)
    lead_text = text_of(by_recipient(smtp)[p.lead.email][0])
    assert "Olivia Owner drog tillbaka förslaget; det väntar inte längre på er sida." in lead_text
    assert "väntar på att er sida godtar" not in lead_text
    assert "avböjde" not in lead_text
