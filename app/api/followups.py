"""/api/v1 endpoints of the followups domain."""

from __future__ import annotations
