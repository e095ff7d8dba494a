"""The visits UI: templates, planning (jäv), the on-site screen, transitions and the unit's response."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date
from sqlalchemy import func, select

from app.visits.models import Finding, Response, Template, Visit, VisitStatus
from tests.conftest import PASSWORD


def test_coordinator_creates_and_edits_a_template(browser, make_user, db):
    browser.login(make_user("coordinator"))
    response = browser.post(
        "/templates/new",
        {
            "name": "Förskola",
            "description": "",
            "areas": "Lärmiljö\n- Hur ser lärmiljön ut?\nTrygghet\n- Hur arbetar ni?",
        },
    )
    assert response.status_code == 302
    template = db.session.scalar(select(Template))
    assert [a.title for a in template.current.areas] == ["Lärmiljö", "Trygghet"]
    page = browser.get(f"/templates/{template.id}/edit").text
    assert "- Hur ser lärmiljön ut?" in page


def test_a_question_before_any_area_is_refused_with_its_line_number(browser, make_user, db):
    browser.login(make_user("coordinator"))
    response = browser.post("/templates/new", {"name": "Fel", "areas": "- En fråga utan rubrik\nRubrik"})
    assert response.status_code == 422
    assert "Rad 1" in response.text
    assert "- En fråga utan rubrik" in response.text  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(Template)) == 0


def test_reviewer_plans_a_visit_and_it_gets_a_case_number(browser, make_user, make_unit, make_template, db):
    unit = make_unit("Solrosen")
    template = make_template()
    reviewer = make_user("reviewer", name="Greta Granskare")
    colleague = make_user("reviewer", name="Kalle Kollega")
    browser.login(reviewer)
    response = browser.post(
        "/visits/new",
        {
            "unit": str(unit.id),
            "template": str(template.id),
            "purpose": "planned",
            "visit_date": "2026-12-01",
            "lead": str(reviewer.id),
            "team": [str(colleague.id)],
            "aim": "Ordinarie tillsyn.",
        },
    )
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.case_number == "TS-2026-0001"
    assert visit.lead.id == reviewer.id
    assert visit.team_ids == {reviewer.id, colleague.id}
    assert "TS-2026-0001" in browser.get("/start").text


def test_planning_with_a_member_of_the_unit_on_the_team_is_refused(browser, make_user, make_unit, make_template, db):
    unit = make_unit("Solrosen")
    template = make_template()
    peer = make_user("reviewer", "unit_member", units=[unit], name="Petra Peer")
    browser.login(make_user("coordinator"))
    response = browser.post(
        "/visits/new",
        {
            "unit": str(unit.id),
            "template": str(template.id),
            "purpose": "planned",
            "visit_date": "2026-12-01",
            "lead": str(peer.id),
        },
    )
    assert response.status_code == 422
    assert "Jäv" in response.text
    assert "Petra Peer" in response.text
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_on_site_a_finding_is_recorded_in_few_taps(browser, make_visit, db):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    area = visit.template_version.areas[1]
    page = browser.get(f"/visits/{visit.id}/site?area={area.id}")
    assert page.status_code == 200
    assert "Hur görs de boende delaktiga i sin vardag?" in page.text
    assert 'capture="environment"' in page.text
    response = browser.post(
        f"/visits/{visit.id}/findings",
        {"kind": "deviation", "severity": "serious", "text": "Larmet fungerade inte.", "review_area": str(area.id)},
    )
    assert response.status_code == 302
    finding = db.session.scalar(select(Finding))
    assert (finding.kind.value, finding.severity.value, finding.review_area_id) == ("deviation", "serious", area.id)
    assert "Larmet fungerade inte." in browser.get(f"/visits/{visit.id}/site?area={area.id}").text


def test_a_deviation_without_severity_keeps_the_text_and_says_why(browser, make_visit, db):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    response = browser.post(f"/visits/{visit.id}/findings", {"kind": "deviation", "text": "Något saknas."})
    assert response.status_code == 422
    assert "Något saknas." in response.text
    assert "mindre eller allvarlig" in response.text
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 0


def test_lead_sends_the_draft_for_comment_from_the_visit_page(browser, make_visit, db, app, enqueued):
    visit = make_visit("draft")
    browser.login(visit.lead)
    deadline = date.today() + timedelta(days=10)
    response = browser.post(
        f"/visits/{visit.id}/transition", {"to": "sent_for_comment", "comment_deadline": deadline.isoformat()}
    )
    assert response.status_code == 302
    db.session.expire_all()
    visit = db.session.get(Visit, visit.id)
    assert visit.status == VisitStatus.sent_for_comment
    assert visit.comment_deadline == deadline


def test_a_forbidden_move_shows_a_clear_message(browser, make_visit):
    visit = make_visit("in_progress")
    browser.login(visit.lead)
    response = browser.post(f"/visits/{visit.id}/transition", {"to": "final"})
    assert response.status_code == 409
    assert "kan inte gå från" in response.text


def test_unit_member_sees_only_date_and_team_before_kommunicering(browser, make_visit, make_user):
    visit = make_visit("draft", findings=(("strength", None, "Hemlig iakttagelse i utkastet."),))
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    page = browser.get(f"/visits/{visit.id}")
    assert page.status_code == 200
    assert visit.lead.name in page.text
    assert "Hemlig iakttagelse" not in page.text
    assert browser.get(f"/visits/{visit.id}/respond").status_code == 404
    assert browser.get(f"/findings/{visit.findings[0].id}/edit").status_code == 404


def test_unit_member_responds_to_the_report_and_each_finding(browser, make_visit, make_user, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    assert visit.case_number in browser.get("/start").text
    finding = visit.findings[0]
    response = browser.post(
        f"/visits/{visit.id}/respond",
        {"overall": "Tack för ett gott samarbete.", f"stance-{finding.id}": "partly", f"text-{finding.id}": "Delvis."},
    )
    assert response.status_code == 302
    rows = db.session.scalars(select(Response).order_by(Response.finding_id.is_(None))).all()
    assert {(r.finding_id, r.stance.value if r.stance else None) for r in rows} == {
        (finding.id, "partly"),
        (None, None),
    }
    assert all(r.received_at is not None for r in rows)
    assert "Tack för ett gott samarbete." in browser.get(f"/visits/{visit.id}").text


def test_reviewer_not_on_the_team_reads_but_may_not_record(browser, make_visit, make_user):
    visit = make_visit("in_progress")
    browser.login(make_user("reviewer"))
    assert browser.get(f"/visits/{visit.id}").status_code == 200
    assert browser.get(f"/visits/{visit.id}/site").status_code == 403
    assert browser.post(f"/visits/{visit.id}/findings", {"kind": "strength", "text": "x"}).status_code == 403


def test_visit_list_filters_by_status(browser, make_visit, make_user):
    planned = make_visit("planned")
    draft = make_visit("draft", lead=planned.lead)
    browser.login(make_user("coordinator"))
    page = browser.get("/visits?status=draft").text
    assert draft.case_number in page and planned.case_number not in page


def test_text_typed_when_the_session_expired_is_kept_after_logging_in_again(app, browser, make_visit, db):
    from datetime import timedelta

    import time_machine

    from app.core.models import utcnow

    visit = make_visit("in_progress", findings=())
    area = visit.template_version.areas[0]
    site = f"/visits/{visit.id}/site?area={area.id}"
    with time_machine.travel(utcnow(), tick=False) as traveller:
        browser.login(visit.lead)
        token = browser.token()
        traveller.shift(timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 5))
        response = browser.client.post(
            f"/visits/{visit.id}/findings",
            data={
                "csrf_token": token,
                "kind": "development",
                "text": "Skrivet precis innan utloggningen.",
                "review_area": str(area.id),
            },
            headers={"Referer": f"http://localhost{site}"},
        )
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
        login = browser.client.post(
            response.headers["Location"],
            data={"email": visit.lead.email, "password": PASSWORD, "csrf_token": browser.token()},
        )
        assert login.headers["Location"].endswith(site)
        page = browser.get(site).text
    assert "Skrivet precis innan utloggningen." in page
    assert 'checked id="kind-1"' in page or 'id="kind-1" name="kind" type="radio" value="development"' in page
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 0


def test_unit_timeline_leaves_out_the_teams_draft_material(browser, make_visit, make_user):
    visit = make_visit("draft")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    page = browser.get(f"/units/{visit.unit_id}").text
    assert "en iakttagelse" not in page and "a finding" not in page


def test_visit_list_queries_do_not_grow_with_the_number_of_visits(count_queries, app, browser, make_visit, make_user):
    lead = make_user("reviewer")
    for _ in range(2):
        make_visit("planned", lead=lead)
    browser.login(make_user("coordinator"))
    few = count_queries.get(browser, "/visits")
    for _ in range(6):
        make_visit("planned", lead=lead)
    assert count_queries.get(browser, "/visits") == few


def test_visit_page_queries_do_not_grow_with_the_number_of_findings(count_queries, app, browser, make_visit):
    small = make_visit("draft", findings=(("strength", None, "En."),))
    many = make_visit(
        "draft",
        lead=small.lead,
        findings=tuple(("deviation", "minor", f"Brist {i}.") for i in range(8)),
    )
    browser.login(small.lead)
    assert count_queries.get(browser, f"/visits/{many.id}") == count_queries.get(browser, f"/visits/{small.id}")


def test_the_visit_page_shows_strengths_first_then_development_then_deviations(browser, make_visit):
    visit = make_visit(
        "draft",
        findings=(
            ("deviation", "minor", "Mindre brist i dokumentationen."),
            ("development", None, "Utveckla introduktionen."),
            ("deviation", "serious", "Allvarlig brist i larmrutinen."),
            ("strength", None, "Personalen känner de boende väl."),
        ),
    )
    browser.login(visit.lead)
    page = browser.get(f"/visits/{visit.id}").text
    order = [
        page.index(text)
        for text in (
            "Personalen känner de boende väl.",
            "Utveckla introduktionen.",
            "Allvarlig brist i larmrutinen.",
            "Mindre brist i dokumentationen.",
        )
    ]
    assert order == sorted(order)


def test_a_reviewers_start_page_lists_their_open_visits_only(browser, make_visit, make_user):
    me = make_user("reviewer", name="Mona Mig")
    mine = make_visit("in_progress", members=(me,))
    closed = make_visit("closed", lead=me)
    someone_elses = make_visit("planned")
    browser.login(me)
    page = browser.get("/start").text
    assert mine.case_number in page
    assert closed.case_number not in page and someone_elses.case_number not in page


def test_a_coordinator_who_also_reviews_sees_their_visits_on_the_start_page(browser, make_visit, make_user):
    both = make_user("coordinator", "reviewer")
    mine = make_visit("planned", lead=both)
    browser.login(both)
    assert mine.case_number in browser.get("/start").text


def test_the_visit_list_shows_my_visits(browser, make_visit, make_user):
    me = make_user("reviewer")
    mine = make_visit("planned", lead=me)
    other = make_visit("planned")
    browser.login(me)
    page = browser.get("/visits?reviewer=me").text
    assert mine.case_number in page and other.case_number not in page
    assert '<option value="me" selected>' in page


def test_the_unit_sees_no_purpose_of_a_visit_before_kommunicering_in_the_list(browser, make_visit, make_user, db):
    from app.core import access
    from app.visits import services

    draft = make_visit("draft")
    services.update_plan(
        draft.id,
        actor=access.OPERATOR,
        visit_date=draft.visit_date,
        lead_id=draft.lead.id,
        member_ids=[],
        aim="Hemligt syfte.",
    )
    db.session.commit()
    member = make_user("unit_member", units=[draft.unit])
    browser.login(member)
    page = browser.get("/visits").text
    assert draft.case_number in page
    assert "Planerad granskning" not in page and "Hemligt syfte." not in page


def test_the_history_says_changes_in_words_not_codes(browser, make_visit, make_user, db, app, enqueued):
    visit = make_visit("draft")
    browser.login(visit.lead)
    deadline = date.today() + timedelta(days=100)  # a comment deadline lies within a year (issue 13)
    in_swedish = format_date(deadline, "d MMMM y", locale="sv")
    in_english = format_date(deadline, "MMM d, y", locale="en")
    browser.post(f"/visits/{visit.id}/transition", {"to": "sent_for_comment", "comment_deadline": deadline.isoformat()})

    history = browser.get(f"/visits/{visit.id}?lang=sv").get_data(as_text=True).split('class="timeline"')[1]
    assert "Planerat</del> → <ins>Pågår" in history
    assert "Pågår</del> → <ins>Utkast" in history
    assert in_swedish in history  # the deadline as a date in words
    for code in ("in_progress", "sent_for_comment</ins>", f"{deadline.isoformat()}</ins>", "+00:00</ins>"):
        assert code not in history, code

    history = browser.get(f"/visits/{visit.id}?lang=en").get_data(as_text=True).split('class="timeline"')[1]
    assert "Planned</del> → <ins>In progress" in history
    assert in_english in history
