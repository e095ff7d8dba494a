"""The learning part of `flask demo-data` (issue 15 item 5): what the demo shows is there, through the services."""

from __future__ import annotations

from sqlalchemy import select


def test_the_demo_has_examples_self_assessments_feedback_and_three_years(app, db):
    from app.auth.models import User
    from app.core.models import local_today
    from app.learning import services
    from app.learning.models import ExampleStatus, GoodExample, SelfAssessment, SelfAssessmentDraft

    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    people = {u.email: u for u in db.session.scalars(select(User))}
    examples = list(db.session.scalars(select(GoodExample)))
    by_status = {s: [e for e in examples if e.status == s] for s in ExampleStatus}
    consented = by_status[ExampleStatus.consented]
    assert len(consented) >= 3
    assert {e.named for e in consented} == {True, False}  # some named, some by kind
    assert all(e.shown_photos for e in consented)  # each with its photos
    assert by_status[ExampleStatus.withdrawn] and by_status[ExampleStatus.proposed]

    # Another unit's member finds the elderly care home's example by a Swedish word form.
    preschool_member = people["unit@demo.tillsyn.se"]
    found = services.library(preschool_member, q="äldreboende", area=None, unit_kind=None, year=None, page=1)
    assert any("Äldreboendet har en tydlig rutin" in e.finding.text for e in found.items)

    assert db.session.scalar(select(SelfAssessment.id)) is not None
    assert db.session.scalar(select(SelfAssessmentDraft.id)) is not None

    summary = services.feedback_summary(people["samordnare@demo.tillsyn.se"])
    assert summary.overall.count >= 5
    assert "Gustav Granskare" in summary.by_reviewer  # five answers: shown
    assert summary.hidden_reviewers >= 1  # the other reviewer has fewer: hidden
    # Elin has not answered on the latest final visit: her portal invites her.
    elin = people["enhet@demo.tillsyn.se"]
    assert services.feedback_waiting(elin, list(elin.unit_ids))

    stats = services.finding_statistics(people["granskare@demo.tillsyn.se"])
    year = local_today().year
    assert {str(year - 2), str(year - 1), str(year)} <= set(stats.periods)
    assert sum(t["serious"] for t in stats.totals.values()) >= 2
