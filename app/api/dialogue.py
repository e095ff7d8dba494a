"""/api/v1 endpoints of the dialogue domain."""

from __future__ import annotations
