"""Thin views of the dialogue domain."""

from __future__ import annotations

from app.dialogue import bp  # noqa: F401
