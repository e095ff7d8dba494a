"""Tasks of the dialogue domain: JSON arguments (ids), idempotent, calling app services."""

from __future__ import annotations
