"""Thin views of the trust domain."""

from __future__ import annotations

from app.trust import bp  # noqa: F401
