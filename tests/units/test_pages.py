"""Coordinators' pages for units and people; start pages per role."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from app.auth.models import User
from app.units.models import Unit


def test_coordinator_creates_a_unit(browser, make_user, db):
    browser.login(make_user("coordinator"))
    response = browser.post(
        "/units/new", {"name": "Ekens förskola", "kind": "preschool", "contact_email": "eken@kommun.se"}
    )
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit))
    assert (unit.name, unit.kind.value, unit.trust_level.value) == ("Ekens förskola", "preschool", "baseline")


def test_a_duplicate_unit_name_is_refused_and_the_input_kept(browser, make_user, make_unit, db):
    make_unit("Ekens förskola")
    browser.login(make_user("coordinator"))
    response = browser.post(
        "/units/new", {"name": "ekens FÖRSKOLA", "kind": "preschool", "contact_email": "ny@kommun.se"}
    )
    assert response.status_code == 422
    assert "Det finns redan en enhet med det här namnet" in response.text
    assert 'value="ny@kommun.se"' in response.text
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1


def test_a_bad_contact_email_is_named_in_the_error_summary(browser, make_user):
    browser.login(make_user("coordinator"))
    response = browser.post("/units/new", {"name": "Skolan", "kind": "school", "contact_email": "inte en adress"})
    assert response.status_code == 422
    assert 'href="#contact_email"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_reviewer_and_unit_member_may_not_create_units(browser, make_user, make_unit):
    unit = make_unit()
    for person in (make_user("reviewer"), make_user("unit_member", units=[unit])):
        browser.login(person)
        assert browser.post("/units/new", {"name": "Nej", "kind": "school"}).status_code == 403
        browser.logout()


def test_units_list_filters_by_trust_level_and_paginates(browser, make_user, make_unit):
    for i in range(30):
        make_unit(f"Enhet {i:02d}", trust_level="closer_review" if i % 10 == 0 else "baseline")
    browser.login(make_user("reviewer"))
    closer = browser.get("/units?trust_level=closer_review").text
    assert "Enhet 00" in closer and "Enhet 10" in closer and "Enhet 01" not in closer
    first = browser.get("/units").text
    assert "Enhet 24" in first and "Enhet 25" not in first
    assert "Enhet 25" in browser.get("/units?page=2").text


def test_coordinator_adds_a_person_and_a_link_is_mailed(app, browser, make_user, make_unit, db, enqueued):
    unit = make_unit("Skolan")
    browser.login(make_user("coordinator"))
    response = browser.post(
        "/people/new",
        {
            "name": "Nina Ny",
            "email": "Nina@Skolan.se",
            "roles": ["unit_member"],
            "units": [str(unit.id)],
            "language": "",
            "send_link": "y",
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "nina@skolan.se"))
    assert person.unit_ids == {unit.id}
    [email] = enqueued.emails()
    assert email.recipient == "nina@skolan.se"
    assert "/set-password/" in email.text


def test_a_unit_member_without_a_unit_is_refused_and_nothing_saved(browser, make_user, db):
    browser.login(make_user("coordinator"))
    response = browser.post("/people/new", {"name": "Ingen Enhet", "email": "ingen@x.se", "roles": ["unit_member"]})
    assert response.status_code == 422
    assert "minst en enhet" in response.text
    assert 'value="Ingen Enhet"' in response.text
    assert db.session.scalar(select(User).where(User.email == "ingen@x.se")) is None


def test_coordinator_edits_roles_and_memberships(browser, make_user, make_unit, db):
    a, b = make_unit("A"), make_unit("B")
    person = make_user("unit_member", units=[a])
    browser.login(make_user("coordinator"))
    response = browser.post(
        f"/people/{person.id}/edit",
        {
            "name": "Ny Namn",
            "email": person.email,
            "roles": ["reviewer", "unit_member"],
            "units": [str(b.id)],
            "language": "en",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert {r.value for r in person.roles} == {"reviewer", "unit_member"}
    assert person.unit_ids == {b.id}
    assert person.language == "en"
    history = browser.get(f"/people/{person.id}").text
    assert "gjorde Ny Namn till medlem i B." in history
    assert "tog bort Ny Namn från A." in history  # a removed membership leaves a line too (issue 14)
    assert "gav Ny Namn rollen Granskare." in history


def test_coordinator_cannot_deactivate_themselves(browser, make_user, db):
    me = make_user("coordinator")
    browser.login(me)
    browser.post(f"/people/{me.id}/deactivate")
    db.session.expire_all()
    assert db.session.get(User, me.id).is_active_account


def test_each_role_reaches_its_start_page(new_browser, make_user, make_unit):
    unit = make_unit("Min enhet")
    expectations = {
        "coordinator": "Enheter per förtroendenivå",
        "reviewer": "Ditt granskningsarbete",
        "unit_member": "Min enhet",
    }
    for role, marker in expectations.items():
        browser = new_browser()
        browser.login(make_user(role, units=[unit] if role == "unit_member" else []))
        page = browser.get("/start")
        assert page.status_code == 200
        assert marker in page.text, role


def test_a_units_history_is_shown_newest_first_a_page_at_a_time(browser, make_user, make_unit, db):
    from app.core import access
    from app.units import services

    unit = make_unit("Solrosens förskola")
    for number in range(1, 61):
        services.update_unit(
            unit.id, actor=access.OPERATOR, name=f"Solrosen {number}", kind="preschool", contact_email=None
        )  # type: ignore[arg-type]
        db.session.commit()
    browser.login(make_user("coordinator"))

    first = browser.get(f"/units/{unit.id}").text
    assert "Solrosen 60" in first
    assert first.index("Solrosen 60") < first.index("Solrosen 59")
    # Changes made after the first page was shown do not move the next page (keyset, not OFFSET: issue 17).
    services.update_unit(unit.id, actor=access.OPERATOR, name="Solrosen 61", kind="preschool", contact_email=None)  # type: ignore[arg-type]
    db.session.commit()
    second = browser.get(html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))).text
    assert "Solrosen 5</ins>" in second
    assert "Solrosen 10</ins>" in second and "Solrosen 11</ins>" not in second  # OFFSET would repeat 11
    assert 'rel="prev"' in second
