"""Who a login through an identity provider belongs to (issue 18; DESIGN.md 4.6).

Nobody gets an account from a login alone: an OpenID Connect subject is linked, on its first login, to the one
person a coordinator created with that verified e-mail address; an e-legitimation login is matched by the personal
identity number the coordinator registered. The number is kept only as a keyed hash (HMAC-SHA256 under
``PERSONAL_NUMBER_HMAC_KEY``) and never shown, logged or written to the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.auth import policy as auth_policy
from app.auth.models import LinkedIdentity, Role, SamlMessageId, User
from app.core import access, audit
from app.core.errors import DomainError, InvalidInput
from app.core.models import utcnow
from app.extensions import db

PERSONAL_NUMBER_ATTRIBUTE = "urn:oid:1.2.752.29.4.13"

PASSWORD = "password"  # noqa: S105  (the name of a login method, not a secret)
SAML = "saml"


def oidc_method(provider: str) -> str:
    """The login method recorded for a provider of OIDC_PROVIDERS: ``"oidc:<name>"``."""
    return f"oidc:{provider}"


class LoginRefused(DomainError):
    """The identity provider vouched for someone this service does not know (or may not let in this way).

    ``reason`` is a short machine word for the audit trail and the log (never personal data)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _allowed(person: User, roles: Iterable[str]) -> bool:
    wanted = {Role(r) for r in roles}
    return bool(person.roles & wanted)


def record_refusal(*, method: str, reason: str) -> None:
    """An audit event for a refused login through an identity provider (no personal data, only the reason)."""
    audit.record(
        db.session,
        action="login_failed",
        object_type="user",
        object_id="-",
        changes={"method": method, "reason": reason},
        actor_label=method,
    )


# ---- OpenID Connect -------------------------------------------------------------------------------


def person_for_oidc_login(
    *,
    provider: str,
    issuer: str,
    claims: Mapping[str, Any],
    roles: Iterable[str],
    verified_email_claim: str = "email_verified",
) -> User:
    """The person an ID token's verified claims (``sub``, ``email``, ``email_verified``) belong to.

    Matched by (issuer, sub) in ``linked_identities``; failing that, linked now when ``email_verified`` (or the
    provider's ``verified_email_claim``) is true and
    exactly one active person has that e-mail address and no identity at this issuer yet (so a second account at
    the provider with the same address is never linked to the same person). Raises ``LoginRefused`` otherwise, or
    when the person has none of the provider's ``roles``. Flushes the new link; commits nothing."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise LoginRefused(_("The identity provider did not say who you are."), reason="no_subject")
    link = db.session.scalar(
        select(LinkedIdentity).where(LinkedIdentity.issuer == issuer, LinkedIdentity.subject == subject)
    )
    if link is not None:
        person = link.user
    else:
        email = str(claims.get("email") or "").strip().lower()
        if not email or claims.get(verified_email_claim) is not True:
            raise LoginRefused(_not_known(), reason="unknown_subject")
        person_or_none = db.session.scalar(select(User).where(User.email == email))
        if person_or_none is None:
            raise LoginRefused(_not_known(), reason="unknown_subject")
        person = person_or_none
        already = db.session.scalar(
            select(LinkedIdentity.id).where(LinkedIdentity.user_id == person.id, LinkedIdentity.issuer == issuer)
        )
        if already is not None:
            raise LoginRefused(_not_known(), reason="email_linked_to_another_subject")
        link = LinkedIdentity(user_id=person.id, provider=provider, issuer=issuer, subject=subject)
        db.session.add(link)
    if not person.is_active_account:
        raise LoginRefused(_("Your account is deactivated. Ask a coordinator."), reason="deactivated")
    if not _allowed(person, roles):
        raise LoginRefused(
            _("Your role cannot log in this way. Use another way of logging in."), reason="role_not_allowed"
        )
    link.last_login_at = utcnow()
    db.session.flush()
    return person


def _not_known() -> str:
    return _(
        "You are not registered in Lärande tillsyn. A coordinator must add you (with the same e-mail address) "
        "before you can log in."
    )


# ---- personal identity numbers --------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^(\d{6}|\d{8})([-+]?)(\d{4})$")


def luhn_valid(digits: str) -> bool:
    """The Luhn check over a string of digits (the last one is the check digit)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def normalise_personal_number(raw: str, *, today: date | None = None) -> str:
    """A Swedish personal identity number (or coordination number) as 12 digits, YYYYMMDDNNNN.

    Accepts YYYYMMDD-NNNN, YYYYMMDDNNNN, YYMMDD-NNNN and YYMMDDNNNN (a "+" instead of "-" means 100 years or
    older); checks the date part (a coordination number adds 60 to the day) and the Luhn check digit. Raises
    ``InvalidInput`` on the field ``personal_number``; the message never repeats the number."""
    text = re.sub(r"\s", "", raw or "")
    match = _NUMBER_RE.match(text)
    if not match:
        raise InvalidInput({"personal_number": [_("Write the personal identity number as YYYYMMDD-NNNN (12 digits).")]})
    birth, separator, rest = match.groups()
    today = today or date.today()
    if len(birth) == 6:
        year = int(birth[:2])
        century = today.year // 100 * 100
        full = century + year if century + year <= today.year else century - 100 + year
        if separator == "+":
            full -= 100
        birth = f"{full:04d}{birth[2:]}"
    year, month, day = int(birth[:4]), int(birth[4:6]), int(birth[6:8])
    if day > 60:
        day -= 60  # a coordination number
    try:
        date(year, month, day)
    except ValueError:
        raise InvalidInput({"personal_number": [_("The personal identity number has no valid date.")]}) from None
    number = birth + rest
    if not luhn_valid(number[2:]):
        raise InvalidInput({"personal_number": [_("The personal identity number is not right: check the last digit.")]})
    return number


def personal_numbers_enabled() -> bool:
    """Whether personal identity numbers can be registered (PERSONAL_NUMBER_HMAC_KEY is set)."""
    return bool(current_app.config.get("PERSONAL_NUMBER_HMAC_KEY"))


def personal_number_hmac(number12: str) -> str:
    """HMAC-SHA256 (hex, 64 characters) of a normalised 12-digit number under PERSONAL_NUMBER_HMAC_KEY.
    Raises ``DomainError`` when no key is configured."""
    key = current_app.config.get("PERSONAL_NUMBER_HMAC_KEY")
    if not key:
        raise DomainError(_("Personal identity numbers cannot be registered: the service has no key for them."))
    return hmac.new(str(key).encode(), number12.encode(), hashlib.sha256).hexdigest()


def register_personal_number(user_id: uuid.UUID, raw_number: str, *, actor: User) -> User:
    """A coordinator registers a person's personal identity number, once: it is normalised, Luhn-checked and kept
    only as its keyed hash. Raises ``InvalidInput`` (field ``personal_number``) for a wrong number, one already
    registered for someone else, or a person who already has one. Flushes; commits nothing."""
    person = auth_policy.get_user(actor, user_id)
    access.require_role(actor, Role.coordinator)
    if person.personal_number_hmac:
        raise InvalidInput({"personal_number": [_("A personal identity number is already registered.")]})
    digest = personal_number_hmac(normalise_personal_number(raw_number))
    clash = db.session.scalar(select(User.id).where(User.personal_number_hmac == digest, User.id != person.id))
    if clash is not None:
        raise InvalidInput({"personal_number": [_("This personal identity number is registered for someone else.")]})
    person.personal_number_hmac = digest
    try:
        db.session.flush()
    except IntegrityError:  # registered for someone else in a concurrent request
        db.session.rollback()
        raise InvalidInput(
            {"personal_number": [_("This personal identity number is registered for someone else.")]}
        ) from None
    return person


def person_for_personal_number(raw_number: str, *, roles: Iterable[str]) -> User:
    """The active person whose registered number this is (the identity provider's attribute, any usual spelling).

    Raises ``LoginRefused`` for an unknown or malformed number, a deactivated person or a role not in ``roles``."""
    try:
        digest = personal_number_hmac(normalise_personal_number(raw_number))
    except DomainError:
        raise LoginRefused(_not_registered(), reason="unknown_personal_number") from None
    person = db.session.scalar(select(User).where(User.personal_number_hmac == digest))
    if person is None:
        raise LoginRefused(_not_registered(), reason="unknown_personal_number")
    if not person.is_active_account:
        raise LoginRefused(_("Your account is deactivated. Ask a coordinator."), reason="deactivated")
    if not _allowed(person, roles):
        raise LoginRefused(
            _("Your role cannot log in this way. Use another way of logging in."), reason="role_not_allowed"
        )
    return person


def _not_registered() -> str:
    return _(
        "You are not registered for e-legitimation in Lärande tillsyn. Ask a coordinator to register your "
        "personal identity number."
    )


# ---- SAML message ids -----------------------------------------------------------------------------


def remember_saml_request(request_id: str, *, expires_at: datetime) -> None:
    """Keep the id of an authentication request we sent, so a response must answer one of ours."""
    db.session.add(SamlMessageId(message_id=request_id, kind="request", expires_at=expires_at))
    db.session.flush()


def outstanding_saml_requests() -> dict[str, str]:
    """The ids of our unexpired authentication requests, in the shape pysaml2 takes (id -> where to return)."""
    now = utcnow()
    ids = db.session.scalars(
        select(SamlMessageId.message_id).where(SamlMessageId.kind == "request", SamlMessageId.expires_at > now)
    )
    return {message_id: "/" for message_id in ids}


def consume_saml_assertion(assertion_id: str, *, expires_at: datetime) -> bool:
    """Accept an assertion id once: True the first time, False for a replay. The id is kept until the assertion
    expires (after that its validity window refuses it anyway). Expired ids are purged on the way."""
    now = utcnow()
    db.session.execute(delete(SamlMessageId).where(SamlMessageId.expires_at <= now))
    key = f"assertion:{assertion_id}"
    if db.session.get(SamlMessageId, key) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SamlMessageId(message_id=key, kind="assertion", expires_at=expires_at))
    except IntegrityError:  # the same assertion in a concurrent request
        return False
    return True
