"""The demo data set (`flask demo-data`, loaded by `make run`) is what the README says it is (issue 14, item 9):
visits in every status, the final report's PDF stored, and `make run` prints the four demo logins."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_has_a_visit_in_every_status_and_a_stored_final_report(app, db):
    from app.followups.models import FollowUp, FollowUpStatus
    from app.visits.models import FinalReport, Visit, VisitStatus

    result = run(app, "demo-data")
    assert result.exit_code == 0, result.output
    visits = list(db.session.scalars(select(Visit)))
    assert {v.status for v in visits} == set(VisitStatus)
    for visit in visits:
        stored = db.session.scalar(select(FinalReport).where(FinalReport.visit_id == visit.id))
        if visit.status in (VisitStatus.final, VisitStatus.closed):
            assert stored is not None and stored.pdf.startswith(b"%PDF"), visit.case_number
        else:
            assert stored is None
    cancelled = next(v for v in visits if v.status == VisitStatus.cancelled)
    assert "misstag" in (cancelled.cancel_reason or "")
    closed = next(v for v in visits if v.status == VisitStatus.closed)
    of_closed = list(db.session.scalars(select(FollowUp).where(FollowUp.visit_id == closed.id)))
    assert of_closed and all(f.status == FollowUpStatus.verified for f in of_closed)


def test_make_run_prints_the_four_logins_and_the_readme_tells_the_truth():
    from app.demo import DEMO_LOGINS, PEOPLE

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(DEMO_LOGINS) == 4
    emails = {email for email, *_rest in PEOPLE}
    for _role, email in DEMO_LOGINS:
        assert email in emails and f"`{email}`" in readme
    assert "PORT=" in readme
    assert "visits in every status" in readme
