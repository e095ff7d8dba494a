"""The stored per-person unread count (DESIGN.md 4.2; issue 17): the menu reads one row, and that row stays equal to
counting the visible messages afresh through new messages, internal notes, read marks, memberships, roles, a visit's
status and a removed finding's conversation."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role, UserRole
from app.core import access
from app.dialogue import services
from app.dialogue.models import Thread, UnreadCount
from app.units.models import Membership
from app.visits import services as visit_services
from app.visits.models import VisitStatus


def stored(db, person) -> int | None:
    return db.session.scalar(select(UnreadCount.total).where(UnreadCount.user_id == person.id))


def counted(person) -> int:
    return services._count_unread(person)


def assert_kept(db, *people) -> None:
    db.session.expire_all()
    for person in people:
        assert stored(db, person) is not None, person.name
        assert stored(db, person) == counted(person), person.name


def test_a_new_person_starts_with_a_stored_count(db, make_user):
    person = make_user("coordinator")

    assert stored(db, person) == 0


def test_a_message_raises_the_count_of_everyone_it_is_new_to_but_its_author(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    coordinator = make_user("coordinator")

    write(visit.lead, visit=visit, text="Till enheten.")

    assert (stored(db, member), stored(db, coordinator), stored(db, visit.lead)) == (1, 1, 0)
    assert_kept(db, member, coordinator, visit.lead)


def test_an_internal_note_counts_only_for_the_supervising_side(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    peer = make_user("reviewer", units=[visit.unit], name="Jävig granskare")  # a reviewer in the unit: jäv
    coordinator = make_user("coordinator")

    write(visit.lead, visit=visit, text="Intern.", internal=True)

    assert (stored(db, member), stored(db, peer), stored(db, coordinator)) == (0, 0, 1)
    assert_kept(db, member, peer, coordinator)


def test_a_visit_sent_for_comment_keeps_the_counts_right(db, make_visit, make_user, write):
    visit = make_visit("draft")
    member = make_user("unit_member", units=[visit.unit])
    coordinator = make_user("coordinator")
    write(visit.lead, finding=visit.findings[0], text="Intern om iakttagelsen.", internal=True)

    visit_services.transition(
        visit.id,
        actor=access.OPERATOR,  # type: ignore[arg-type]
        to=VisitStatus.sent_for_comment,
        comment_deadline=date.today() + timedelta(days=14),
    )
    db.session.commit()

    assert (stored(db, member), stored(db, coordinator)) == (0, 1)
    assert_kept(db, member, coordinator)


def test_marking_read_lowers_the_count_by_what_was_read(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit, text="Ett.")
    write(visit.lead, finding=visit.findings[0], text="Två.")

    services.mark_read(actor=member, visit_id=visit.id)
    db.session.commit()

    assert stored(db, member) == 1
    assert_kept(db, member)


def test_writing_in_a_conversation_reads_it_for_the_writer(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit, text="Fråga.")

    write(member, visit=visit, text="Svar.")

    assert stored(db, member) == 0
    assert_kept(db, member, visit.lead)


def test_joining_and_leaving_a_unit_recounts(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    outsider = make_user("unit_member")
    write(visit.lead, visit=visit, text="Till enheten.")
    assert stored(db, outsider) == 0

    membership = Membership(unit_id=visit.unit.id, user_id=outsider.id)
    db.session.add(membership)
    db.session.commit()
    assert stored(db, outsider) == 1

    db.session.delete(membership)
    db.session.commit()
    assert stored(db, outsider) == 0


def test_a_new_role_recounts(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    write(visit.lead, visit=visit, text="Intern.", internal=True)
    person = make_user("unit_member")
    assert stored(db, person) == 0

    db.session.add(UserRole(user_id=person.id, role=Role.coordinator))
    db.session.commit()

    assert stored(db, person) == 1


def test_a_removed_finding_takes_its_notes_out_of_the_counts(db, make_visit, make_user, write):
    visit = make_visit("in_progress")
    coordinator = make_user("coordinator")
    write(visit.lead, finding=visit.findings[0], text="Intern om iakttagelsen.", internal=True)
    assert stored(db, coordinator) == 1

    db.session.delete(visit.findings[0])
    db.session.commit()

    assert stored(db, coordinator) == 0


def test_the_stored_counts_equal_counting_afresh_over_a_random_history(db, make_visit, make_user, write):
    rng = random.Random(17)
    visits = [make_visit(status) for status in ("in_progress", "draft", "sent_for_comment", "sent_for_comment")]
    people = [make_user("coordinator", name="Samordnare"), make_user("reviewer", name="Granskare")]
    for visit in visits:
        people.append(make_user("unit_member", units=[visit.unit], name="Företrädare"))
    people.append(make_user("reviewer", units=[visits[2].unit], name="Jävig"))
    for _ in range(40):
        visit = rng.choice(visits)
        finding = rng.choice([None, visit.findings[0]])
        writer = visit.lead if rng.random() < 0.6 else rng.choice(people)
        internal = rng.random() < 0.3
        try:
            write(writer, visit=None if finding else visit, finding=finding, internal=internal)
        except Exception:  # refused by the rules (not the writer's conversation, a note from the unit side)
            db.session.rollback()
        if rng.random() < 0.3:
            reader = rng.choice(people)
            try:
                services.mark_read(
                    actor=reader, visit_id=None if finding else visit.id, finding_id=finding and finding.id
                )
                db.session.commit()
            except Exception:
                db.session.rollback()

    assert_kept(db, *people, *(v.lead for v in visits))
    services.count_unread_for_everyone()
    assert_kept(db, *people, *(v.lead for v in visits))


def test_the_conversation_list_pages_in_the_order_of_the_newest_visible_message(db, make_visit, make_user, write):
    from sqlalchemy import func

    from app.dialogue.models import Message

    rng = random.Random(16)
    visits = [make_visit("sent_for_comment") for _ in range(3)]
    member = make_user("unit_member", units=[visits[0].unit])
    peer = make_user("reviewer", units=[visits[1].unit], name="Jävig")
    coordinator = make_user("coordinator")
    for _ in range(20):
        visit = rng.choice(visits)
        finding = rng.choice([None, visit.findings[0]])
        write(visit.lead, visit=None if finding else visit, finding=finding, internal=rng.random() < 0.4)

    for person in (member, peer, coordinator):
        reference = [
            row[0]
            for row in db.session.execute(
                services._summary_query(person).order_by(func.max(Message.created_at).desc(), Thread.id)
            ).all()
        ]
        listed = [s.thread.id for n in (1, 2, 3) for s in services.thread_list(person, page=n, per_page=2).items]
        assert listed == reference[:6], person.name
        unread = [s.thread.id for s in services.thread_list(person, unread_only=True, per_page=50).items]
        assert unread == reference, person.name  # nothing read yet: every visible conversation has news
