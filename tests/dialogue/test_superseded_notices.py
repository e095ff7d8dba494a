"""A batched e-mail never tells a move as if it were still where things stand when a later move on the same object
came within the same window (DESIGN.md 4.2; README *E-mail*).

What a reader expects: the e-mail is read once, at the end of the window, and each line says where the object
stands *now* and whether something waits for the reader. So, per reader and object:

- a later move the reader is told of **replaces** the earlier line (one line per object: "Olivia changed the
  proposal; it waits for your side" says all there is, a second "Olivia proposed it; it waits for your side"
  above it would only repeat an outdated state);
- a later move of the reader's **own side** (a colleague accepted it, or the reader did), which is not news to
  them, keeps the earlier line — they still learn the follow-up exists — but no longer says it waits for them:
  "Lena Lead proposed it; your side has answered it since." A sentence that states a plain fact (declined,
  verified, the unit's response submitted) stays as it is.
"""

from __future__ import annotations

from datetime import date

from app.followups import services as follow_ups
from app.trust import services as trust
from tests.dialogue import test_other_side as other_side
from tests.dialogue.test_other_side import (
    SECRET_DESCRIPTION,
    at,
    by_recipient,
    flush,
    no_secret_in,
    text_of,
)

# The story's fixtures: a frozen clock, a real SMTP server, the follow-ups' people.
clock, smtp, story = other_side.clock, other_side.smtp, other_side.story


def _propose(p, actor, **extra):
    return follow_ups.propose(
        actor=actor,
        unit_id=p.unit.id,
        visit_id=p.visit.id,
        title="Rutin för nattlarm",
        description=SECRET_DESCRIPTION,
        due_date=date(2026, 4, 30),
        **extra,
    )


def test_a_proposal_accepted_by_the_readers_own_side_no_longer_says_it_waits_for_them(story, clock, db, enqueued, smtp):
    """Lena proposes to the unit; Kalle accepts for the unit two minutes later. Olivia (his colleague, the owner)
    and Kalle himself must not read "it waits for your side to accept it" in the batch that comes after."""
    p = story
    proposal = _propose(p, p.lead, owner_id=p.owner.id)
    db.session.commit()
    at(clock, 2)
    follow_ups.accept(proposal.id, actor=p.colleague)
    db.session.commit()
    at(clock, 18)  # a window after the acceptance too
    flush(enqueued)
    received = by_recipient(smtp)

    owner_text = text_of(received[p.owner.email][0])  # English
    assert "Lena Lead proposed it" in owner_text
    assert "waits for your side" not in owner_text
    assert "Lena Lead proposed it; your side has answered it since." in owner_text
    colleague_text = text_of(received[p.colleague.email][0])  # Swedish, the one who accepted
    assert "väntar på att er sida" not in colleague_text
    assert "Lena Lead föreslog den; er sida har svarat på den sedan." in colleague_text
    # The proposer's side is told of the answer, as before.
    assert "Kalle Kollega godtog den; nu är den överenskommen av båda parter." in text_of(received[p.lead.email][0])
    for messages in received.values():
        no_secret_in(messages[0])


def test_a_changed_proposal_replaces_the_earlier_line_in_the_same_batch(story, clock, db, enqueued, smtp):
    """Olivia proposes, then changes her proposal within the window: the review team reads one line, the latest."""
    p = story
    proposal = _propose(p, p.owner)
    db.session.commit()
    at(clock, 3)
    follow_ups.update(proposal.id, actor=p.owner, due_date=date(2026, 5, 31))
    db.session.commit()
    at(clock, 20)
    flush(enqueued)
    lead_text = text_of(by_recipient(smtp)[p.lead.email][0])
    assert "Olivia Owner ändrade förslaget; det väntar på att er sida godtar det." in lead_text
    assert "föreslog den" not in lead_text
    assert lead_text.count("Uppföljningen ”Rutin för nattlarm”") == 1


def test_a_boundary_answered_by_the_readers_own_side_no_longer_says_it_waits_for_them(story, clock, db, enqueued, smtp):
    """Rolf proposes a boundary to the unit; Kalle accepts it for the unit within the window: Olivia reads that it
    was proposed and that her side has answered it, not that it comes into force only if her side accepts it."""
    p = story
    version = trust.propose_boundary(p.unit.id, actor=p.reviewer, kind="overdue_follow_up", days=30, rationale="X")
    db.session.commit()
    at(clock, 1)
    trust.accept_version(version.id, actor=p.colleague)
    db.session.commit()
    at(clock, 20)
    flush(enqueued)
    owner_text = text_of(by_recipient(smtp)[p.owner.email][0])
    assert "only if your side accepts it" not in owner_text
    assert "Rolf Reviewer proposed it; your side has answered it since." in owner_text
