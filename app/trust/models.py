"""Models of the trust domain."""

from __future__ import annotations
