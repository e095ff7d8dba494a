"""Planning a closer-review visit (asked for by trust when a boundary is crossed, DESIGN.md 4.3): the visits
domain chooses the template and a lead reviewer without jäv, or plans nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.units.models import Membership
from app.visits import services
from app.visits.models import Visit, VisitPurpose, VisitStatus


def test_the_latest_visits_template_is_kept_and_a_lead_who_joined_the_unit_is_passed_over(db, make_visit, make_user):
    earlier = make_visit("closed")
    former_lead = earlier.lead
    former_lead.memberships.append(Membership(unit_id=earlier.unit_id))  # now a member of the unit: jäv
    other = make_user("reviewer", name="Rolf Reviewer")
    db.session.commit()

    visit = services.plan_closer_review(earlier.unit_id, aim="Titta närmare på larmen.")

    assert visit is not None
    assert (visit.purpose, visit.status, visit.visit_date) == (VisitPurpose.closer_review, VisitStatus.planned, None)
    assert visit.template_version.template_id == earlier.template_version.template_id
    assert visit.lead is not None and visit.lead.id == other.id
    assert visit.aim == "Titta närmare på larmen."
    assert services.open_closer_review_visit(earlier.unit_id) == visit


def test_without_any_template_nothing_is_planned(db, make_unit, make_user):
    unit = make_unit()
    make_user("reviewer")

    assert services.plan_closer_review(unit.id, aim="Titta närmare.") is None
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0
    assert services.open_closer_review_visit(unit.id) is None
