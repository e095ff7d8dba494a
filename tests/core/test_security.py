"""CSRF, security headers, cookies, error pages that leak nothing, in both languages."""

from __future__ import annotations

import pytest


def test_a_post_without_csrf_token_is_refused(client, browser, make_user, db):
    coordinator = make_user("coordinator")
    browser.login(coordinator)
    response = client.post("/units/new", data={"name": "Utan token", "kind": "school"})
    assert response.status_code == 400
    assert "formuläret" in response.get_data(as_text=True).lower()
    from app.units.models import Unit

    assert db.session.query(Unit).count() == 0


def test_login_without_csrf_token_is_refused(client, make_user):
    person = make_user("reviewer")
    response = client.post("/login", data={"email": person.email, "password": "correct horse battery staple"})
    assert response.status_code == 400


def test_every_response_carries_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_is_httponly_and_lax(browser, make_user, client):
    browser.login(make_user("reviewer"))
    cookie = client.get_cookie("tillsyn_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_production_config_sets_secure_cookies_and_no_debug():
    from config import Config

    assert Config.SESSION_COOKIE_SECURE is True
    assert Config.DEBUG is False


def test_production_refuses_to_start_without_secret_key():
    from app import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": None, "TESTING": False, "DEBUG": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_operators_commands_run_without_a_secret_key_but_nothing_is_served(monkeypatch, caplog):
    from app import create_app

    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    app = create_app({"SECRET_KEY": None, "TESTING": False, "DEBUG": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with caplog.at_level("ERROR"):
        response = app.test_client().get("/healthz")
    assert response.status_code == 500
    assert "SECRET_KEY is not set" in caplog.text


@pytest.mark.parametrize(("lang", "title"), [("sv", "Sidan finns inte"), ("en", "Page not found")])
def test_404_page_in_both_languages(client, lang, title):
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "title"), [("sv", "Något gick fel"), ("en", "Something went wrong")])
def test_500_page_leaks_no_traceback(app, client, lang, title):
    @app.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise ValueError("secret internals")

    response = client.get(f"/boom?lang={lang}")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert title in body
    assert "secret internals" not in body
    assert "Traceback" not in body


@pytest.mark.parametrize(("lang", "title"), [("sv", "För många försök"), ("en", "Too many attempts")])
def test_429_page_in_both_languages(app, browser, make_user, lang, title):
    person = make_user("reviewer")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        browser.login(person, password="fel lösenord igen och igen")
    token = browser.token()
    response = browser.client.post(
        f"/login?lang={lang}", data={"email": person.email, "password": "x", "csrf_token": token}
    )
    assert response.status_code == 429
    assert title in response.get_data(as_text=True)


def test_403_for_a_role_that_may_not(browser, make_user):
    browser.login(make_user("reviewer"))
    response = browser.get("/people")
    assert response.status_code == 403
    assert "Du har inte behörighet att göra det här" in response.get_data(as_text=True)
