"""Who a verified login belongs to, and the settings of the login methods (issue 18)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth import identity, oidc
from app.auth.models import LinkedIdentity

ISSUER = "https://login.microsoftonline.com/tenant/v2.0"


def test_provider_may_name_another_claim_that_vouches_for_the_email(db, make_user):
    person = make_user("reviewer", email="rita@kommun.example")
    found = identity.person_for_oidc_login(
        provider="entra",
        issuer=ISSUER,
        claims={"sub": "abc", "email": "Rita@Kommun.example", "xms_edov": True},
        roles=["reviewer"],
        verified_email_claim="xms_edov",
    )
    assert found.id == person.id


def test_email_verified_does_not_count_when_the_provider_names_another_claim(db, make_user):
    make_user("reviewer", email="rita@kommun.example")
    with pytest.raises(identity.LoginRefused):
        identity.person_for_oidc_login(
            provider="entra",
            issuer=ISSUER,
            claims={"sub": "abc", "email": "rita@kommun.example", "email_verified": True},
            roles=["reviewer"],
            verified_email_claim="xms_edov",
        )
    assert db.session.scalar(select(func.count()).select_from(LinkedIdentity)) == 0


def test_deactivated_person_is_refused_even_when_linked(db, make_user):
    person = make_user("reviewer", email="rita@kommun.example")
    claims = {"sub": "abc", "email": "rita@kommun.example", "email_verified": True}
    identity.person_for_oidc_login(provider="p", issuer=ISSUER, claims=claims, roles=["reviewer"])
    person.is_active_account = False
    with pytest.raises(identity.LoginRefused) as raised:
        identity.person_for_oidc_login(provider="p", issuer=ISSUER, claims=claims, roles=["reviewer"])
    assert raised.value.reason == "deactivated"


@pytest.mark.parametrize(
    "providers",
    [
        [{"name": "x", "issuer": "https://idp.example"}],
        [{"name": "x y", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}],
        [{"name": "x", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s", "roles": ["boss"]}],
        ["not an object"],
    ],
)
def test_malformed_oidc_providers_stop_the_start(providers):
    with pytest.raises(RuntimeError):
        oidc._parse_providers(providers)


def test_saml_without_its_keys_stops_the_start(make_app, app_config):
    with pytest.raises(RuntimeError, match="SAML_SP_KEY_FILE"):
        make_app({**app_config, "SAML_IDP_METADATA": "/nonexistent.xml"})


def test_login_page_names_each_of_several_providers(make_app, app_config):
    providers = [
        {"name": n, "label": label, "issuer": f"https://{n}.example", "client_id": "c", "client_secret": "s"}
        for n, label in (("kommun", "Sundsvalls kommun"), ("region", "Region Västernorrland"))
    ]
    page = make_app({**app_config, "OIDC_PROVIDERS": providers}).test_client().get("/login").text
    assert 'href="/login/oidc/kommun"' in page and "(Sundsvalls kommun)" in page
    assert 'href="/login/oidc/region"' in page and "(Region Västernorrland)" in page
