"""Login, sessions that really end, idle timeout, rate limit, set-password links, password rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.auth.models import AuthSession
from app.core.models import AuditEvent, utcnow
from tests.conftest import PASSWORD


def test_login_page_is_swedish_by_default(browser):
    page = browser.get("/login")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert "Logga in" in page.text


def test_person_logs_in_and_reaches_start_page(browser, make_user):
    person = make_user("reviewer", name="Greta Granskare")
    response = browser.login(person)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/start")
    assert "Greta Granskare" in browser.get("/start").text


def test_wrong_password_is_refused_and_recorded(browser, make_user, db):
    person = make_user("reviewer")
    response = browser.login(person, password="not the password at all")
    assert response.status_code == 422
    assert browser.get("/start").status_code == 302
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert [e.actor_label for e in failed] == [person.email]


def test_deactivated_person_cannot_log_in(browser, make_user):
    person = make_user("reviewer", is_active_account=False)
    assert browser.login(person).status_code == 422


def test_session_id_is_renewed_at_login(browser, make_user, client):
    person = make_user("reviewer")
    browser.get("/login")
    before = client.get_cookie("tillsyn_session")
    browser.login(person)
    after = client.get_cookie("tillsyn_session")
    assert before is None or before.value != after.value
    with client.session_transaction() as session:
        assert "sid" in session


def test_logout_ends_the_session_even_for_a_replayed_cookie(browser, make_user, client, new_browser):
    person = make_user("reviewer")
    browser.login(person)
    stolen = client.get_cookie("tillsyn_session").value
    browser.logout()
    replay = new_browser()
    replay.client.set_cookie("tillsyn_session", stolen)
    response = replay.get("/start")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_deactivation_ends_every_session_of_the_person(browser, make_user, new_browser):
    coordinator = make_user("coordinator")
    person = make_user("reviewer")
    theirs = new_browser()
    theirs.login(person)
    assert theirs.get("/start").status_code == 200
    browser.login(coordinator)
    assert browser.post(f"/people/{person.id}/deactivate").status_code == 302
    assert theirs.get("/start").status_code == 302


def test_idle_session_ends_after_the_timeout(app, browser, make_user):
    person = make_user("reviewer")
    with time_machine.travel(utcnow(), tick=False) as traveller:
        browser.login(person)
        assert browser.get("/start").status_code == 200
        traveller.shift(timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] - 1))
        assert browser.get("/start").status_code == 200  # activity renews the idle clock
        traveller.shift(timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 1))
        response = browser.get("/start")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_extending_the_session_keeps_it_alive(app, browser, make_user, db):
    person = make_user("reviewer")
    with time_machine.travel(utcnow(), tick=False) as traveller:
        browser.login(person)
        traveller.shift(timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] - 1))
        response = browser.post("/session/extend", headers={"Accept": "application/json"})
        assert response.status_code == 200
        assert response.json["idle_timeout_seconds"] == app.config["IDLE_TIMEOUT_MINUTES"] * 60
        traveller.shift(timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] - 1))
        assert browser.get("/start").status_code == 200


def test_login_attempts_are_rate_limited(app, browser, make_user):
    person = make_user("reviewer")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = [browser.login(person, password="wrong password here").status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [422] * limit
    assert statuses[-1] == 429


def test_open_redirect_after_login_is_refused(client, browser, make_user):
    person = make_user("reviewer")
    token = browser.token()
    response = client.post(
        "/login?next=https://evil.example/", data={"email": person.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"].endswith("/start")


# ---- set-password links -------------------------------------------------------------------------


def _link_token(app, person):
    from app.auth import services
    from app.extensions import db

    link = services.issue_set_password_link(person.id, send_email=False)
    db.session.commit()
    return link.rsplit("/", 1)[1]


def test_set_password_link_works_once(app, browser, make_user):
    person = make_user("unit_member", password_hash=None)
    token = _link_token(app, person)
    new_password = "a long and fresh passphrase"
    response = browser.post(f"/set-password/{token}", {"password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert browser.login(person, password=new_password).status_code == 302
    browser.logout()
    assert browser.get(f"/set-password/{token}").status_code == 410


def test_set_password_link_expires(app, browser, make_user):
    person = make_user("unit_member", password_hash=None)
    token = _link_token(app, person)
    with time_machine.travel(utcnow() + timedelta(hours=app.config["SET_PASSWORD_LINK_HOURS"] + 1)):
        assert browser.get(f"/set-password/{token}").status_code == 410


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "minst 12 tecken"),
        ("123456789012", "för vanligt"),
        ("aaaaaaaaaaaaaaaa", "för vanligt"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(app, browser, make_user, password, message):
    person = make_user("unit_member", password_hash=None)
    token = _link_token(app, person)
    response = browser.post(f"/set-password/{token}", {"password": password, "confirm": password})
    assert response.status_code == 422
    assert message in response.text


def test_long_passphrases_and_any_characters_are_accepted():
    from app.auth.passwords import problems

    sixty_four = "älgen åt blåbär vid sjön medan höstregnet föll över skogsbrynet."
    assert len(sixty_four) == 64
    assert problems(sixty_four) == []  # no composition rules: lower-case words and spaces are fine
    assert problems((sixty_four * 2)[:128]) == []
    assert problems((sixty_four * 3)[:129])  # over the maximum


def test_new_session_rows_store_only_a_hash(browser, make_user, db, client):
    person = make_user("reviewer")
    browser.login(person)
    with client.session_transaction() as session:
        raw = session["sid"]
    rows = db.session.scalars(select(AuthSession).where(AuthSession.user_id == person.id)).all()
    assert len(rows) == 1
    assert rows[0].token_hash != raw


def test_rate_limit_counts_in_redis_shared_by_every_web_process(app_config, redis_url, make_user, make_app):
    """Production keeps the counts in Redis: two app processes (two gunicorn workers) share one limit."""
    import redis as redis_client

    from tests.conftest import Browser

    redis_client.Redis.from_url(redis_url).flushdb()
    person = make_user("reviewer")
    config = {**app_config, "RATELIMIT_STORAGE_URI": redis_url, "LOGIN_RATE_LIMIT": "4 per minute"}
    workers = [make_app(config), make_app(config)]
    statuses = [
        Browser(workers[i % 2].test_client()).login(person, password="wrong password here").status_code
        for i in range(5)
    ]
    assert statuses == [422, 422, 422, 422, 429]


def test_login_page_without_identity_providers_offers_only_the_password(client):
    response = client.get("/login")
    assert "BankID" not in response.text
    assert "organisationens konto" not in response.text
    assert "form-action 'self';" in response.headers["Content-Security-Policy"]
