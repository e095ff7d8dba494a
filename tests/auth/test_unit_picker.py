"""The person form's unit picker (issue 16) without JavaScript: chosen units first, a search that posts the form
back keeping what was typed and saving nothing, and a list of at most 50 instead of every unit; and a unit
page's "add a representative" (a new person with their set-password e-mail, or someone registered; jäv)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.core.models import OutboxEmail


def listed(html: str) -> list[str]:
    """The unit names of the picker's checkboxes, in page order, with whether each is ticked."""
    block = html.split('id="unit-options"')[1].split("</ul>")[0]
    return [
        ("✓ " if "checked" in attrs else "") + name
        for attrs, name in re.findall(r'<input type="checkbox" name="units"([^>]*)> <label[^>]*>([^<]+)</label>', block)
    ]


@pytest.fixture
def many_units(make_unit, db):
    from app.units.models import Unit

    for i in range(60):
        db.session.add(Unit(name=f"Förskolan {i:02d}"))
    db.session.commit()
    return make_unit("Åby skola"), make_unit("Östra gymnasiet")


def test_the_chosen_units_come_first_and_the_list_is_short(browser, make_user, many_units):
    _aby, ostra = many_units
    person = make_user("unit_member", units=[ostra], name="Per Person")
    browser.login(make_user("coordinator"))

    html = browser.get(f"/people/{person.id}/edit").text

    names = listed(html)
    assert names[0] == "✓ Östra gymnasiet"
    assert len(names) == 51  # the chosen one and the first 50 of the others, not all 62
    assert "De 50 första enheterna som hittades visas" in html
    assert 'role="status"' in html and 'for="unit_q"' in html


def test_find_posts_back_keeping_what_was_typed_and_saves_nothing(browser, make_user, many_units, db):
    aby, ostra = many_units
    browser.login(make_user("coordinator"))

    response = browser.post(
        "/people/new",
        {
            "name": "Åsa Ny",
            "email": "asa@aby.se",
            "roles": ["unit_member"],
            "units": [str(ostra.id)],
            "unit_q": "åby",
            "search_units": "1",
            "send_link": "y",
        },
    )

    assert response.status_code == 200
    assert listed(response.text) == ["✓ Östra gymnasiet", "Åby skola"]
    assert 'value="Åsa Ny"' in response.text and 'value="asa@aby.se"' in response.text
    assert 'value="åby"' in response.text
    assert db.session.scalar(select(User).where(User.email == "asa@aby.se")) is None

    saved = browser.post(
        "/people/new",
        {"name": "Åsa Ny", "email": "asa@aby.se", "roles": ["unit_member"], "units": [str(ostra.id), str(aby.id)]},
    )
    assert saved.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "asa@aby.se"))
    assert person.unit_ids == {aby.id, ostra.id}


def test_a_search_that_finds_nothing_says_so(browser, make_user, many_units):
    browser.login(make_user("coordinator"))
    response = browser.post("/people/new", {"name": "", "email": "", "unit_q": "zzz", "search_units": "1"})
    assert response.status_code == 200 and listed(response.text) == []
    assert "Ingen annan enhets namn innehåller ”zzz”." in response.text


def test_the_options_for_the_enhanced_picker_are_the_coordinators(browser, make_user, many_units):
    browser.login(make_user("coordinator"))
    assert [u["name"] for u in browser.get("/people/unit-options?q=ÖSTRA").json] == ["Östra gymnasiet"]
    browser.logout()
    browser.login(make_user("unit_member", units=[many_units[0]]))
    assert browser.get("/people/unit-options?q=a").status_code == 403


# ---- add a representative -----------------------------------------------------------------------------


def outbox(db) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail)))


def test_a_new_representative_is_created_as_a_member_and_mailed_a_link(browser, make_user, make_unit, db):
    unit = make_unit("Ängens förskola")
    browser.login(make_user("coordinator"))
    assert "Lägg till en företrädare" in browser.get(f"/units/{unit.id}").text

    response = browser.post(
        f"/units/{unit.id}/representatives/new", {"email": "Rut@Angen.se", "name": "Rut Ängsblom", "send_link": "y"}
    )

    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "rut@angen.se"))
    assert person.unit_ids == {unit.id} and {r.value for r in person.roles} == {"unit_member"}
    [mail] = outbox(db)
    assert mail.recipient == "rut@angen.se" and "/set-password/" in mail.text


def test_someone_registered_is_attached_and_jav_over_time_is_refused(browser, make_user, make_unit, make_visit, db):
    unit = make_unit("Ängens förskola")
    other = make_unit("Annan enhet")
    olle = make_user("unit_member", units=[other], name="Olle", email="olle@angen.se")
    rita = make_user("reviewer", name="Rita Granskare", email="rita@tillsyn.se")
    visit = make_visit("in_progress", unit=unit, lead=rita)
    browser.login(make_user("coordinator"))

    attached = browser.post(f"/units/{unit.id}/representatives/new", {"email": "olle@angen.se"})
    refused = browser.post(f"/units/{unit.id}/representatives/new", {"email": "rita@tillsyn.se"})
    again = browser.post(f"/units/{unit.id}/representatives/new", {"email": "olle@angen.se"})

    assert attached.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, olle.id).unit_ids == {unit.id, other.id}
    assert refused.status_code == 422 and "Jäv" in refused.text and visit.case_number in refused.text
    assert unit.id not in db.session.get(User, rita.id).unit_ids
    assert again.status_code == 422 and "hör redan till enheten" in again.text
    assert outbox(db) == []  # registered people have their accounts already


def test_a_new_representative_needs_a_name_and_only_a_coordinator_adds_one(browser, make_user, make_unit, db):
    unit = make_unit("Ängens förskola")
    browser.login(make_user("coordinator"))
    response = browser.post(f"/units/{unit.id}/representatives/new", {"email": "ny@angen.se", "name": ""})
    assert response.status_code == 422 and "Ange personens namn." in response.text
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "ny@angen.se")) == 0
    browser.logout()
    member = make_user("unit_member", units=[unit])
    browser.login(member)
    assert "Lägg till en företrädare" not in browser.get(f"/units/{unit.id}").text
    assert browser.get(f"/units/{unit.id}/representatives/new").status_code == 403
    other = make_unit("Annan enhet")
    assert browser.get(f"/units/{other.id}/representatives/new").status_code == 404
