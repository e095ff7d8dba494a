"""The planning page and API and the units and visits lists run the same number of statements at 10 and at
1,000 units (issue 16)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from app.units.models import Unit, UnitKind
from app.visits.models import Finding, FindingKind, TeamMember, Visit, VisitStatus


def add_units(db, template_version, lead, start: int, count: int) -> None:
    """``count`` units, each with a final visit led by ``lead`` (with a finding) and every third with a planned
    one: rows written directly, as the benchmark does."""
    for n in range(start, start + count):
        unit = Unit(id=uuid.uuid4(), name=f"Enhet {n:05d}", kind=list(UnitKind)[n % len(UnitKind)])
        final = Visit(
            id=uuid.uuid4(),
            case_number=f"TS-2024-{n:05d}",
            unit=unit,
            template_version_id=template_version.id,
            status=VisitStatus.final,
            visit_date=date(2024, 1, 1) + timedelta(days=n % 600),
        )
        final.team = [TeamMember(user_id=lead.id, is_lead=True)]
        final.findings = [Finding(kind=FindingKind.strength, text="Bra rutiner.")]
        db.session.add_all([unit, final])
        if n % 3 == 0:
            planned = Visit(
                id=uuid.uuid4(),
                case_number=f"TS-2026-{n:05d}",
                unit=unit,
                template_version_id=template_version.id,
                status=VisitStatus.planned,
                visit_date=date(2026, 12, 1),
            )
            planned.team = [TeamMember(user_id=lead.id, is_lead=True)]
            db.session.add(planned)
    db.session.commit()


@pytest.fixture
def clock():
    """Time stands still: a login session is touched (one UPDATE) when more than 15 s have passed since the last
    request, which loading 1,000 units on a busy machine can take — a statement that has nothing to do with the
    number of units."""
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def test_planning_statements_do_not_grow_with_the_units(
    clock, db, browser, make_user, make_template, count_queries, api_token
):
    coordinator = make_user("coordinator")
    lead = make_user("reviewer", name="Lena Lead")
    version = make_template().current
    add_units(db, version, lead, 0, 10)
    browser.login(coordinator)
    headers = api_token(coordinator)
    pages = [
        "/planning",
        "/planning?include_planned=1",
        f"/planning?reviewer={lead.id}&unit_kind=school",
        "/units",
        "/units?sort=next_due&dir=desc&unit_kind=school",
        "/visits?sort=unit&unit_q=enhet",
    ]

    small = [count_queries.get(browser, url) for url in pages]
    browser.get("/api/v1/planning", headers=headers)  # the token's first use is recorded once
    with count_queries() as api_small:
        assert browser.get("/api/v1/planning", headers=headers).status_code == 200
    add_units(db, version, lead, 10, 990)
    large = [count_queries.get(browser, url) for url in pages]
    with count_queries() as api_large:
        body = browser.get("/api/v1/planning", headers=headers).get_json()

    assert small == large
    assert api_small.count == api_large.count
    assert body["total"] == 1000


def test_every_sort_and_filter_loads_only_the_page_of_units(app, db, make_user, make_template):
    """The units list and the planning page sort and filter in the database over the stored plans (issue 17): no
    sort (the latest or next visit included) and no filter (reviewer, due before) loads every unit into Python,
    and the page is the right slice of the whole ordered list."""
    from app.planning import services

    coordinator = make_user("coordinator")
    lead = make_user("reviewer", name="Lena Lead")
    add_units(db, make_template().current, lead, 0, 120)
    today = date(2026, 11, 30)
    coordinator_id, lead_id = coordinator.id, lead.id

    def units_loaded(call):
        from app.auth.models import User

        db.session.expunge_all()
        with app.test_request_context():
            items, total = call(db.session.get(User, coordinator_id))
            loaded = sum(isinstance(o, Unit) for o in db.session.identity_map.values())
        return items, total, loaded

    for sort in services.UNIT_SORTS:
        for descending in (False, True):
            with app.test_request_context():
                plans = services.unit_list(coordinator, today=today, sort=sort, descending=descending)
                whole = [p.unit.id for p in plans]
            items, total, loaded = units_loaded(
                lambda actor, s=sort, d=descending: services.unit_list_page(
                    actor, today=today, page=3, per_page=25, sort=s, descending=d
                )
            )
            assert total == 120 and loaded <= 25, (sort, descending, loaded)
            assert [p.unit.id for p in items] == whole[50:75], (sort, descending)
    items, total, loaded = units_loaded(
        lambda actor: services.unit_list_page(
            actor, today=today, page=1, per_page=25, reviewer_id=lead_id, due_before=date(2026, 2, 15)
        )
    )
    assert loaded <= 25 and total == 45  # due 1 January 2026 + n days for unit n
    assert all(p.next_due < date(2026, 2, 15) and lead_id in p.reviewer_ids for p in items)
    items, total, loaded = units_loaded(
        lambda actor: services.planning_page(actor, today=today, page=2, per_page=20, reviewer_id=lead_id)
    )
    assert loaded <= 20 and total == 80  # every third unit has a planned visit and leaves the due list
    dues = [p.next_due for p in items]
    assert dues == sorted(dues)
