"""Factories for the dialogue domain."""

from __future__ import annotations
