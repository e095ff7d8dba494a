"""The authority that runs this installation, as its letters, reports and e-mails present it (DESIGN.md 4.1, 4.2).

Read from configuration (``ORGANISATION_*``, see config.py and the README); nothing here is stored in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _


@dataclass(frozen=True)
class Organisation:
    """The authority: ``name`` is None when not configured (use :attr:`display_name`); ``address_lines`` is a tuple
    of postal address lines; ``logo_path`` an existing PNG/JPEG file or None."""

    name: str | None
    address_lines: tuple[str, ...]
    phone: str | None
    email: str | None
    website: str | None
    logo_path: Path | None

    @property
    def display_name(self) -> str:
        """The name, or a translated "the supervising body" when ``ORGANISATION_NAME`` is unset (needs a request or
        :func:`flask_babel.force_locale` for the language)."""
        return self.name or _("The supervising body")


def current_organisation() -> Organisation:
    """The configured authority (:class:`Organisation`) of the current app. A logo path that does not name an
    existing file is ignored (the report is then made without a logo) rather than failing a finalisation."""
    config = current_app.config
    logo = config.get("ORGANISATION_LOGO_PATH")
    logo_path = Path(logo) if logo and Path(logo).is_file() else None
    address = config.get("ORGANISATION_ADDRESS") or ""
    return Organisation(
        name=config.get("ORGANISATION_NAME") or None,
        address_lines=tuple(line.strip() for line in address.split("|") if line.strip()),
        phone=config.get("ORGANISATION_PHONE") or None,
        email=config.get("ORGANISATION_EMAIL") or None,
        website=config.get("ORGANISATION_WEBSITE") or None,
        logo_path=logo_path,
    )
