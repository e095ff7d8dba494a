"""E-legitimation through SAML 2.0 against a real pysaml2 identity provider with its own keys (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.auth.conftest import PERSONAL_NUMBER, saml_config, saml_login


@pytest.fixture
def app_config(app_config, saml_idp, tmp_path: Path):
    app_config.update(saml_config(tmp_path, saml_idp))
    return app_config


@pytest.fixture
def idp(app, client, saml_idp):
    saml_idp.trust(client.get("/saml/metadata").text)
    return saml_idp


@pytest.fixture
def registered_member(app, db, make_unit, make_user):
    from app.auth import identity

    coordinator = make_user("coordinator")
    person = make_user("unit_member", units=[make_unit()], name="Tolvan Tolvansson")
    identity.register_personal_number(person.id, PERSONAL_NUMBER, actor=coordinator)
    db.session.commit()
    return person


def test_registered_person_logs_in_with_e_legitimation(client, idp, registered_member):
    idp.person = {"personalIdentityNumber": ["191212121212"], "givenName": ["Tolvan"]}
    response = saml_login(client, idp)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith("/start")
    assert "Tolvan Tolvansson" in client.get("/start").text
