"""Sessions per OWASP ASVS 5.0 V7 (issue 13 item 4): lifetime, password change, no secrets in the cookie,
the ``__Host-`` prefix, throttling per account, and one hash verification for every kind of account."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from itsdangerous import base64_decode
from sqlalchemy import select

from app.auth.models import ApiToken, AuthSession
from app.core.models import utcnow
from tests.conftest import PASSWORD

NEW_PASSWORD = "ett helt nytt lösenord för test"


def _cookie_payload(client, app) -> dict:
    """What the signed session cookie carries, decoded (it is signed, not encrypted: anyone holding it reads it)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    value = cookie.value
    compressed = value.startswith(".")
    payload = value[1:] if compressed else value
    data = base64_decode(payload.split(".")[0])
    if compressed:
        import zlib

        data = zlib.decompress(data)
    return json.loads(data)


def test_a_session_ends_after_its_absolute_lifetime_however_active(browser, make_user, db):
    person = make_user("reviewer")
    browser.login(person)
    row = db.session.scalar(select(AuthSession))
    row.created_at = utcnow() - timedelta(hours=12, minutes=1)
    row.last_seen_at = utcnow()  # active a moment ago
    db.session.commit()
    response = browser.get("/profile")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.scalar(select(AuthSession)).ended_at is not None


def test_a_session_within_its_lifetime_goes_on(browser, make_user, db):
    browser.login(make_user("reviewer"))
    row = db.session.scalar(select(AuthSession))
    row.created_at = utcnow() - timedelta(hours=11, minutes=59)
    db.session.commit()
    assert browser.get("/profile").status_code == 200


def _change_password(browser) -> object:
    return browser.post(
        "/profile/password", {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(new_browser, make_user):
    person = make_user("reviewer")
    here, elsewhere = new_browser(), new_browser()
    here.login(person)
    elsewhere.login(person)
    assert _change_password(here).status_code == 302
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302


def test_changing_the_password_offers_to_revoke_the_api_tokens(browser, make_user, api_token, db):
    person = make_user("reviewer")
    api_token(person)
    browser.login(person)
    page = browser.client.get(_change_password(browser).headers["Location"]).get_data(as_text=True)
    assert "Revoke all my API tokens" in page or "Återkalla alla mina API-nycklar" in page
    assert browser.post("/profile/tokens/revoke-all").status_code == 302
    db.session.expire_all()
    assert all(t.revoked_at is not None for t in db.session.scalars(select(ApiToken)))


def test_a_password_form_without_csrf_token_keeps_no_password_in_the_cookie(app, browser, make_user):
    browser.login(make_user("reviewer"))
    browser.client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "note": "kvar"},
        headers={"Referer": "http://localhost/profile"},
    )
    payload = _cookie_payload(browser.client, app)
    assert payload.get("form_stash", {}).get("fields", {}) == {}
    assert PASSWORD not in json.dumps(payload)
    assert NEW_PASSWORD not in json.dumps(payload)


def test_a_new_api_token_is_shown_once_and_never_kept_in_the_cookie(app, browser, make_user):
    browser.login(make_user("reviewer"))
    response = browser.post("/profile/tokens", {"label": "Integration"})
    assert response.status_code == 201
    shown = response.get_data(as_text=True).split('<code class="token">')[1].split("<")[0]
    assert shown.startswith("tl_")
    assert shown not in json.dumps(_cookie_payload(browser.client, app))
    assert shown not in browser.get("/profile").get_data(as_text=True)


def test_the_cookie_has_the_host_prefix_over_https(app_config, make_app, make_user):
    app = make_app({**app_config, "SESSION_COOKIE_SECURE": True})
    person = make_user("reviewer")
    client = app.test_client()
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/login", base_url="https://localhost").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-tillsyn_session=")
    assert "Secure" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie


def test_login_is_throttled_per_account_whatever_the_address(app_config, make_app, make_user):
    app = make_app({**app_config, "PROXY_FIX_HOPS": 1, "LOGIN_ACCOUNT_RATE_LIMIT": "3 per 15 minutes"})
    person = make_user("reviewer")
    from tests.conftest import csrf_from

    statuses = []
    for attempt in range(5):
        client = app.test_client()
        address = {"X-Forwarded-For": f"10.0.0.{attempt + 1}"}
        token = csrf_from(client.get("/login", headers=address).get_data(as_text=True))
        response = client.post(
            "/login", data={"email": person.email, "password": "fel lösenord", "csrf_token": token}, headers=address
        )
        statuses.append(response.status_code)
    assert statuses == [422, 422, 422, 429, 429]


def test_successful_logins_do_not_count_against_the_account(app_config, make_app, make_user):
    app = make_app({**app_config, "LOGIN_ACCOUNT_RATE_LIMIT": "2 per 15 minutes", "LOGIN_RATE_LIMIT": "100 per minute"})
    person = make_user("reviewer")
    from tests.conftest import Browser

    for _ in range(4):
        browser = Browser(app.test_client())
        assert browser.login(person).status_code == 302


@pytest.mark.parametrize("kind", ["unknown", "no_password_yet", "deactivated", "active_wrong_password"])
def test_every_kind_of_account_costs_one_hash_verification(app, make_user, monkeypatch, kind):
    from app.auth import passwords, services

    email = "okand@example.se"
    if kind == "no_password_yet":
        email = make_user("reviewer", password_hash=None).email
    elif kind == "deactivated":
        email = make_user("reviewer", is_active_account=False).email
    elif kind == "active_wrong_password":
        email = make_user("reviewer").email
    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    assert services.authenticate(email, "fel lösenord igen") is None
    assert len(calls) == 1
    assert calls[0]  # a real scrypt hash every time, never an empty one that returns at once
