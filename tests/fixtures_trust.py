"""Factories for the trust domain."""

from __future__ import annotations
