"""The planning page and API and the units and visits lists run the same number of statements at 10 and at
1,000 units (issue 16)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

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


def test_planning_statements_do_not_grow_with_the_units(
    db, browser, make_user, make_template, count_queries, api_token
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
