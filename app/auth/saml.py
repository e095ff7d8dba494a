"""Login with e-legitimation (BankID, Freja eID) through a SAML 2.0 identity provider such as Sweden Connect
(issue 18). pysaml2 (with Debian's xmlsec1) does the protocol; this module configures it and adds the replay check.

pysaml2 checks, before we read an attribute: the assertion's signature against the IdP's metadata (an unsigned
assertion is refused), the audience (our entity id), the recipient and destination (our assertion consumer service),
the validity window (NotBefore/NotOnOrAfter, SAML_ACCEPTED_TIME_DIFF_SECONDS of slack) and that the response answers
one of our own recent requests. We refuse an assertion id seen before (``identity.consume_saml_assertion``).

Routes: ``/saml/login`` (POST, starts), ``/saml/acs`` (assertion consumer service, HTTP-POST), ``/saml/metadata``.

The personal identity number (``urn:oid:1.2.752.29.4.13``) is hashed at once and never logged: pysaml2's own log
lines quote whole assertions, so its loggers are switched off (see ``init_app``); our own lines name the reason.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.utils import CryptographyDeprecationWarning
from flask import Flask, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

with warnings.catch_warnings():
    # pysaml2 7.5 still names a cipher mode cryptography has moved (it never uses it for what we ask of it).
    warnings.filterwarnings("ignore", message="CFB has been moved", category=CryptographyDeprecationWarning)
    import saml2.cryptography.symmetric  # noqa: F401

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_TRANSIENT
from saml2.sigver import get_xmlsec_binary

from app.auth import bp, identity
from app.auth.login import begin_session
from app.core import audit
from app.core.forms import EmptyForm
from app.core.models import utcnow
from app.core.web import client_address
from app.extensions import csrf, db, limiter

log = logging.getLogger(__name__)

EXTENSION = "tillsyn.saml"
# After metadata could not be read, how long pages go without asking again (seconds).
ORIGINS_RETRY_SECONDS = 300
# How long one of our authentication requests may be answered.
REQUEST_LIFETIME = timedelta(minutes=15)


def init_app(app: Flask) -> None:
    """Check the SAML settings at start-up (RuntimeError when SAML is configured without its key, certificate or
    PERSONAL_NUMBER_HMAC_KEY) and keep pysaml2's log lines, which quote assertions, out of the application's log."""
    # Above CRITICAL: no pysaml2 logger (they all inherit from "saml2") ever makes a record, at any level
    # (some of its error lines print the whole assertion, personal identity number and all).
    logging.getLogger("saml2").setLevel(logging.CRITICAL + 1)
    app.extensions[EXTENSION] = {}
    if not app.config.get("SAML_IDP_METADATA"):
        return
    missing = [
        name
        for name in ("SAML_SP_KEY_FILE", "SAML_SP_CERT_FILE", "PERSONAL_NUMBER_HMAC_KEY")
        if not app.config.get(name)
    ]
    if missing:
        raise RuntimeError(f"SAML_IDP_METADATA is set, so {', '.join(missing)} must be set too.")


def is_configured() -> bool:
    """Whether the login page offers e-legitimation."""
    return bool(current_app.config.get("SAML_IDP_METADATA"))


def idp_origins() -> list[str]:
    """The origins of the identity provider's single sign-on services (from its metadata, read once), for the
    CSP's form-action; empty when SAML is not configured or the metadata cannot be read."""
    if not is_configured():
        return []
    cache: dict[str, Any] = current_app.extensions[EXTENSION]
    if "origins" not in cache:
        if time.monotonic() - cache.get("origins_failed_at", -ORIGINS_RETRY_SECONDS) < ORIGINS_RETRY_SECONDS:
            return []  # unreadable a moment ago: do not make every page wait for it again
        try:
            metadata = _config().metadata
            origins = set()
            for entity_id in metadata.identity_providers():
                for service in metadata.single_sign_on_service(entity_id, BINDING_HTTP_REDIRECT):
                    parts = urlsplit(service["location"])
                    origins.add(f"{parts.scheme}://{parts.netloc}")
        except Exception as exc:  # unreadable metadata: the login itself will say so
            log.warning("SAML metadata unreadable: %s", type(exc).__name__)
            cache["origins_failed_at"] = time.monotonic()
            return []
        cache["origins"] = sorted(origins)
    return list(cache["origins"])


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def _config() -> SPConfig:
    """The service provider's pysaml2 configuration, built once per base URL (parsing the IdP metadata)."""
    cache: dict[str, Any] = current_app.extensions[EXTENSION]
    base = _base_url()
    if base in cache:
        return cache[base]  # type: ignore[no-any-return]
    settings = current_app.config
    source = str(settings["SAML_IDP_METADATA"])
    if urlsplit(source).scheme in ("http", "https"):
        remote = {"url": source}
        if settings.get("SAML_IDP_METADATA_CERT"):
            remote["cert"] = settings["SAML_IDP_METADATA_CERT"]
        metadata: dict[str, Any] = {"remote": [remote]}
    else:
        metadata = {"local": [os.path.abspath(source)]}
    key_file, cert_file = settings["SAML_SP_KEY_FILE"], settings["SAML_SP_CERT_FILE"]
    config = SPConfig()
    config.load(
        {
            "entityid": settings.get("SAML_SP_ENTITY_ID") or f"{base}/saml/metadata",
            "name": "Lärande tillsyn",
            "key_file": key_file,
            "cert_file": cert_file,
            "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
            "xmlsec_binary": settings.get("XMLSEC1_PATH") or get_xmlsec_binary(["/usr/bin"]),
            "metadata": metadata,
            "accepted_time_diff": settings["SAML_ACCEPTED_TIME_DIFF_SECONDS"],
            "allow_unknown_attributes": True,
            "entity_category": [
                c.strip() for c in str(settings.get("SAML_ENTITY_CATEGORIES") or "").split(",") if c.strip()
            ],
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(f"{base}/saml/acs", BINDING_HTTP_POST)]},
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "authn_requests_signed": True,
                    "allow_unsolicited": False,
                    "name_id_format": NAMEID_FORMAT_TRANSIENT,
                    "required_attributes": [identity.PERSONAL_NUMBER_ATTRIBUTE],
                }
            },
        }
    )
    cache[base] = config
    return config


def _client() -> Saml2Client:
    # A client per request: pysaml2 caches what it learns about people in the client, and we keep nothing.
    return Saml2Client(config=_config())


def _idp_entity_id(client: Saml2Client) -> str:
    """SAML_IDP_ENTITY_ID, or the only identity provider of the metadata. Raises ``LookupError`` otherwise."""
    configured = current_app.config.get("SAML_IDP_ENTITY_ID")
    idps = list(client.metadata.identity_providers())
    if configured:
        if configured not in idps:
            raise LookupError("SAML_IDP_ENTITY_ID is not in the identity provider metadata")
        return str(configured)
    if len(idps) != 1:
        raise LookupError("the metadata lists several identity providers: set SAML_IDP_ENTITY_ID")
    return str(idps[0])


def _refused(message: str, status: int = 403) -> Any:
    return render_template("auth/login_refused.html", message=message), status


def _roles() -> list[str]:
    return [r.strip() for r in str(current_app.config["SAML_ROLES"]).split(",") if r.strip()]


@bp.get("/saml/metadata")
def saml_metadata():  # type: ignore[no-untyped-def]
    """This service provider's metadata (entity id, ACS, signing and encryption certificate), for the federation."""
    if not is_configured():
        return _refused(_("Login with e-legitimation is not configured."), 404)
    try:
        xml = create_metadata_string(None, config=_config(), valid=24 * 30)
    except Exception as exc:  # the identity provider's metadata (part of our configuration) is unreadable
        log.warning("SAML metadata unreadable: %s", type(exc).__name__)
        return _refused(_("The identity provider cannot be reached right now. Try again later."), 502)
    return Response(xml, mimetype="application/samlmetadata+xml")


@bp.post("/saml/login")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def saml_login():  # type: ignore[no-untyped-def]
    """A signed authentication request to the identity provider, by HTTP-Redirect; its id is remembered (so this
    is a POST, from the login page's button, with its CSRF token)."""
    if not is_configured():
        return _refused(_("Login with e-legitimation is not configured."), 404)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("auth.login"))
    try:
        client = _client()
        request_id, info = client.prepare_for_authenticate(
            entityid=_idp_entity_id(client), binding=BINDING_HTTP_REDIRECT, sign=True
        )
    except Exception as exc:  # metadata unreadable or without an identity provider
        log.warning("SAML login could not start: %s", type(exc).__name__)
        return _refused(_("The identity provider cannot be reached right now. Try again later."), 502)
    identity.remember_saml_request(request_id, expires_at=utcnow() + REQUEST_LIFETIME)
    db.session.commit()
    location = dict(info["headers"])["Location"]
    return redirect(location)


@bp.post("/saml/acs")
@csrf.exempt  # the identity provider posts here; the signed assertion answering our request is the proof
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def saml_acs():  # type: ignore[no-untyped-def]
    """The identity provider's signed answer: verified by pysaml2, checked against replay, then the person found by
    the hash of their personal identity number and logged in like any other."""

    method = identity.SAML
    if not is_configured():
        return _refused(_("Login with e-legitimation is not configured."), 404)
    try:
        response = _client().parse_authn_request_response(
            request.form.get("SAMLResponse", ""),
            BINDING_HTTP_POST,
            outstanding=identity.outstanding_saml_requests(),
        )
        if response is None or response.assertion is None:
            raise ValueError("no assertion")
        assertion = response.assertion
        expires = utcnow() + timedelta(hours=1)
        if response.not_on_or_after:
            expires = datetime.fromtimestamp(response.not_on_or_after, UTC) + timedelta(
                seconds=current_app.config["SAML_ACCEPTED_TIME_DIFF_SECONDS"]
            )
        numbers = [
            value.text
            for statement in assertion.attribute_statement
            for attribute in statement.attribute
            if attribute.name == identity.PERSONAL_NUMBER_ATTRIBUTE
            for value in attribute.attribute_value
            if value.text
        ]
    except Exception as exc:  # every failure of the protocol (signature, audience, window, unsolicited...)
        db.session.rollback()
        log.warning("SAML login refused: %s from %s", type(exc).__name__, client_address())
        identity.record_refusal(method=method, reason=f"protocol:{type(exc).__name__}"[:100])
        db.session.commit()
        return _refused(_("The login could not be verified. Start again from the login page."))
    if not identity.consume_saml_assertion(str(assertion.id), expires_at=expires):
        db.session.rollback()
        log.warning("SAML login refused: replayed assertion from %s", client_address())
        identity.record_refusal(method=method, reason="replayed_assertion")
        db.session.commit()
        return _refused(_("The login could not be verified. Start again from the login page."))
    db.session.commit()  # the assertion is used up, whatever follows
    try:
        if not numbers:
            raise identity.LoginRefused(
                _("The identity provider did not give your personal identity number."), reason="no_personal_number"
            )
        person = identity.person_for_personal_number(numbers[0], roles=_roles())
    except identity.LoginRefused as exc:
        log.warning("SAML login refused: %s from %s", exc.reason, client_address())
        identity.record_refusal(method=method, reason=exc.reason)
        db.session.commit()
        return _refused(exc.message)
    audit.record(db.session, action="login", object_type="user", object_id=person.id, changes={"method": method})
    begin_session(person, method=method)
    db.session.commit()
    return redirect(url_for("main.start"))
