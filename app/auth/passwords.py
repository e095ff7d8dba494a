"""Password rules of OWASP ASVS 5 (V6.2): length 12–128, no composition rules, common passwords refused."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128


@cache
def _common_passwords() -> frozenset[str]:
    # Django's list of 20 000 common passwords (BSD licence), lower-cased.
    path = Path(__file__).with_name("common-passwords.txt.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        common = {line.strip().lower() for line in fh if line.strip()}
    # Patterns people reach for when told "at least 12": digit runs and keyboard rows, forwards and backwards.
    digits = "1234567890" * 4
    rows = ("qwertyuiopå", "asdfghjklöä", "zxcvbnm", "qwertyuiop", "asdfghjkl")
    for length in range(MIN_LENGTH, 25):
        for start in range(10):
            run = digits[start : start + length]
            common.update({run, run[::-1]})
    for a in rows:
        for b in rows:
            common.update({a + b, (a + b)[::-1]})
    return frozenset(common)


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Every reason the password is refused, as messages for a person; empty when it is accepted."""
    found: list[str] = []
    if len(password) < MIN_LENGTH:
        found.append(_("The password must be at least %(n)d characters long.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        found.append(_("The password may be at most %(n)d characters long.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 3:
        found.append(_("This password is too common and easy to guess. Choose another one."))
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower().replace(" ", "") == lowered):
        found.append(_("The password must not contain your e-mail address or name."))
    return found


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash or "", password)


# Compared against when the e-mail is unknown, so a login takes as long either way.
DUMMY_HASH = generate_password_hash("not-a-real-password-ever", method="scrypt")
