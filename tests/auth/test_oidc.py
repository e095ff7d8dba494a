"""Login through an OpenID Connect provider, against node's oidc-provider on a loopback port (issue 18).

The refusals are made at the real peer: a nonce or state changed on the way, an ID token altered or re-signed with
another key by the provider itself (its /__test/tamper hook), an ID token past its expiry, a subject nobody knows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from app.auth.models import AuthSession, LinkedIdentity, User
from app.core.models import AuditEvent
from tests.auth.peers import through_oidc_provider, with_query

CALLBACK = "http://localhost/login/oidc/test/callback"


@pytest.fixture
def app_config(app_config, oidc_peer):
    app_config["OIDC_PROVIDERS"] = [oidc_peer.provider_config(roles=["coordinator", "reviewer"])]
    return app_config


def oidc_login(client, peer, login: str, *, alter_authorization=None, alter_callback=None, at=None):
    start = client.get("/login/oidc/test")
    assert start.status_code == 302, start.text
    authorization = start.headers["Location"]
    if alter_authorization:
        authorization = alter_authorization(authorization)
    callback = through_oidc_provider(authorization, login=login, stop_at=CALLBACK)
    if alter_callback:
        callback = alter_callback(callback)
    if at is not None:
        with time_machine.travel(at, tick=True):
            return client.get(callback)
    return client.get(callback)


def logged_in(client) -> bool:
    return client.get("/start").status_code == 200


def refusal_reasons(db) -> list[str]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    return [e.changes["reason"] for e in events]


@pytest.fixture
def rita(make_user, oidc_peer):
    person = make_user("reviewer", email="rita@kommun.example", name="Rita Reviewer")
    oidc_peer.add_account("rita-sub", email="rita@kommun.example", email_verified=True)
    return person


def test_authorization_request_carries_state_nonce_and_pkce(client, rita):
    location = client.get("/login/oidc/test").headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] and query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email profile"]


def test_first_login_links_by_verified_email(client, db, oidc_peer, rita):
    response = oidc_login(client, oidc_peer, "rita-sub")
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith("/start")
    assert "Rita Reviewer" in client.get("/start").text
    link = db.session.scalar(select(LinkedIdentity))
    assert (link.user_id, link.issuer, link.subject) == (rita.id, oidc_peer.issuer, "rita-sub")


def test_login_records_the_method_in_session_and_audit_trail(client, db, oidc_peer, rita):
    oidc_login(client, oidc_peer, "rita-sub")
    assert db.session.scalar(select(AuthSession.method)) == "oidc:test"
    login = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
    assert (login.object_id, login.changes) == (str(rita.id), {"method": "oidc:test"})


def test_later_login_matches_the_subject_even_after_the_email_changed(client, db, oidc_peer, rita):
    oidc_login(client, oidc_peer, "rita-sub")
    client.delete_cookie("tillsyn_session")
    oidc_peer.add_account("rita-sub", email="rita.new@kommun.example", email_verified=True)
    response = oidc_login(client, oidc_peer, "rita-sub")
    assert response.status_code == 302
    assert "Rita Reviewer" in client.get("/start").text


def test_unverified_email_is_not_linked(client, db, oidc_peer, rita):
    oidc_peer.add_account("rita-sub", email="rita@kommun.example", email_verified=False)
    response = oidc_login(client, oidc_peer, "rita-sub")
    assert response.status_code == 403
    assert "inte registrerad" in response.text
    assert db.session.scalar(select(func.count()).select_from(LinkedIdentity)) == 0


def test_second_person_with_the_same_email_is_not_linked(client, db, oidc_peer, rita, new_browser):
    oidc_login(client, oidc_peer, "rita-sub")
    oidc_peer.add_account("mallory-sub", email="rita@kommun.example", email_verified=True)
    other = new_browser().client
    response = oidc_login(other, oidc_peer, "mallory-sub")
    assert response.status_code == 403
    assert not logged_in(other)
    assert db.session.scalars(select(LinkedIdentity.subject)).all() == ["rita-sub"]
    assert refusal_reasons(db) == ["email_linked_to_another_subject"]


def test_unknown_subject_is_refused_with_a_clear_page_and_no_account(client, db, oidc_peer, rita):
    people_before = db.session.scalar(select(func.count()).select_from(User))
    oidc_peer.add_account("stranger-sub", email="stranger@example.se", email_verified=True)
    response = oidc_login(client, oidc_peer, "stranger-sub")
    assert response.status_code == 403
    assert "Du är inte registrerad i Lärande tillsyn" in response.text
    assert not logged_in(client)
    assert db.session.scalar(select(func.count()).select_from(User)) == people_before
    assert refusal_reasons(db) == ["unknown_subject"]


def test_subject_the_provider_knows_nothing_about_is_refused(client, db, oidc_peer, rita):
    response = oidc_login(client, oidc_peer, "nobody-sub")  # no e-mail claims at all
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["unknown_subject"]


def test_wrong_state_is_refused(client, db, oidc_peer, rita):
    response = oidc_login(client, oidc_peer, "rita-sub", alter_callback=lambda url: with_query(url, state="forged"))
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["protocol:MismatchingStateError"]


def test_wrong_nonce_is_refused(client, db, oidc_peer, rita):
    response = oidc_login(
        client, oidc_peer, "rita-sub", alter_authorization=lambda url: with_query(url, nonce="another-nonce")
    )
    assert response.status_code == 403
    assert not logged_in(client)
    assert db.session.scalar(select(func.count()).select_from(LinkedIdentity)) == 0
    assert refusal_reasons(db) == ["protocol:InvalidClaimError"]  # the nonce claim


def test_id_token_altered_after_signing_is_refused(client, db, oidc_peer, rita):
    oidc_peer.tamper_next_token("signature")
    response = oidc_login(client, oidc_peer, "rita-sub")
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["protocol:BadSignatureError"]


def test_id_token_signed_with_another_key_is_refused(client, db, oidc_peer, rita):
    oidc_peer.tamper_next_token("forged")
    response = oidc_login(client, oidc_peer, "rita-sub")
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["protocol:BadSignatureError"]


def test_expired_id_token_is_refused(client, db, oidc_peer, rita):
    # The peer's ID tokens live 60 seconds; Authlib allows 120 seconds of clock difference.
    response = oidc_login(client, oidc_peer, "rita-sub", at=datetime.now(UTC) + timedelta(minutes=10))
    assert response.status_code == 403
    assert not logged_in(client)
    assert refusal_reasons(db) == ["protocol:ExpiredTokenError"]


def test_role_the_provider_may_not_log_in_is_refused(client, db, oidc_peer, make_user):
    make_user("unit_member", email="ulf@enhet.example")
    oidc_peer.add_account("ulf-sub", email="ulf@enhet.example", email_verified=True)
    response = oidc_login(client, oidc_peer, "ulf-sub")
    assert response.status_code == 403
    assert refusal_reasons(db) == ["role_not_allowed"]


def test_session_is_renewed_at_login(client, db, oidc_peer, rita):
    client.get("/login")
    before = client.get_cookie("tillsyn_session")
    oidc_login(client, oidc_peer, "rita-sub")
    after = client.get_cookie("tillsyn_session")
    assert before is None or before.value != after.value


def test_logout_ends_the_session_and_goes_to_the_providers_end_session(client, db, oidc_peer, rita, browser):
    oidc_login(client, oidc_peer, "rita-sub")
    response = browser.logout()
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{oidc_peer.issuer}/session/end")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert query["id_token_hint"][0]
    assert db.session.scalar(select(AuthSession.ended_at)) is not None
    assert not logged_in(client)


def test_login_page_offers_the_organisations_account(client):
    page = client.get("/login").text
    assert "Logga in med organisationens konto" in page
    assert "BankID" not in page


def test_pages_let_the_logout_form_lead_to_the_provider(client, oidc_peer):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {oidc_peer.issuer};" in policy


def test_provider_whose_discovery_names_another_issuer_is_refused(make_app, app_config, oidc_peer, rita, db):
    # The same server reached by another name: its discovery document names http://127.0.0.1:<port> as issuer.
    other_name = oidc_peer.issuer.replace("127.0.0.1", "localhost")
    provider = {**oidc_peer.provider_config(roles=["reviewer"]), "issuer": other_name}
    mixed_up = make_app({**app_config, "OIDC_PROVIDERS": [provider]}).test_client()
    response = oidc_login(mixed_up, oidc_peer, "rita-sub")
    assert response.status_code == 403
    assert refusal_reasons(db) == ["protocol:ValueError"]
