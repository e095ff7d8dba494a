"""Thin views of the trust domain."""

from __future__ import annotations

from typing import Any

from app.trust import bp  # noqa: F401


def unit_panel(unit: Any) -> dict[str, Any]:
    return {}
