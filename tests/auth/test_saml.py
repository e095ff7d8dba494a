"""E-legitimation through SAML 2.0 against a real pysaml2 identity provider with its own keys (issue 18)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import time_machine
from sqlalchemy import delete, select

from app.auth.models import AuthSession, SamlMessageId
from app.core.models import AuditEvent
from tests.auth.conftest import PERSONAL_NUMBER, idp_answer, saml_config, saml_login, start_saml
from tests.auth.peers import saml_post_form

# Every way the test number could be written in clear.
NUMBER_SPELLINGS = ("191212121212", "19121212-1212", "121212-1212", "1212121212")


@pytest.fixture
def app_config(app_config, saml_idp, tmp_path: Path):
    app_config.update(saml_config(tmp_path, saml_idp))
    return app_config


@pytest.fixture
def idp(app, client, saml_idp):
    saml_idp.trust(client.get("/saml/metadata").text)
    saml_idp.person = {"personalIdentityNumber": ["191212121212"], "givenName": ["Tolvan"]}
    return saml_idp


@pytest.fixture
def registered_member(app, db, make_unit, make_user):
    from app.auth import identity

    coordinator = make_user("coordinator")
    person = make_user("unit_member", units=[make_unit()], name="Tolvan Tolvansson")
    identity.register_personal_number(person.id, PERSONAL_NUMBER, actor=coordinator)
    db.session.commit()
    return person


def logged_in(client) -> bool:
    return client.get("/start").status_code == 200


def refusal_reasons(db) -> list[str]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    return [e.changes["reason"] for e in events]


def test_registered_person_logs_in_with_e_legitimation(client, idp, registered_member):
    response = saml_login(client, idp)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith("/start")
    assert "Tolvan Tolvansson" in client.get("/start").text


def test_login_records_the_method_in_session_and_audit_trail(client, db, idp, registered_member):
    saml_login(client, idp)
    assert db.session.scalar(select(AuthSession.method)) == "saml"
    login = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
    assert (login.object_id, login.changes) == (str(registered_member.id), {"method": "saml"})


def test_session_is_renewed_at_login(client, idp, registered_member):
    client.get("/login")
    before = client.get_cookie("tillsyn_session")
    saml_login(client, idp)
    after = client.get_cookie("tillsyn_session")
    assert before is None or before.value != after.value


def test_logout_ends_the_session_server_side(client, db, idp, registered_member, browser, new_browser):
    saml_login(client, idp)
    stolen = client.get_cookie("tillsyn_session").value
    assert browser.logout().headers["Location"].endswith("/login")
    replay = new_browser()
    replay.client.set_cookie("tillsyn_session", stolen)
    assert replay.get("/start").status_code == 302
    assert db.session.scalar(select(AuthSession.ended_at)) is not None


def test_unsigned_assertion_is_refused(client, db, idp, registered_member):
    idp.mode = "unsigned"
    response = saml_login(client, idp)
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["protocol:SignatureError"]


def test_assertion_for_another_audience_is_refused(client, db, idp, registered_member):
    idp.mode = "other_audience"
    response = saml_login(client, idp)
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["protocol:Exception"]  # pysaml2 raises a bare Exception("Not for me!!!")


def test_expired_assertion_is_refused(client, db, idp, registered_member):
    action, fields = idp_answer(client, idp)  # valid for 5 minutes (and 60 seconds of clock difference)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=10), tick=True):
        response = client.post(action, data=fields)
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["protocol:ResponseLifetimeExceed"]


def test_replayed_assertion_is_refused(client, db, idp, registered_member, new_browser):
    action, fields = idp_answer(client, idp)
    assert client.post(action, data=fields).status_code == 302
    thief = new_browser().client
    response = thief.post(action, data=fields)
    assert response.status_code == 403
    assert not logged_in(thief)
    assert refusal_reasons(db) == ["replayed_assertion"]


def test_response_to_no_request_of_ours_is_refused(client, db, idp, registered_member):
    action, fields = idp_answer(client, idp)
    db.session.execute(delete(SamlMessageId))
    db.session.commit()
    response = client.post(action, data=fields)
    assert response.status_code == 403
    assert refusal_reasons(db) == ["protocol:UnsolicitedResponse"]


def test_unregistered_personal_number_is_refused_with_a_clear_page(client, db, idp, make_user):
    response = saml_login(client, idp)
    assert response.status_code == 403
    assert "registrera ditt personnummer" in response.text
    assert refusal_reasons(db) == ["unknown_personal_number"]


def test_personal_number_never_appears_in_clear(client, db, idp, registered_member, caplog):
    caplog.set_level(logging.DEBUG)
    saml_login(client, idp)
    idp.person = {"personalIdentityNumber": ["198112189876"]}  # an unregistered one, refused
    saml_login(client, idp)
    dump = []
    for table in db.metadata.sorted_tables:
        dump.append(repr(db.session.execute(select(table)).all()))
    everything = "\n".join(dump) + caplog.text
    for spelling in (*NUMBER_SPELLINGS, "198112189876", "8112189876"):
        assert spelling not in everything
    assert db.session.scalars(select(AuditEvent.action)).all()  # the trail was searched, not empty


def test_metadata_names_our_entity_and_assertion_consumer_service(client, idp):
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    assert 'entityID="http://localhost/saml/metadata"' in response.text
    assert 'Location="http://localhost/saml/acs"' in response.text
    assert 'WantAssertionsSigned="true"' in response.text


def test_login_page_offers_e_legitimation(client, idp):
    page = client.get("/login").text
    assert "Logga in med BankID eller Freja" in page
    assert "organisationens konto" not in page


def test_starting_without_the_csrf_token_sends_nothing_to_the_identity_provider(client, db, idp):
    response = client.post("/saml/login")
    assert response.status_code == 400
    assert db.session.scalars(select(SamlMessageId)).all() == []


def test_identity_provider_answer_is_a_real_http_exchange(client, idp):
    start = start_saml(client)
    answer = requests.get(start.headers["Location"], timeout=10)
    action, fields = saml_post_form(answer.text)
    assert action == "http://localhost/saml/acs"
    assert "SAMLResponse" in fields


def test_login_page_lets_its_form_lead_to_the_identity_provider(client, idp):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {idp.base}" in policy


def test_identity_provider_metadata_can_come_from_a_url(make_app, app_config, saml_idp, registered_member):
    by_url = make_app({**app_config, "SAML_IDP_METADATA": f"{saml_idp.base}/idp/metadata"})
    client = by_url.test_client()
    saml_idp.trust(client.get("/saml/metadata").text)
    saml_idp.person = {"personalIdentityNumber": ["191212121212"]}
    response = saml_login(client, saml_idp)
    assert response.status_code == 302, response.text
    assert "Tolvan Tolvansson" in client.get("/start").text
