"""The personal identity number: typed once by a coordinator, checked, kept only as a keyed hash (issue 18)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.auth import identity
from app.core.errors import InvalidInput
from app.core.models import AuditEvent
from tests.auth.conftest import HMAC_KEY

TEST_NUMBER = "19121212-1212"


@pytest.fixture
def app_config(app_config):
    app_config["PERSONAL_NUMBER_HMAC_KEY"] = HMAC_KEY
    return app_config


@pytest.mark.parametrize(
    "typed",
    ["19121212-1212", "191212121212", "121212+1212", " 19121212 - 1212 "],
)
def test_usual_spellings_normalise_to_twelve_digits(typed):
    assert identity.normalise_personal_number(typed.replace(" ", ""), today=date(2026, 11, 30)) == "191212121212"


def test_ten_digits_take_the_latest_century_that_is_not_in_the_future():
    assert identity.normalise_personal_number("121212-1212", today=date(2026, 11, 30)) == "201212121212"
    assert identity.normalise_personal_number("1212121212", today=date(2026, 11, 30)) == "201212121212"
    assert identity.normalise_personal_number("811218-9876", today=date(2026, 11, 30)) == "198112189876"


def test_plus_sign_means_a_hundred_years_or_more():
    assert identity.normalise_personal_number("121212+1212", today=date(2026, 11, 30)) == "191212121212"


def test_coordination_number_is_accepted():
    # A coordination number adds 60 to the day: 1981-12-78 is the 18th; the Luhn digit is right.
    number = "198112789876"
    digits = number[2:-1]
    check = next(d for d in range(10) if identity.luhn_valid(digits + str(d)))
    assert identity.normalise_personal_number(number[:-1] + str(check)) == number[:-1] + str(check)


def test_wrong_check_digit_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as raised:
        identity.normalise_personal_number("19121212-1213")
    assert list(raised.value.errors) == ["personal_number"]
    assert "1213" not in str(raised.value.errors)


@pytest.mark.parametrize("typed", ["", "abc", "1912121212", "19121312-1212", "19121232-1212", "19121212/1212"])
def test_malformed_numbers_are_refused(typed):
    with pytest.raises(InvalidInput):
        identity.normalise_personal_number(typed)


def test_registration_keeps_only_the_keyed_hash(db, make_user):
    coordinator = make_user("coordinator")
    person = make_user("unit_member")
    identity.register_personal_number(person.id, TEST_NUMBER, actor=coordinator)
    db.session.commit()
    assert person.personal_number_hmac == identity.personal_number_hmac("191212121212")
    assert len(person.personal_number_hmac) == 64


def test_number_registered_for_someone_else_is_refused(db, make_user):
    coordinator = make_user("coordinator")
    first, second = make_user("unit_member"), make_user("unit_member")
    identity.register_personal_number(first.id, TEST_NUMBER, actor=coordinator)
    with pytest.raises(InvalidInput) as raised:
        identity.register_personal_number(second.id, "191212121212", actor=coordinator)
    assert list(raised.value.errors) == ["personal_number"]


def test_number_is_registered_only_once(db, make_user):
    coordinator = make_user("coordinator")
    person = make_user("unit_member")
    identity.register_personal_number(person.id, TEST_NUMBER, actor=coordinator)
    with pytest.raises(InvalidInput):
        identity.register_personal_number(person.id, "198112189876", actor=coordinator)


def test_only_a_coordinator_registers_a_number(db, make_user):
    from app.core.errors import DomainError

    reviewer = make_user("reviewer")
    person = make_user("unit_member")
    with pytest.raises(DomainError):
        identity.register_personal_number(person.id, TEST_NUMBER, actor=reviewer)


def test_coordinator_registers_the_number_on_the_person_form(browser, db, make_user, make_unit):
    coordinator = make_user("coordinator")
    unit = make_unit()
    browser.login(coordinator)
    response = browser.post(
        "/people/new",
        data={
            "name": "Tolvan Tolvansson",
            "email": "tolvan@enhet.example",
            "roles": ["unit_member"],
            "units": [str(unit.id)],
            "personal_number": TEST_NUMBER,
        },
    )
    assert response.status_code == 302, response.text
    page = browser.get(response.headers["Location"]).text
    assert "Personnummer (för BankID eller Freja)" in page and "registrerat" in page
    assert "personal_number_hmac" not in page  # the history names the field in words
    edit = browser.get(response.headers["Location"] + "/edit").text
    assert 'name="personal_number"' not in edit
    assert "registrerat" in edit
    trail = repr([(e.changes, e.actor_label) for e in db.session.scalars(select(AuditEvent))])
    for spelling in ("191212121212", "19121212-1212", "1212121212"):
        assert spelling not in trail and spelling not in page


def test_wrong_number_on_the_form_is_refused_and_not_echoed(browser, db, make_user, make_unit):
    from app.auth.models import User

    coordinator = make_user("coordinator")
    browser.login(coordinator)
    response = browser.post(
        "/people/new",
        data={
            "name": "Tolvan Tolvansson",
            "email": "tolvan@enhet.example",
            "roles": ["reviewer"],
            "personal_number": "19121212-1213",
        },
    )
    assert response.status_code == 422
    assert "kontrollera den sista siffran" in response.text
    assert "19121212-1213" not in response.text
    assert db.session.scalar(select(User).where(User.email == "tolvan@enhet.example")) is None


def test_form_has_no_number_field_without_a_key(app, browser, make_user):
    app.config["PERSONAL_NUMBER_HMAC_KEY"] = None
    browser.login(make_user("coordinator"))
    assert 'name="personal_number"' not in browser.get("/people/new").text
