"""The Swedish/English words for the dialogue domain's codes (DESIGN.md 3)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SIDE = {"supervisor": _l("Review team"), "unit": _l("The unit")}
