"""Real protocol peers for the login tests, on loopback ports: node's oidc-provider (OpenID Connect) and a pysaml2
identity provider (SAML 2.0) with keys of its own. Nothing here is a mock: the product talks HTTP to them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

import app.auth.saml  # noqa: F401  (imports pysaml2 the way the product does)
from tests.conftest import IN_CI

REPO_ROOT = Path(__file__).resolve().parents[2]
OIDC_SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "tillsyn"
CLIENT_SECRET = "test-client-secret-not-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing_peer(message: str) -> None:
    """A protocol peer that cannot start: a failure in CI, a skip on a machine without it."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def make_key_and_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A fresh RSA key and a self-signed certificate (PEM files) for a test peer."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


# ---- OpenID Connect: node's oidc-provider ----------------------------------------------------------


@dataclass
class OidcPeer:
    issuer: str
    accounts_file: Path
    process: subprocess.Popen[str]
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_account(self, sub: str, **claims: Any) -> None:
        self.accounts[sub] = claims
        self.accounts_file.write_text(json.dumps(self.accounts))

    def tamper_next_token(self, mode: str) -> None:
        requests.post(f"{self.issuer}/__test/tamper", json={"mode": mode}, timeout=10).raise_for_status()

    def provider_config(self, name: str = "test", roles: list[str] | None = None) -> dict[str, Any]:
        return {
            "name": name,
            "label": "Testkommunen",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "roles": roles or ["coordinator", "reviewer", "unit_member"],
        }


def start_oidc_peer(
    tmp: Path, *, redirect_uris: list[str], post_logout_redirect_uris: list[str], port: int | None = None
) -> OidcPeer:
    node = shutil.which("node")
    if node is None or not (REPO_ROOT / "node_modules" / "oidc-provider").is_dir():
        missing_peer("node or the npm package oidc-provider is missing (run `npm ci`): the OIDC peer cannot start")
    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    accounts_file = tmp / "oidc-accounts.json"
    accounts_file.write_text("{}")
    env = {
        **os.environ,
        "NODE_PATH": str(REPO_ROOT / "node_modules"),
        "OIDC_TEST_PORT": str(port),
        "OIDC_TEST_ISSUER": issuer,
        "OIDC_TEST_ACCOUNTS": str(accounts_file),
        "OIDC_TEST_CLIENT": json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris,
            }
        ),
    }
    process = subprocess.Popen(
        [str(node), str(OIDC_SCRIPT)],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.PIPE,  # closed when this process ends, however it ends: the provider then exits
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the provider listens (or exits)
    if line.strip() != "listening":
        stop(process)
        missing_peer(f"oidc-provider did not start (exit code {process.poll()})")
    return OidcPeer(issuer=issuer, accounts_file=accounts_file, process=process)


def stop(process: subprocess.Popen[str]) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def through_oidc_provider(authorization_url: str, *, login: str, stop_at: str) -> str:
    """What a browser does at the provider: follow its redirects, log in as ``login`` on its development login
    form, and return the redirect back to us (the first URL starting with ``stop_at``)."""
    with requests.Session() as browser:
        return _walk_provider(browser, authorization_url, login=login, stop_at=stop_at)


def _walk_provider(browser: requests.Session, authorization_url: str, *, login: str, stop_at: str) -> str:
    response = browser.get(authorization_url, allow_redirects=False, timeout=10)
    for _step in range(20):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(stop_at):
                return location
            response = browser.get(location, allow_redirects=False, timeout=10)
            continue
        action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
        assert action and prompt, f"unexpected page at the provider: {response.status_code} {response.text[:300]}"
        data = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            data |= {"login": login, "password": "any"}
        response = browser.post(urljoin(response.url, action.group(1)), data=data, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never redirected back")


def with_query(url: str, **changes: str) -> str:
    """The URL with some query parameters replaced."""
    from urllib.parse import urlencode

    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


# ---- SAML 2.0: a pysaml2 identity provider ----------------------------------------------------------


class SamlIdentityProvider:
    """A pysaml2 IdP served by werkzeug on a loopback port. It answers an AuthnRequest (HTTP-Redirect) with a
    response posted back by an auto-submitting form. ``person`` is who it vouches for; ``mode`` spoils the next
    answer for the refusal tests: "unsigned" (no signature at all) or "other_audience" (signed for another SP)."""

    OTHER_SP = "https://annan-tjanst.example/saml/metadata"

    def __init__(self, directory: Path) -> None:
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.metadata import create_metadata_string
        from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT
        from saml2.server import Server
        from werkzeug.serving import make_server

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        key, cert = make_key_and_certificate(directory, "idp")
        config = IdPConfig()
        config.load(
            {
                "entityid": f"{self.base}/idp/metadata",
                "key_file": str(key),
                "cert_file": str(cert),
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(f"{self.base}/sso", BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                        "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                    }
                },
            }
        )
        from saml2.mdstore import MetadataStore

        self.server = Server(config=config)
        self.server.metadata = config.metadata = MetadataStore(config.attribute_converters, config)
        self.metadata_file = directory / "idp-metadata.xml"
        self.metadata_file.write_text(create_metadata_string(None, config=config).decode())
        self.person: dict[str, list[str]] = {}
        self.mode: str | None = None
        self.http = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        self.thread = threading.Thread(target=self.http.serve_forever, name="saml-idp", daemon=True)
        self.thread.start()

    def trust(self, sp_metadata: str) -> None:
        """Load a service provider's metadata (ours, from /saml/metadata), and another SP's for the audience test."""
        self.server.metadata.load("inline", sp_metadata)
        other = sp_metadata.replace(re.search(r'entityID="([^"]+)"', sp_metadata).group(1), self.OTHER_SP)  # type: ignore[union-attr]
        self.server.metadata.load("inline", other)

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        if request.path == "/idp/metadata":  # its metadata by URL, as a federation publishes it
            metadata = self.metadata_file.read_bytes()
            return Response(metadata, content_type="application/samlmetadata+xml")(environ, start_response)
        parsed = self.server.parse_authn_request(request.args["SAMLRequest"], BINDING_HTTP_REDIRECT)
        authn_request = parsed.message
        sp = authn_request.issuer.text
        destination = authn_request.assertion_consumer_service_url
        unsigned = self.mode == "unsigned"
        audience = self.OTHER_SP if self.mode == "other_audience" else sp
        self.mode = None
        response = self.server.create_authn_response(
            identity=self.person,
            in_response_to=authn_request.id,
            destination=destination,
            sp_entity_id=audience,
            name_id_policy=authn_request.name_id_policy,
            userid="test-user",
            authn={"class_ref": "http://id.elegnamnden.se/loa/1.0/loa3", "authn_auth": self.base},
            sign_assertion=not unsigned,
            sign_response=False,
        )
        http = self.server.apply_binding(
            BINDING_HTTP_POST, str(response), destination, request.args.get("RelayState", ""), response=True
        )
        body = http["data"] if isinstance(http["data"], str) else "".join(http["data"])
        return Response(body, content_type="text/html")(environ, start_response)

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(timeout=10)


def saml_post_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the IdP's auto-submitting form."""
    import html as html_lib

    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, html[:300]
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    return html_lib.unescape(action.group(1)), {k: html_lib.unescape(v) for k, v in fields.items()}
