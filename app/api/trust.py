"""/api/v1 endpoints of the trust domain."""

from __future__ import annotations
