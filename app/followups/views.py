"""Thin views of the followups domain."""

from __future__ import annotations

from app.followups import bp  # noqa: F401
