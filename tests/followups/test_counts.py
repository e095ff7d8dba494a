"""The kept follow-up counts (app.followups.counts, issue 17): after every kind of write, each person's kept counts
equal counting their follow-ups directly; overdue follows the reader's day; a unit member counts only their units;
the start pages and the default list read them in the same number of statements however many follow-ups."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.fixtures_followups import DEVELOPMENT, SERIOUS

STATUSES = ("proposed", "agreed", "done_reported", "verified", "cancelled")


def _direct_open_total(person: Any, today: date) -> int:
    from app.extensions import db
    from app.followups import services

    query = services._filtered(person, services.ListFilter(status="open", mine=services._counts_mine(person)), today)
    return int(db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def assert_kept_equal_direct(db: Any, *, today: date | None = None, note: str = "") -> None:
    """Every person's kept counts against the direct counts (as of the committed data, read afresh)."""
    from app.auth.models import User
    from app.followups import counts, services

    today = today or date.today()
    db.session.expire_all()
    for person in db.session.scalars(select(User)):
        kept = counts.stored(person, today)
        assert kept is not None, f"{person.name}: no known counts {note}"
        direct = services.direct_summary(person, today=today)
        got = (
            kept.waiting_for_acceptance,
            kept.waiting_for_verification if person.is_staff else 0,
            kept.overdue,
            kept.open_total,
        )
        expected = (
            direct.waiting_for_acceptance,
            direct.waiting_for_verification,
            direct.overdue,
            _direct_open_total(person, today),
        )
        assert got == expected, f"{person.name} {note}"


@pytest.fixture
def world(people, make_unit, make_user, make_visit, db):
    """``people`` and more: a draft visit of the unit (hidden from it), a second unit with its own member and a
    follow-up, a reviewer who is also a member of the unit (jäv) and a coordinator who is one too."""
    draft = make_visit("draft", unit=people.unit, lead=people.lead, findings=(SERIOUS, DEVELOPMENT))
    other_unit = make_unit("Ekbacken")
    other_member = make_user("unit_member", units=[other_unit], name="Otto Annan")
    peer = make_user("reviewer", units=[people.unit], name="Per Peer")
    coordinator_member = make_user("coordinator", units=[people.unit], name="Carl Samordnare")
    return {
        "draft": draft,
        "other_unit": other_unit,
        "other_member": other_member,
        "peer": peer,
        "coordinator_member": coordinator_member,
    }


def test_every_person_is_known_from_the_start(people, world, make_follow_up, db):
    make_follow_up("agreed", finding=people.visit.findings[0])
    make_follow_up("proposed")
    assert_kept_equal_direct(db)


def test_the_services_keep_the_counts_through_a_follow_ups_whole_life(people, world, db):
    from app.followups import services

    today = date.today()
    steps: list[tuple[str, Any]] = []
    a = services.propose(
        actor=people.lead,
        unit_id=people.unit.id,
        title="Larm",
        description="Rutin för larm.",
        due_date=today + timedelta(days=10),
        owner_id=people.owner.id,
        finding_id=people.visit.findings[0].id,
    )
    b = services.propose(
        actor=people.owner,
        unit_id=people.unit.id,
        title="Egen",
        description="En egen åtgärd.",
        due_date=today + timedelta(days=3),
    )
    db.session.commit()
    assert_kept_equal_direct(db, note="proposed")
    steps = [
        ("accept a", lambda: services.accept(a.id, actor=people.owner)),
        ("change b", lambda: services.update(b.id, actor=people.reviewer, due_date=today + timedelta(days=5))),
        ("accept b", lambda: services.accept(b.id, actor=people.owner)),
        ("hand a over", lambda: services.update(a.id, actor=people.owner, owner_id=people.colleague.id)),
        ("new due date", lambda: services.update(a.id, actor=people.lead, due_date=today + timedelta(days=1))),
        ("done a", lambda: services.report_done(a.id, actor=people.colleague, description="Klart och infört.")),
        ("reopen a", lambda: services.reopen(a.id, actor=people.lead, note="Saknar utbildning.")),
        ("done a again", lambda: services.report_done(a.id, actor=people.colleague, description="Nu utbildade.")),
        ("verify a", lambda: services.verify(a.id, actor=people.lead, note="Kontrollerat i loggen två veckor.")),
        ("cancel b", lambda: services.cancel(b.id, actor=people.reviewer, reason="Ersätts av en annan.")),
    ]
    for name, step in steps:
        step()
        db.session.commit()
        assert_kept_equal_direct(db, note=name)
        assert_kept_equal_direct(db, today=today + timedelta(days=7), note=f"{name}, a week later")


def test_a_cancelled_visit_takes_its_follow_ups_out_of_every_count(people, world, make_visit, make_follow_up, db):
    from app.visits import services as visit_services

    started = make_visit("in_progress", unit=people.unit, lead=people.lead, findings=(SERIOUS,))
    make_follow_up("proposed", finding=started.findings[0])  # the unit sees neither yet
    make_follow_up("proposed", visit=started)
    assert_kept_equal_direct(db)
    visit_services.transition(started.id, actor=people.lead, to="cancelled", reason="Enheten har lagts ned.")
    db.session.commit()
    assert_kept_equal_direct(db, note="visit cancelled")


def test_roles_and_memberships_changed_by_the_coordinator_are_counted_afresh(people, world, make_follow_up, db):
    from app.auth import services as auth_services

    make_follow_up("agreed", finding=people.visit.findings[0])
    make_follow_up("done_reported")
    make_follow_up("proposed", visit=world["draft"])
    rolf = people.reviewer
    auth_services.update_user(
        rolf.id,
        actor=people.coordinator,
        email=rolf.email,
        name=rolf.name,
        roles=["reviewer", "coordinator"],
        unit_ids=[],
        language=None,
    )
    db.session.commit()
    assert_kept_equal_direct(db, note="a reviewer made coordinator")
    auth_services.update_user(
        rolf.id,
        actor=people.coordinator,
        email=rolf.email,
        name=rolf.name,
        roles=["reviewer"],
        unit_ids=[],
        language=None,
    )
    db.session.commit()
    assert_kept_equal_direct(db, note="and back")
    new = auth_services.create_user(
        actor=people.coordinator,
        email="ny@example.se",
        name="Nina Ny",
        roles=["unit_member"],
        unit_ids=[people.unit.id],
    )
    db.session.commit()
    assert_kept_equal_direct(db, note="a new unit member")
    auth_services.update_user(
        new.id,
        actor=people.coordinator,
        email=new.email,
        name=new.name,
        roles=["unit_member"],
        unit_ids=[world["other_unit"].id],
        language=None,
    )
    db.session.commit()
    assert_kept_equal_direct(db, note="moved to another unit")


def test_any_sequence_of_writes_through_the_session_keeps_the_counts_exact(people, world, make_follow_up, db):
    """Property-style: 80 random writes straight through the ORM (as any writer might: a service, the API, /sync,
    a task), one to three per transaction, sometimes flushed in between; after each commit every person's kept
    counts equal the direct count, on today and on a later day."""
    from app.auth.models import Role, UserRole
    from app.core.models import utcnow
    from app.followups.models import FollowUp, FollowUpStatus
    from app.units.models import Membership
    from app.visits.models import TeamMember, VisitStatus

    rng = random.Random(17)
    today = date.today()
    visits = [people.visit, world["draft"]]
    make_follow_up("agreed", finding=people.visit.findings[0])
    make_follow_up("proposed", visit=world["draft"])
    make_follow_up("done_reported")
    make_follow_up("agreed", due_date=today + timedelta(days=2))
    reviewers = [people.lead, people.reviewer, world["peer"]]

    def follow_ups() -> list[Any]:
        return list(db.session.scalars(select(FollowUp).order_by(FollowUp.created_at, FollowUp.id)))

    def new_follow_up() -> None:
        visit = rng.choice([None, *visits])
        db.session.add(
            FollowUp(
                id=uuid.uuid4(),
                unit_id=people.unit.id,
                visit_id=visit.id if visit else None,
                title="Slumpad",
                description="Slumpad åtgärd.",
                owner_id=people.owner.id,
                reviewer_id=rng.choice([None, people.reviewer.id]),
                due_date=today + timedelta(days=rng.randint(-5, 5)),
                status=FollowUpStatus(rng.choice(STATUSES)),
                proposed_by_side="supervisor",
                supervisor_accepted_at=rng.choice([None, utcnow()]),
                unit_accepted_at=rng.choice([None, utcnow()]),
            )
        )

    def change_follow_up() -> None:
        follow_up = rng.choice(follow_ups())
        field = rng.choice(["status", "sides", "due_date", "reviewer", "visit"])
        if field == "status":
            follow_up.status = FollowUpStatus(rng.choice(STATUSES))
        elif field == "sides":
            follow_up.supervisor_accepted_at = rng.choice([None, utcnow()])
            follow_up.unit_accepted_at = rng.choice([None, utcnow()])
        elif field == "due_date":
            follow_up.due_date = today + timedelta(days=rng.randint(-5, 5))
        elif field == "reviewer":
            follow_up.reviewer_id = rng.choice([None, *(r.id for r in reviewers)])
        else:
            follow_up.visit = rng.choice([None, *visits])

    def remove_follow_up() -> None:
        db.session.delete(rng.choice(follow_ups()))

    def change_team() -> None:
        visit = rng.choice(visits)
        person = rng.choice([people.reviewer, world["peer"]])
        member = next((m for m in visit.team if m.user_id == person.id), None)
        if member is None:
            visit.team.append(TeamMember(id=uuid.uuid4(), user_id=person.id, is_lead=False))
        else:
            visit.team.remove(member)

    def change_visit_status() -> None:
        visit = rng.choice(visits)
        visit.status = rng.choice([VisitStatus.draft, VisitStatus.sent_for_comment, VisitStatus.final])

    def change_membership() -> None:
        person = rng.choice([world["peer"], people.colleague, people.reviewer])
        membership = next((m for m in person.memberships if m.unit_id == people.unit.id), None)
        if membership is None:
            person.memberships.append(Membership(unit=people.unit))
        else:
            person.memberships.remove(membership)

    def change_role() -> None:
        person = rng.choice([people.reviewer, world["peer"]])
        row = next((r for r in person.role_rows if r.role == Role.coordinator), None)
        if row is None:
            person.role_rows.append(UserRole(role=Role.coordinator))
        else:
            person.role_rows.remove(row)

    writes = [new_follow_up, change_follow_up, change_follow_up, remove_follow_up, change_team, change_visit_status]
    writes += [change_membership, change_role, change_follow_up, new_follow_up]
    done = 0
    while done < 80:
        names = []
        for _ in range(rng.randint(1, 3)):
            write = rng.choice(writes)
            if write in (change_follow_up, remove_follow_up) and not follow_ups():
                write = new_follow_up
            write()
            names.append(write.__name__)
            done += 1
            if rng.random() < 0.3:
                db.session.flush()
        db.session.commit()
        note = f"after write {done}: {', '.join(names)}"
        assert_kept_equal_direct(db, note=note)
        assert_kept_equal_direct(db, today=today + timedelta(days=3), note=f"{note}, three days later")


def test_overdue_follows_the_readers_day_without_a_recount(people, world, make_follow_up, db):
    from app.followups import counts, services

    today = date.today()
    make_follow_up("agreed", due_date=today + timedelta(days=1))
    for person in (people.coordinator, people.reviewer, people.owner):
        assert counts.stored(person, today) is not None
        assert services.summary(person, today=today).overdue == 0
        assert services.summary(person, today=today + timedelta(days=1)).overdue == 0
        assert services.summary(person, today=today + timedelta(days=2)).overdue == 1, person.name
    assert_kept_equal_direct(db, today=today + timedelta(days=2))


def test_a_unit_member_counts_only_their_own_units(people, world, make_follow_up, db):
    from app.followups import counts, services

    make_follow_up("proposed")  # people.unit's, waiting for the unit
    before = counts.stored(world["other_member"], date.today())
    assert before is not None and before.open_total == 0
    services.propose(
        actor=world["other_member"],
        unit_id=world["other_unit"].id,
        title="Annan enhet",
        description="Gäller bara Ekbacken.",
        due_date=date.today() + timedelta(days=9),
    )
    db.session.commit()
    assert counts.stored(world["other_member"], date.today()).open_total == 1  # type: ignore[union-attr]
    assert counts.stored(people.owner, date.today()).open_total == 1  # type: ignore[union-attr]
    assert_kept_equal_direct(db)


def test_recount_restores_counts_after_a_bulk_write_and_unknown_people_are_counted_directly(
    people, world, make_follow_up, db
):
    from app.followups import counts, services
    from app.followups.models import FollowUp, FollowUpCount, FollowUpStatus

    make_follow_up("agreed")
    db.session.execute(FollowUp.__table__.update().values(status=FollowUpStatus.done_reported))  # bypasses the ORM
    db.session.execute(FollowUpCount.__table__.delete().where(FollowUpCount.user_id == people.coordinator.id))
    db.session.commit()
    assert counts.stored(people.coordinator, date.today()) is None
    assert services.summary(people.coordinator).waiting_for_verification == 1  # counted directly
    counts.recount()
    db.session.commit()
    assert_kept_equal_direct(db)


def test_the_flask_command_recounts(app, people, make_follow_up, db):
    from app.followups.models import FollowUpCount

    make_follow_up("agreed")
    db.session.execute(FollowUpCount.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["followups", "recount"])
    assert result.exit_code == 0, result.output
    assert_kept_equal_direct(db)


@pytest.mark.parametrize("who", ["coordinator", "lead", "owner"])
def test_start_page_and_default_list_make_the_same_statements_however_many_follow_ups(
    people, make_follow_up, browser, count_queries, who
):
    # The unit member's start page is the unit portal (app.main.portal), which shows no follow-up counts.
    paths = ["/follow-ups"] if who == "owner" else ["/start", "/follow-ups"]
    browser.login(getattr(people, who))
    make_follow_up("agreed", finding=people.visit.findings[0])
    few = [count_queries.get(browser, path) for path in paths]
    for n in range(8):
        make_follow_up(STATUSES[n % 3], visit=people.visit if n % 2 else None)
    many = [count_queries.get(browser, path) for path in paths]
    assert many == few


def test_the_default_lists_total_is_the_kept_one_and_other_filters_count(people, make_follow_up, browser):
    make_follow_up("agreed", finding=people.visit.findings[0])
    make_follow_up("proposed", visit=people.visit)
    make_follow_up("agreed")  # Rolf's, not the lead's
    browser.login(people.lead)
    assert "2 follow-ups" in browser.get("/follow-ups").text or "2 uppföljningar" in browser.get("/follow-ups").text
    everyone = browser.get("/follow-ups?mine=").text
    assert "3 follow-ups" in everyone or "3 uppföljningar" in everyone
