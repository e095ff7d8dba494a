"""A unit member logged in with e-legitimation (SAML) is held to the isolation matrix like any other login
(DESIGN.md 4.6; issue 18): every route of ``app.url_map``, own and other unit, through the SAML session."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth import identity
from app.auth.models import AuthSession
from tests.auth.conftest import PERSONAL_NUMBER, saml_config, saml_login
from tests.test_access_matrix import _build, _request, _routes, database_fingerprint


@pytest.fixture
def app_config(app_config, saml_idp, tmp_path: Path):
    app_config.update(saml_config(tmp_path, saml_idp))
    return app_config


@pytest.fixture
def saml_member(app, db, world, new_browser, saml_idp):
    """The matrix's unit member, logged in through the identity provider with their registered number."""
    member = world.actors["unit_member"]
    identity.register_personal_number(member.id, PERSONAL_NUMBER, actor=world.actors["coordinator"])
    db.session.commit()
    browser = new_browser()
    saml_idp.trust(browser.client.get("/saml/metadata").text)
    saml_idp.person = {"personalIdentityNumber": ["191212121212"]}
    assert saml_login(browser.client, saml_idp).status_code == 302
    assert db.session.scalar(select(AuthSession.method).where(AuthSession.user_id == member.id)) == "saml"
    return browser


def test_unit_member_logged_in_by_saml_is_held_to_the_isolation_matrix(app, world, saml_member):
    actor = world.actors["unit_member"]
    headers = {"Authorization": f"Bearer {world.raw_tokens[actor.id]}"}
    problems: list[str] = []
    checked = 0
    for rule, method in _routes(app):
        if rule.endpoint == "auth.logout" or rule.rule.startswith("/api/"):
            continue  # logout ends the session under test; the API is the bearer token's, not the login's
        for side in ("own", "other"):
            url, kind = _build(app, rule, world, actor, side)
            if side == "other" and kind in ("none", "unscoped"):
                continue
            before = database_fingerprint()
            response = _request(saml_member.client, saml_member, url, method, headers)
            changed = database_fingerprint() != before
            checked += 1
            where = f"{method} {url} ({side})"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            if side == "other" and kind == "unit":
                if response.status_code != 404:
                    problems.append(f"{where}: expected 404, got {response.status_code}")
                if changed:
                    problems.append(f"{where}: the database changed")
            if kind == "personal" and side == "other" and response.status_code != 404:
                problems.append(f"{where}: someone else's personal object answered {response.status_code}")
            if method == "GET" and changed:
                problems.append(f"{where}: a GET changed the database")
            if method == "GET" and kind == "unit" and side == "own" and response.status_code == 404:
                problems.append(f"{where}: visible object answered 404")
    assert not problems, "\n".join(problems)
    assert checked > 50
    assert saml_member.get("/start").status_code == 200  # still the SAML session, never logged out on the way


def test_unit_member_logged_in_by_saml_sees_no_trace_of_another_unit(app, world, saml_member):
    for rule, method in _routes(app):
        if method != "GET" or rule.arguments or rule.rule.startswith("/api/"):
            continue
        url = app.url_map.bind("localhost").build(rule.endpoint, {})
        response = saml_member.client.get(url)
        body = response.get_data(as_text=True)
        response.close()
        assert world.other_unit.name not in body, url
        assert str(world.other_unit.id) not in body, url
        assert world.other_member.name not in body, url
